"""The base of every fake upstream: the shared fault, latency, auth and rate-limit knobs."""

from __future__ import annotations

import hmac
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, NamedTuple

from integrations.fakes.server import WSGIServer
from integrations.fakes.web import Request, Response, json_response, text_response
from integrations.fakes.windows import SlidingWindow, take


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class RequestRecord(NamedTuple):
    at: float  # time.monotonic()
    method: str
    path: str
    status: int


class FakeService:
    """A WSGI app plus its server; subclasses implement `respond` in their upstream's order.

    Every public attribute is a knob that tests may change while the fake is running:
    `token` (None: any non-empty credential passes), `error_rate` (share of requests that get
    a 5xx from `fault()`), `latency_ms` (added before each answer), `rate_limit` requests per
    `rate_limit_window` seconds (None: unlimited). Faults draw from `rng`, seeded by
    `fault_seed`, so a failing run can be replayed.
    """

    name = "fake"  # names the serving thread and the Server header

    def __init__(self, *, token: str | None = None, error_rate: float = 0.0,
                 latency_ms: int = 0, rate_limit: int | None = None,
                 rate_limit_window: float = 60.0, fault_seed: int | None = 0,
                 log_size: int = 200_000) -> None:
        self.token = token
        self.error_rate = error_rate
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.rate_limit_window = rate_limit_window
        self.rng = random.Random(fault_seed)
        self.lock = threading.RLock()
        self.request_log: deque[RequestRecord] = deque(maxlen=log_size)
        self.base_url: str | None = None
        self._windows: dict[str, SlidingWindow] = {}
        self._server: WSGIServer | None = None

    # ---- serving ---------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        """Serve on host:port (0: a free port) from daemon threads; returns the base URL."""
        self._server = WSGIServer(self, name=self.name)
        self.base_url = self._server.start(port, host)
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> list[bytes]:
        resp = self.handle(Request.from_environ(environ))
        start_response(f"{resp.status} {_reason(resp.status)}", resp.headers)
        return [resp.body]

    def handle(self, request: Request) -> Response:
        """Answer one request (usable without a socket, see Request.build) and log it."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)  # outside the lock: slow, but not serialised
        with self.lock:
            try:
                resp = self.respond(request)
            except Exception as exc:  # noqa: BLE001 - a fake's bug goes to the client, not stderr
                resp = self.internal_error(exc)
            self.request_log.append(RequestRecord(time.monotonic(), request.method,
                                                  self.log_path(request), resp.status))
        return resp

    def respond(self, request: Request) -> Response:
        """The upstream's answer; runs under `lock`."""
        raise NotImplementedError

    def log_path(self, request: Request) -> str:
        return request.path

    # ---- knobs, for subclasses to apply where their upstream does -----------------------------
    def credential_ok(self, credential: str | None) -> bool:
        """Whether a presented secret passes: any non-empty one unless `token` is set."""
        if not credential:
            return False
        return not self.token or hmac.compare_digest(credential.encode(), self.token.encode())

    def fault_due(self) -> bool:
        """Draw whether this request gets an injected 5xx (`error_rate`)."""
        return bool(self.error_rate) and self.rng.random() < self.error_rate

    def fault(self) -> Response:
        """The injected 5xx; subclasses answer with their upstream's own error pages."""
        status = self.rng.choice((500, 502, 503))
        return text_response(status, f"{status} {_reason(status)}")

    def window(self, name: str, limit: int, seconds: float) -> SlidingWindow:
        """The named budget, started afresh whenever its limit or length is changed."""
        w = self._windows.get(name)
        if w is None or w.limit != limit or w.window != seconds:
            w = self._windows[name] = SlidingWindow(limit, seconds)
        return w

    def budget(self) -> SlidingWindow | None:
        """The `rate_limit` per `rate_limit_window` budget, or None when unlimited."""
        if not self.rate_limit:
            return None
        return self.window("requests", self.rate_limit, self.rate_limit_window)

    def throttle(self, *extra: SlidingWindow, now: float | None = None) -> Response | None:
        """The 429 for a request over budget (or over any `extra` window, such as a per-endpoint
        one), else None and the request is counted; unlimited when `rate_limit` is unset."""
        budget = self.budget()
        if budget is None:
            return None
        wait = take([budget, *extra], time.monotonic() if now is None else now)
        return None if wait is None else self.too_many(wait)

    def too_many(self, retry_after: float) -> Response:
        """A 429 with Retry-After; subclasses give it their upstream's body."""
        return json_response(429, {"error": "rate_limited"},
                             headers=[("Retry-After", f"{retry_after:g}")])

    def internal_error(self, exc: Exception) -> Response:
        return json_response(500, {"error": "FakeInternalError", "description": repr(exc)})

    # ---- observations for tests ------------------------------------------------------------
    def max_requests_in_any_window(self, seconds: float = 60.0,
                                   path_contains: str | None = None) -> int:
        """Most requests received within any `seconds`-long span (429s included: they were
        sent, so a client that gets them has exceeded its budget)."""
        with self.lock:
            times = [r.at for r in self.request_log
                     if path_contains is None or path_contains in r.path]
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best
