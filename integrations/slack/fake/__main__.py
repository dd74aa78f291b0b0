"""`python -m integrations.slack.fake`: serve a fake Slack on loopback until stopped."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from integrations.fakes import cli
from integrations.slack.fake import FakeSlack


def build(a: argparse.Namespace, knobs: dict[str, Any]) -> FakeSlack:
    return FakeSlack(**knobs, rate_limit_per_second=a.channel_rate)


def announce(fake: FakeSlack, a: argparse.Namespace) -> Iterable[str]:
    return [f"webhook {channel}: {fake.base_url}{fake.add_webhook(channel)}"
            for channel in a.webhook]


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Serve a fake Slack Web API (chat.postMessage) and incoming webhooks.",
                   prog="python -m integrations.slack.fake")
    p.add_argument("--webhook", action="append", default=[], metavar="CHANNEL",
                   help="register an incoming webhook for CHANNEL (repeatable)")
    p.add_argument("--channel-rate", type=float, default=None, metavar="PER_SECOND",
                   help="posts per second per channel, then 429 (Slack: about 1; default off)")
    cli.run(p, build, argv, announce)


if __name__ == "__main__":
    main()
