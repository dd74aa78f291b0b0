"""Certifications issued per month by audience: the figures, read through badges' selectors.

Counts come from monthly counts kept current from the badges' changes (reports.rollup); the
months are the team's (inbox rotation's time zone), so a badge issued at 05:00 UTC on
1 March belongs to February in Denver. Revoked badges are counted apart, and a chain of
badges (replaced, or revoked and reissued) once. Closed months frozen by the monthly job
are read beside today's count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Sum

from badges import selectors as badges
from inbox import selectors as inbox

from . import months as cal
from . import rollup
from .models import CertificationSnapshot, FrozenMonth

DEFAULT_MONTHS = 12
MAX_MONTHS = 120
NO_AUDIENCE = "No audience"


def team_zone() -> ZoneInfo:
    return ZoneInfo(inbox.team_time_zone())


@dataclass(frozen=True)
class CertificationFilters:
    first: date
    last: date
    certification: str = ""  # a certification's code
    template: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None, today: date) -> CertificationFilters:
        """From ?from=YYYY-MM&to=YYYY-MM&certification=code&template=id; the last twelve
        months by default. ValidationError names the field in error."""
        params = params or {}
        this_month = today.replace(day=1)
        try:
            last = cal.parse_month(params["to"]) if params.get("to") else this_month
        except ValueError as exc:
            raise ValidationError({"to": str(exc)}) from None
        try:
            first = (cal.parse_month(params["from"]) if params.get("from")
                     else cal.add_months(last, 1 - DEFAULT_MONTHS))
        except ValueError as exc:
            raise ValidationError({"from": str(exc)}) from None
        if first > last:
            raise ValidationError({"from": "The first month comes after the last."})
        if len(cal.months_between(first, last)) > MAX_MONTHS:
            raise ValidationError({"from": f"Choose at most {MAX_MONTHS} months."})
        template = (params.get("template") or "").strip()
        if template and not template.isdigit():
            raise ValidationError({"template": "Choose a template from the list."})
        return cls(first=first, last=last,
                   certification=(params.get("certification") or "").strip(),
                   template=int(template) if template else None)

    def as_params(self) -> dict[str, str]:
        params = {"from": f"{self.first:%Y-%m}", "to": f"{self.last:%Y-%m}"}
        if self.certification:
            params["certification"] = self.certification
        if self.template:
            params["template"] = str(self.template)
        return params


@dataclass
class MonthRow:
    month: date
    by_audience: list[int]
    issued: int
    revoked: int
    change: int | None = None  # against the month before
    change_percent: float | None = None
    snapshot_issued: int | None = None  # None: the month was not frozen
    snapshot_revoked: int | None = None

    @property
    def is_frozen(self) -> bool:
        return self.snapshot_issued is not None

    @property
    def differs_from_snapshot(self) -> bool:
        return self.is_frozen and (self.snapshot_issued, self.snapshot_revoked) != (
            self.issued, self.revoked)


@dataclass
class CertificationReport:
    filters: CertificationFilters
    time_zone: str
    audiences: list[str]
    rows: list[MonthRow]
    totals: list[int] = field(default_factory=list)

    @property
    def issued(self) -> int:
        return sum(row.issued for row in self.rows)

    @property
    def revoked(self) -> int:
        return sum(row.revoked for row in self.rows)

    @property
    def any_snapshot_differs(self) -> bool:
        return any(row.differs_from_snapshot for row in self.rows)


def template_ids(filters: CertificationFilters) -> list[int] | None:
    """The templates the filters leave (None: all)."""
    chosen: set[int] | None = None
    if filters.certification:
        found = [c.badge_template_id for c in badges.certifications()
                 if c.code == filters.certification]
        if not found:
            raise ValidationError({"certification": "No such certification."})
        chosen = set(found)
    if filters.template is not None:
        chosen = {filters.template} if chosen is None else chosen & {filters.template}
    return None if chosen is None else sorted(chosen)


def _snapshots(first: date, last: date, ids: list[int] | None) -> dict[date, tuple[int, int]]:
    """Frozen figures per month in [first, last] (0, 0 for a month frozen with no badge)."""
    frozen = {m: (0, 0) for m in FrozenMonth.objects.filter(
        month__gte=first, month__lte=last).values_list("month", flat=True)}
    rows = CertificationSnapshot.objects.filter(month__gte=first, month__lte=last)
    if ids is not None:
        rows = rows.filter(template_id__in=ids)
    for row in rows.values("month").annotate(issued=Sum("issued"), revoked=Sum("revoked")):
        frozen[row["month"]] = (row["issued"], row["revoked"])
    return frozen


def counts(first: date, last: date, zone: ZoneInfo, ids: list[int] | None
           ) -> dict[tuple[date, int, bool], int]:
    """(month, template id, revoked) -> badges, for months first..last in `zone`."""
    return rollup.counts(first, last, zone, ids)


def certification_report(filters: CertificationFilters, *, zone: ZoneInfo | None = None
                         ) -> CertificationReport:
    """The report: the monthly counts (the month before the range included, for the first
    month's change), the templates, the snapshots; a fixed number of queries."""
    zone = zone or team_zone()
    ids = template_ids(filters)
    before = cal.add_months(filters.first, -1)
    counted = counts(before, filters.last, zone, ids)
    audience_of = {t.pk: (t.audience.name if t.audience else NO_AUDIENCE)
                   for t in badges.templates_with_audience()}
    names = sorted({audience_of.get(t, NO_AUDIENCE) for (month, t, revoked) in counted
                    if not revoked and month >= filters.first})
    names = [n for n in names if n != NO_AUDIENCE] + ([NO_AUDIENCE] if NO_AUDIENCE in names else [])
    column = {name: index for index, name in enumerate(names)}
    snapshots = _snapshots(filters.first, filters.last, ids)
    rows: dict[date, MonthRow] = {m: MonthRow(month=m, by_audience=[0] * len(names), issued=0,
                                              revoked=0)
                                  for m in cal.months_between(before, filters.last)}
    for (month, template, revoked), number in counted.items():
        row = rows.get(month)
        if row is None:
            continue
        if revoked:
            row.revoked += number
        elif month < filters.first:  # the month before counts only for the first change
            row.issued += number
        else:
            row.by_audience[column[audience_of.get(template, NO_AUDIENCE)]] += number
            row.issued += number
    ordered = [rows[m] for m in cal.months_between(before, filters.last)]
    for previous, row in zip(ordered, ordered[1:], strict=False):
        row.change = row.issued - previous.issued
        row.change_percent = (round(100 * row.change / previous.issued, 1)
                              if previous.issued else None)
        if row.month in snapshots:
            row.snapshot_issued, row.snapshot_revoked = snapshots[row.month]
    shown = ordered[1:]
    totals = [sum(row.by_audience[i] for row in shown) for i in range(len(names))]
    return CertificationReport(filters=filters, time_zone=str(zone), audiences=names, rows=shown,
                               totals=totals)
