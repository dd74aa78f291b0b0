"""The command line every fake shares: common options, print the base URL, serve until stopped."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

from integrations.fakes.service import FakeService

Build = Callable[[argparse.Namespace, dict[str, Any]], FakeService]
Announce = Callable[[Any, argparse.Namespace], Iterable[str]]


def parser(description: str, *, prog: str | None = None, rate_limit: int = 0,
           rate_limit_window: float = 60.0) -> argparse.ArgumentParser:
    """An ArgumentParser with the options every fake takes; add the fake's own to it.

    `prog` names the command in usage lines ('python -m <package>'; argparse would say
    '__main__.py').
    """
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    p.add_argument("--token", help="accept only this credential (default: any non-empty one)")
    p.add_argument("--error-rate", type=float, default=0.0,
                   help="share of requests answered with an injected 5xx")
    p.add_argument("--latency-ms", type=int, default=0, help="delay before every answer")
    p.add_argument("--rate-limit", type=int, default=rate_limit,
                   help=f"requests per window, then 429 (default {rate_limit}; 0 = off)")
    p.add_argument("--rate-limit-window", type=float, default=rate_limit_window,
                   help=f"seconds (default {rate_limit_window:g})")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault injection")
    return p


def knobs(args: argparse.Namespace) -> dict[str, Any]:
    """FakeService keyword arguments from the common options."""
    return {"token": args.token, "error_rate": args.error_rate, "latency_ms": args.latency_ms,
            "rate_limit": args.rate_limit or None, "rate_limit_window": args.rate_limit_window,
            "fault_seed": args.fault_seed}


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # so SIGTERM (a supervisor, `kill`) shuts down like Ctrl-C


def serve(fake: FakeService, host: str, port: int,
          announce: Callable[[], Iterable[str]] | None = None) -> None:
    """Start `fake`, print its base URL (then any `announce` lines) and block until SIGTERM
    or SIGINT; the first line is what scripts read to find the fake."""
    base_url = fake.start(port=port, host=host)
    print(base_url, flush=True)
    for line in announce() if announce else ():
        print(line, flush=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        fake.stop()


def run(p: argparse.ArgumentParser, build: Build, argv: list[str] | None = None,
        announce: Announce | None = None) -> None:
    """Parse `argv`, `build(args, knobs)` the fake and serve it: a fake's whole __main__."""
    args = p.parse_args(argv)
    fake = build(args, knobs(args))
    serve(fake, args.host, args.port,
          (lambda: announce(fake, args)) if announce else None)
