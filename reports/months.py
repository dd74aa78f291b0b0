"""Calendar months in the team's time zone: parsing "YYYY-MM", ranges, their UTC bounds. Pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def parse_month(text: str) -> date:
    """ "2026-03" -> date(2026, 3, 1); ValueError otherwise."""
    year, _, month = (text or "").strip().partition("-")
    if len(year) != 4 or not year.isdigit() or not month.isdigit():
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return date(int(year), int(month), 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first` to `last`, both included."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def start_of(month: date, zone: ZoneInfo) -> datetime:
    """The instant the month begins in `zone` (aware)."""
    return datetime(month.year, month.month, 1, tzinfo=zone)


def month_of(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date().replace(day=1)
