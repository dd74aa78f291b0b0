"""`python -m integrations.zendesk.fake`: serve a seeded fake Zendesk on loopback until stopped."""

from __future__ import annotations

import argparse
from typing import Any

from integrations.fakes import cli
from integrations.zendesk.fake import FakeZendesk
from integrations.zendesk.fake.app import DEFAULT_RATE_LIMIT


def build(a: argparse.Namespace, knobs: dict[str, Any]) -> FakeZendesk:
    fake = FakeZendesk(**knobs, incremental_rate_limit=a.incremental_rate_limit or None,
                       rate_limit_rate=a.rate_limit_rate, retry_after_seconds=a.retry_after,
                       lost_response_rate=a.lost_response_rate,
                       duplicate_overlap=a.duplicate_overlap, exclude_recent=a.exclude_recent)
    fake.seed(tickets=a.tickets, comments_per_ticket=a.comments_per_ticket, seed=a.seed)
    return fake


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Serve a fake Zendesk Support API on loopback.",
                   prog="python -m integrations.zendesk.fake", rate_limit=DEFAULT_RATE_LIMIT)
    p.add_argument("--tickets", type=int, default=1000)
    p.add_argument("--comments-per-ticket", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="seed of the generated tickets")
    p.add_argument("--incremental-rate-limit", type=int, default=10,
                   help="export requests per window (0 = off)")
    p.add_argument("--rate-limit-rate", type=float, default=0.0, help="share of random 429s")
    p.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of random 429s")
    p.add_argument("--lost-response-rate", type=float, default=0.0,
                   help="share of writes applied but answered with a 504")
    p.add_argument("--duplicate-overlap", type=int, default=0)
    p.add_argument("--exclude-recent", action="store_true")
    cli.run(p, build, argv)


if __name__ == "__main__":
    main()
