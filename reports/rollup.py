"""Monthly badge counts kept current incrementally, so a report never scans every badge.

Before a report reads BadgeMonthCount it asks badges for their change mark (newest
`updated_at`, highest id: two index lookups). When the mark moved, only the months of the
badges changed since (and of the badges they replace or reissue) are counted again, each
from the index on `issued_at`. Changes that commit late are caught by looking back
LATE_COMMIT before the mark. What no mark shows (a badge deleted, or its issue time moved to
another month) waits for the nightly rebuild, which counts every month again.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from badges import selectors as badges

from . import months as cal
from .models import BadgeMonthCount, RollupMark

LATE_COMMIT = timedelta(minutes=5)


def _recount(zone: ZoneInfo, first: date, last: date) -> None:
    """Count months first..last again from the badges (one GROUP BY over their index)."""
    rows = badges.badge_counts_by_month(start=cal.start_of(first, zone),
                                        end=cal.start_of(cal.add_months(last, 1), zone), zone=zone)
    BadgeMonthCount.objects.filter(time_zone=str(zone), month__gte=first, month__lte=last).delete()
    BadgeMonthCount.objects.bulk_create([
        BadgeMonthCount(time_zone=str(zone), month=row["month"], template_id=row["template_id"],
                        revoked=row["revoked"], count=row["count"]) for row in rows], batch_size=1000)


def _runs(months: set[date]) -> list[tuple[date, date]]:
    """Consecutive months grouped, so neighbours are counted in one query."""
    runs: list[tuple[date, date]] = []
    for month in sorted(months):
        if runs and cal.add_months(runs[-1][1], 1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


@transaction.atomic
def rebuild(zone: ZoneInfo) -> None:
    """Count every month again (nightly, and when the team's time zone changes)."""
    mark = RollupMark.objects.select_for_update().get_or_create(time_zone=str(zone))[0]
    changed, last_id = badges.badge_change_mark()
    BadgeMonthCount.objects.filter(time_zone=str(zone)).delete()
    _recount(zone, date(1970, 1, 1), cal.add_months(cal.month_of(timezone.now(), zone), 1200))
    mark.changed_through, mark.last_id, mark.rebuilt_at = changed, last_id or 0, timezone.now()
    mark.save()


def refresh(zone: ZoneInfo) -> None:
    """Bring the counts up to the badges' latest change; nothing to do is two index lookups."""
    current = badges.badge_change_mark()
    mark = RollupMark.objects.filter(time_zone=str(zone)).first()
    if mark is not None and mark.rebuilt_at and (mark.changed_through, mark.last_id) == (
            current[0], current[1] or 0):
        return
    with transaction.atomic():
        mark = RollupMark.objects.select_for_update().filter(time_zone=str(zone)).first()
        if mark is None or mark.rebuilt_at is None:
            rebuild(zone)
            return
        current = badges.badge_change_mark()
        if (mark.changed_through, mark.last_id) == (current[0], current[1] or 0):
            return  # another request brought them up meanwhile
        since = (mark.changed_through or timezone.now()) - LATE_COMMIT
        for first, last in _runs(badges.months_with_changes(changed_since=since,
                                                           after_id=mark.last_id, zone=zone)):
            _recount(zone, first, last)
        mark.changed_through, mark.last_id = current[0], current[1] or 0
        mark.save(update_fields=["changed_through", "last_id"])


def recount_month(zone: ZoneInfo, month: date) -> None:
    """One month counted again now (before it is frozen, so snapshot and counts agree)."""
    with transaction.atomic():
        _recount(zone, month, month)


def counts(first: date, last: date, zone: ZoneInfo, ids: list[int] | None
           ) -> dict[tuple[date, int, bool], int]:
    """(month, template id, revoked) -> badges for months first..last, current."""
    refresh(zone)
    rows = BadgeMonthCount.objects.filter(time_zone=str(zone), month__gte=first, month__lte=last)
    if ids is not None:
        rows = rows.filter(template_id__in=ids)
    return {(month, template, revoked): count for month, template, revoked, count in
            rows.values_list("month", "template_id", "revoked", "count")}
