"""Business-hours arithmetic: deadlines and time left counted only while the desk is open.

Pure: no database, no settings. Opening and closing are wall-clock times in the team's time
zone, so a day is 9 to 17 local on both sides of a daylight-saving change; the arithmetic
itself runs on absolute instants, so an hour of business time is an hour of real time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "America/Denver"
WEEKDAYS = frozenset(range(5))  # Monday to Friday
# How far ahead a deadline is searched for: a calendar with no open day in ten years is
# a configuration error, not a deadline.
MAX_DAYS = 3660


@dataclass(frozen=True)
class BusinessHours:
    """When the desk is open: `weekdays` (0 = Monday) from `opens` to `closes` local time,
    except on `holidays` (local dates)."""

    time_zone: str = DEFAULT_TIME_ZONE
    opens: time = time(9)
    closes: time = time(17)
    weekdays: frozenset[int] = WEEKDAYS
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("the desk must open before it closes")
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not at the first deadline

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def with_holidays(self, holidays: Iterable[date]) -> BusinessHours:
        return BusinessHours(self.time_zone, self.opens, self.closes, self.weekdays,
                             frozenset(holidays))

    # ---- days ------------------------------------------------------------------------------
    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's opening and closing instants (UTC); only meaningful on a business day."""
        zone = self.zone
        return (datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC),
                datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC))

    def _windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business windows that end after `instant`, in order, clipped to start at it."""
        instant = _aware(instant).astimezone(UTC)
        day = self.local_date(instant)
        for offset in range(MAX_DAYS):
            current = day + timedelta(days=offset)
            if not self.is_business_day(current):
                continue
            opens, closes = self.window(current)
            if closes <= instant:
                continue
            yield max(opens, instant), closes
        raise ValueError(f"no business day within {MAX_DAYS} days of {instant:%Y-%m-%d}")

    # ---- instants --------------------------------------------------------------------------
    def is_open(self, instant: datetime) -> bool:
        instant = _aware(instant).astimezone(UTC)
        day = self.local_date(instant)
        if not self.is_business_day(day):
            return False
        opens, closes = self.window(day)
        return opens <= instant < closes

    def next_open(self, instant: datetime) -> datetime:
        """`instant` itself while open, else the next opening (UTC)."""
        return next(self._windows_from(instant))[0]

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of business time after `start` (a deadline, UTC).

        A deadline that uses up a day exactly falls at that day's closing time, not at the
        next opening: "due by 17:00 Friday" rather than "due at 9:00 Monday".
        """
        if duration < timedelta(0):
            raise ValueError("a deadline lies ahead: the duration cannot be negative")
        left = duration
        for opens, closes in self._windows_from(start):
            if left <= closes - opens:
                return opens + left
            left -= closes - opens
        raise AssertionError("unreachable")  # _windows_from raises first

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero if `end` is not after `start`)."""
        start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._windows_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
            if closes >= end:
                break
        return total

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def describe_left(self, now: datetime, due: datetime) -> str:
        """'3h 20m left', or 'overdue by …' once `due` has passed (even while closed)."""
        if _aware(due) < _aware(now):
            late = self.between(due, now)
            return describe(-late, self.day_length) if late else "overdue"
        return describe(self.time_left(now, due), self.day_length)

    def time_left(self, now: datetime, due: datetime) -> timedelta:
        """Business time until `due`; negative (how far past it) once `due` has passed."""
        if _aware(due) >= _aware(now):
            return self.between(now, due)
        return -self.between(due, now)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("business-hours arithmetic needs aware datetimes")
    return instant


def describe(left: timedelta, day_length: timedelta = timedelta(hours=8)) -> str:
    """'3h 20m left', '45m left', 'overdue by 2d 1h', counting days of business time
    (`day_length`, 8 hours by default), for lists and pages."""
    overdue = left < timedelta(0)
    minutes = int(abs(left).total_seconds() // 60)
    day_minutes = max(1, int(day_length.total_seconds() // 60))
    days, minutes = divmod(minutes, day_minutes)
    hours, minutes = divmod(minutes, 60)
    if days:
        text = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        text = f"{hours}h {minutes:02d}m"
    else:
        text = f"{minutes}m"
    return f"overdue by {text}" if overdue else f"{text} left"
