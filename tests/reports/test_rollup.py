"""The monthly counts follow the badges' changes without counting every badge again."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from badges.models import Badge
from reports import rollup
from reports.certifications import CertificationFilters, certification_report
from reports.models import BadgeMonthCount
from tests.reports.fixtures import REVOKED, badge, seed_badges

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")
JAN_TO_APR = CertificationFilters(first=date(2026, 1, 1), last=date(2026, 4, 1))


def figures():
    return [(r.issued, r.revoked) for r in certification_report(JAN_TO_APR).rows]


def rebuilt():
    rollup.rebuild(DENVER)
    return figures()


def test_changes_reach_only_their_months_and_match_a_full_recount(django_assert_max_num_queries):
    seeded = seed_badges()
    assert figures() == [(1, 0), (2, 1), (4, 1), (1, 0)]
    # A badge synced from Credly for January, a revoke in February, a reissue in March.
    badge(seeded["git"], "2026-01-05T12:00")
    Badge.objects.filter(template=seeded["partner"], state="accepted").update(
        state=REVOKED, updated_at=timezone.now())
    first = Badge.objects.filter(issued_at__month=3, state="accepted",
                                 reissued_from__isnull=True, replaces__isnull=True).first()
    badge(seeded["git"], first.issued_at.isoformat()[:16], reissued_from=first)
    with django_assert_max_num_queries(30):  # three runs of months, not every month
        assert figures() == [(2, 0), (1, 2), (4, 1), (1, 0)]
    assert figures() == rebuilt()


def test_nothing_changed_costs_two_lookups(django_assert_num_queries):
    seed_badges()
    rollup.refresh(DENVER)
    with django_assert_num_queries(2):
        rollup.refresh(DENVER)


def test_another_time_zone_keeps_its_own_counts():
    seed_badges()
    rollup.refresh(DENVER)
    rollup.refresh(ZoneInfo("UTC"))
    by_zone = {zone: sum(BadgeMonthCount.objects.filter(time_zone=zone, revoked=False,
                                                        month=date(2026, 3, 1))
                         .values_list("count", flat=True))
               for zone in ("America/Denver", "UTC")}
    assert by_zone == {"America/Denver": 4, "UTC": 4}
    assert BadgeMonthCount.objects.filter(time_zone="UTC", month=date(2026, 2, 1),
                                          revoked=False).get().count == 1


def test_the_beat_tasks_refresh_and_rebuild_every_report(manager):
    from reports import tasks
    from reports.models import ThreadFigure
    from tests.inbox.factories import ThreadFactory

    seed_badges()
    ThreadFactory()
    tasks.refresh_counts()
    assert BadgeMonthCount.objects.exists() and ThreadFigure.objects.count() == 1
    BadgeMonthCount.objects.all().delete()
    tasks.rebuild_counts()
    assert figures() == [(1, 0), (2, 1), (4, 1), (1, 0)]
