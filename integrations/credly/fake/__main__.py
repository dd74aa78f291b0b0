"""`python -m integrations.credly.fake`: serve a seeded fake Credly on loopback until stopped."""

from __future__ import annotations

import argparse
import secrets
from collections.abc import Iterable
from typing import Any

from integrations.credly.fake import ORGANIZATION_ID, FakeCredly
from integrations.fakes import cli


def build(a: argparse.Namespace, knobs: dict[str, Any]) -> FakeCredly:
    return FakeCredly(**knobs, organization_id=a.organization_id, page_size=a.page_size,
                      lost_response_rate=a.lost_response_rate,
                      retry_after_seconds=a.retry_after, replaced_state=a.replaced_state,
                      id_seed=secrets.token_hex(8))


def announce(fake: FakeCredly, a: argparse.Namespace) -> Iterable[str]:
    # After the URL line (what scripts read): what to put in CREDLY_ORGANIZATION_ID, and
    # which template ids issue.
    yield f"organization {fake.organization_id}"
    for t in fake.templates.values():
        yield f"template {t.id} {t.state} {t.name}"


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Serve a fake Credly Web Service API on loopback.",
                   prog="python -m integrations.credly.fake")
    p.add_argument("--organization-id", default=ORGANIZATION_ID)
    p.add_argument("--page-size", type=int, default=50, help="items per list page (default 50)")
    p.add_argument("--lost-response-rate", type=float, default=0.0,
                   help="share of writes applied but answered with a 504")
    p.add_argument("--retry-after", type=float, default=None,
                   help="Retry-After of 429s (default: when the window frees up)")
    p.add_argument("--replaced-state", choices=("revoked", "replaced"), default="revoked",
                   help="the state a replaced badge takes")
    cli.run(p, build, argv, announce)


if __name__ == "__main__":
    main()
