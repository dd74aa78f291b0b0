"""`python -m integrations.gmail.fake`: serve a seeded fake Gmail mailbox on loopback until stopped."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from integrations.fakes import cli
from integrations.gmail.fake import GROUP, MAILBOX, FakeGmail


def build(a: argparse.Namespace, knobs: dict[str, Any]) -> FakeGmail:
    return FakeGmail(**knobs, mailbox=a.mailbox, group=a.group, messages=a.messages,
                     seed_value=a.seed, rate_limit_status=a.rate_limit_status)


def announce(fake: FakeGmail, a: argparse.Namespace) -> Iterable[str]:
    return [f"mailbox {fake.mailbox.address} receives {fake.group}: "
            f"{len(fake.mailbox.messages)} messages, historyId {fake.mailbox.history_id}"]


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Serve a fake Gmail API v1 mailbox that receives a Google Group's mail.",
                   prog="python -m integrations.gmail.fake")
    p.add_argument("--messages", type=int, default=40, help="seeded messages (default 40)")
    p.add_argument("--mailbox", default=MAILBOX, help=f"the member mailbox (default {MAILBOX})")
    p.add_argument("--group", default=GROUP, help=f"the group address (default {GROUP})")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated mail")
    p.add_argument("--rate-limit-status", type=int, choices=(429, 403), default=429,
                   help="status of rate-limit refusals (Gmail also uses 403 for quotas)")
    cli.run(p, build, argv, announce)


if __name__ == "__main__":
    main()
