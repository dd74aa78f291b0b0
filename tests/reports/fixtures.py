"""Hand-counted badges for the certification report: month edges in Denver, chains, revokes."""

from __future__ import annotations

from datetime import UTC, datetime

from badges.models import Audience, Badge
from tests.factories import BadgeFactory, BadgeTemplateFactory, CertificationFactory

ACCEPTED, PENDING, REVOKED = Badge.State.ACCEPTED, Badge.State.PENDING, Badge.State.REVOKED


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def badge(template, issued: str, state=ACCEPTED, **links) -> Badge:
    return BadgeFactory(template=template, issued_at=at(issued), state=state, **links)


def seed_badges() -> dict:
    """What the tests expect, counted by hand (America/Denver; MST = UTC-7, MDT from 8 March
    2026 = UTC-6):

    | month    | Customers | Partners | No audience | issued | revoked | change      |
    | Jan 2026 | 0         | 0        | 1           | 1      | 0       | +1 (Dec: 0) |
    | Feb 2026 | 1         | 1        | 0           | 2      | 1       | +1, +100%   |
    | Mar 2026 | 4         | 0        | 0           | 4      | 1       | +2, +100%   |
    | Apr 2026 | 1         | 0        | 0           | 1      | 0       | -3, -75%    |
    """
    customers = Audience.objects.create(name="Customers")
    partners = Audience.objects.create(name="Partners")
    git = BadgeTemplateFactory(name="Git Associate", audience=customers)
    partner = BadgeTemplateFactory(name="Partner Sales", audience=partners)
    loose = BadgeTemplateFactory(name="Unsorted", audience=None)
    certification = CertificationFactory(code="git-associate", name="Git Associate",
                                         badge_template=git)
    badge(loose, "2026-01-20T12:00")
    # 05:00 UTC on 1 March is 22:00 on 28 February in Denver.
    badge(git, "2026-03-01T05:00")
    badge(git, "2026-03-01T07:00")  # midnight in Denver: March
    badge(partner, "2026-02-10T12:00")
    badge(partner, "2026-02-15T12:00", REVOKED)
    # A pending badge replaced (new address): Credly calls the old one revoked; counts once.
    old = badge(git, "2026-03-10T12:00", REVOKED)
    badge(git, "2026-03-10T12:00", PENDING, replaces=old)
    # An accepted badge revoked and reissued to a new address: counts once.
    old = badge(git, "2026-03-12T12:00", REVOKED)
    badge(git, "2026-03-12T12:00", ACCEPTED, reissued_from=old)
    # A chain whose newest badge was revoked: once, as revoked.
    old = badge(git, "2026-03-20T12:00", REVOKED)
    badge(git, "2026-03-20T12:00", REVOKED, reissued_from=old)
    # Daylight saving: Denver is UTC-6 on 1 April.
    badge(git, "2026-04-01T05:30")  # 23:30 on 31 March
    badge(git, "2026-04-01T06:30")  # 00:30 on 1 April
    badge(git, "2025-11-30T12:00")  # outside the range asked
    return {"git": git, "partner": partner, "loose": loose, "certification": certification,
            "customers": customers, "partners": partners}
