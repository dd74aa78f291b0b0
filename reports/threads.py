"""The inbox report: threads per week and category, time to first response in business
hours (median, 90th percentile), threads over their due time, per rotation week and member.

Business time is inbox.hours' arithmetic, worked out once per thread when the thread changes
(ThreadFigure, brought up to date before each report like the badge counts); the report
itself is GROUP BY queries over those rows, percentiles read from a per-minute histogram.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from inbox import selectors as inbox
from inbox.hours import describe

from .models import RollupMark, ThreadFigure

DEFAULT_WEEKS = 12
MAX_WEEKS = 156
LATE_COMMIT = timedelta(minutes=5)
MARK = "threads:{zone}"
UNCATEGORISED = "Uncategorised"


# ---- keeping ThreadFigure current ----------------------------------------------------------
def _figures(rows, zone: ZoneInfo, hours) -> list[ThreadFigure]:
    figures = []
    for pk, created, asked, responded, due, category, assignee, status in rows:
        local = created.astimezone(zone).date()
        minutes = None
        if responded is not None:
            minutes = int(hours.between(asked or created, responded).total_seconds() // 60)
        figures.append(ThreadFigure(
            thread_id=pk, time_zone=str(zone), week=local - timedelta(days=local.weekday()),
            category_id=category, assignee_id=assignee, is_done=status == "done", due_at=due,
            responded_at=responded, response_minutes=minutes))
    return figures


def _store(rows, zone: ZoneInfo, *, fresh: bool) -> None:
    hours = inbox.report_business_hours()
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            _upsert(_figures(batch, zone, hours), fresh=fresh)
            batch = []
    _upsert(_figures(batch, zone, hours), fresh=fresh)


def _upsert(figures: list[ThreadFigure], *, fresh: bool = False) -> None:
    if figures and fresh:  # an emptied table: plain inserts
        ThreadFigure.objects.bulk_create(figures, batch_size=5000)
    elif figures:
        ThreadFigure.objects.bulk_create(
            figures, update_conflicts=True, unique_fields=["thread_id"],
            update_fields=["time_zone", "week", "category_id", "assignee_id", "is_done", "due_at",
                           "responded_at", "response_minutes"])


def refresh(zone: ZoneInfo) -> None:
    """Threads changed since the last refresh worked out again; all of them the first time,
    or when the team's time zone changed."""
    current = inbox.thread_change_mark()
    key = MARK.format(zone=zone)
    mark = RollupMark.objects.filter(time_zone=key).first()
    if mark is not None and (mark.changed_through, mark.last_id) == (current[0], current[1] or 0):
        return
    with transaction.atomic():
        mark, created = RollupMark.objects.select_for_update().get_or_create(time_zone=key)
        current = inbox.thread_change_mark()
        if not created and (mark.changed_through, mark.last_id) == (current[0], current[1] or 0):
            return
        if created or mark.rebuilt_at is None:
            ThreadFigure.objects.all().delete()
            since = None
            mark.rebuilt_at = timezone.now()
        else:
            since = (mark.changed_through or timezone.now()) - LATE_COMMIT
        _store(inbox.threads_changed(since=since, after_id=mark.last_id), zone, fresh=since is None)
        mark.changed_through, mark.last_id = current[0], current[1] or 0
        mark.save()


@transaction.atomic
def rebuild(zone: ZoneInfo) -> None:
    """Everything worked out again, in one transaction: readers see the old figures until then."""
    RollupMark.objects.filter(time_zone=MARK.format(zone=zone)).delete()
    refresh(zone)


# ---- the report ------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeekFilters:
    first: date  # a Monday
    last: date  # a Monday

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None, today: date) -> WeekFilters:
        """?from=YYYY-MM-DD&to=YYYY-MM-DD (any day of a week); the last twelve weeks by default."""
        params = params or {}
        this_week = today - timedelta(days=today.weekday())
        try:
            last = date.fromisoformat(params["to"]) if params.get("to") else this_week
        except ValueError:
            raise ValidationError({"to": "Give a date (YYYY-MM-DD)."}) from None
        last -= timedelta(days=last.weekday())
        try:
            first = (date.fromisoformat(params["from"]) if params.get("from")
                     else last - timedelta(weeks=DEFAULT_WEEKS - 1))
        except ValueError:
            raise ValidationError({"from": "Give a date (YYYY-MM-DD)."}) from None
        first -= timedelta(days=first.weekday())
        if first > last:
            raise ValidationError({"from": "The first week comes after the last."})
        if (last - first).days // 7 + 1 > MAX_WEEKS:
            raise ValidationError({"from": f"Choose at most {MAX_WEEKS} weeks."})
        return cls(first=first, last=last)

    @property
    def weeks(self) -> list[date]:
        return [self.first + timedelta(weeks=n) for n in range((self.last - self.first).days // 7 + 1)]

    def as_params(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """The value at `fraction` (0.5: the median, nearest rank) of a {value: count} histogram."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(round(fraction * total, 9)))  # nearest rank; no float drift
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def label(minutes: int | None) -> str:
    """Business minutes as the inbox shows time ("3h 20m", "1d 2h": days of 8 hours)."""
    return "" if minutes is None else describe(timedelta(minutes=minutes)).removesuffix(" left")


class ResponseTimes:
    """The median and 90th-percentile first response of a row, as the page shows them."""

    median_minutes: int | None
    p90_minutes: int | None

    @property
    def median_label(self) -> str:
        return label(self.median_minutes)

    @property
    def p90_label(self) -> str:
        return label(self.p90_minutes)


@dataclass
class WeekRow(ResponseTimes):
    week: date
    on_duty: str
    by_category: list[int]
    threads: int
    overdue: int
    responded: int
    median_minutes: int | None
    p90_minutes: int | None


@dataclass
class MemberRow(ResponseTimes):
    member: str
    weeks: int
    threads: int
    overdue: int
    median_minutes: int | None
    p90_minutes: int | None


@dataclass
class InboxReport:
    filters: WeekFilters
    time_zone: str
    categories: list[str]
    rows: list[WeekRow]
    members: list[MemberRow] = field(default_factory=list)


def inbox_report(filters: WeekFilters, *, zone: ZoneInfo, now: datetime | None = None
                 ) -> InboxReport:
    """Three GROUP BY queries over ThreadFigure, plus categories and who was on duty."""
    now = now or timezone.now()
    refresh(zone)
    rows = ThreadFigure.objects.filter(week__gte=filters.first, week__lte=filters.last)
    overdue = (Q(responded_at__isnull=False, due_at__isnull=False, responded_at__gt=F("due_at"))
               | Q(responded_at__isnull=True, is_done=False, due_at__lt=now))
    counted = list(rows.values("week", "category_id").annotate(
        threads=Count("id"), overdue=Count("id", filter=overdue)).order_by())
    histogram: dict[date, dict[int, int]] = {}
    for row in rows.filter(response_minutes__isnull=False).values(
            "week", "response_minutes").annotate(n=Count("id")).order_by():
        histogram.setdefault(row["week"], {})[row["response_minutes"]] = row["n"]
    names = {c.pk: c.name for c in inbox.categories()}
    used = sorted({names.get(r["category_id"], UNCATEGORISED) for r in counted},
                  key=lambda n: (n == UNCATEGORISED, n))
    column = {name: i for i, name in enumerate(used)}
    duty = inbox.duty_by_week(filters.first, filters.last)
    weeks = {w: WeekRow(week=w, on_duty=duty.get(w, ""), by_category=[0] * len(used), threads=0,
                        overdue=0, responded=sum(histogram.get(w, {}).values()),
                        median_minutes=percentile(histogram.get(w, {}), 0.5),
                        p90_minutes=percentile(histogram.get(w, {}), 0.9))
             for w in filters.weeks}
    for row in counted:
        week = weeks[row["week"]]
        week.by_category[column[names.get(row["category_id"], UNCATEGORISED)]] += row["threads"]
        week.threads += row["threads"]
        week.overdue += row["overdue"]
    members: dict[str, list] = {}
    for week in weeks.values():
        if not week.on_duty:
            continue
        entry = members.setdefault(week.on_duty, [0, 0, 0, {}])
        entry[0] += 1
        entry[1] += week.threads
        entry[2] += week.overdue
        for value, count in histogram.get(week.week, {}).items():
            entry[3][value] = entry[3].get(value, 0) + count
    return InboxReport(
        filters=filters, time_zone=str(zone), categories=used,
        rows=[weeks[w] for w in filters.weeks],
        members=[MemberRow(member=name, weeks=e[0], threads=e[1], overdue=e[2],
                           median_minutes=percentile(e[3], 0.5), p90_minutes=percentile(e[3], 0.9))
                 for name, e in sorted(members.items())])

