"""Who is on duty: one-week shifts in the team's time zone, overrides on top, gaps found ahead.

Pure: members are any hashable values (user ids in the application), shifts a mapping from
a week's Monday to its member. A week runs from Monday 00:00 to the next Monday 00:00 in the
team's time zone, whatever daylight saving does to its length.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def week_of(day: date) -> date:
    """The Monday of `day`'s week (weeks never depend on ISO week-years)."""
    return day - timedelta(days=day.weekday())


def weeks_from(first: date, count: int) -> list[date]:
    start = week_of(first)
    return [start + timedelta(weeks=n) for n in range(count)]


def local_day(instant: datetime, time_zone: str) -> date:
    if instant.tzinfo is None:
        raise ValueError("an instant must be aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def shift_span(week: date, time_zone: str) -> tuple[datetime, datetime]:
    """When a week's shift starts and ends (UTC): local Monday midnight to the next one."""
    zone = ZoneInfo(time_zone)
    monday = week_of(week)
    return (datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC),
            datetime.combine(monday + timedelta(weeks=1), time(0), tzinfo=zone).astimezone(UTC))


@dataclass(frozen=True)
class Cover[T]:
    """`member` is on duty from `start` to `end` (local dates, both included) instead of the
    week's member: one side of a swap, or a cover for some days."""

    start: date
    end: date
    member: T

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a cover ends on or after the day it starts")

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def next_members[M: Hashable](members: Sequence[M], after: M | None, count: int) -> list[M]:
    """`count` members in turn, starting with the one after `after` (or the first member
    when `after` is None or no longer a member)."""
    if not members:
        return []
    start = (members.index(after) + 1) if after in members else 0
    return [members[(start + n) % len(members)] for n in range(count)]


def plan[M: Hashable](members: Sequence[M], after: M | None, weeks: Sequence[date]) -> list[tuple[date, M]]:
    """The next `weeks` in turn after `after`'s shift: [(monday, member), ...]."""
    return list(zip(weeks, next_members(members, after, len(weeks)), strict=False))


def duty_on[M: Hashable](day: date, shifts: Mapping[date, M | None],
            overrides: Sequence[Cover[M]] = ()) -> M | None:
    """Who is on duty on a local date: the newest override covering it, else the week's
    member (None when the week has nobody)."""
    for cover in reversed(overrides):
        if cover.covers(day):
            return cover.member
    return shifts.get(week_of(day))


def on_duty[M: Hashable](instant: datetime, time_zone: str, shifts: Mapping[date, M | None],
            overrides: Sequence[Cover[M]] = ()) -> M | None:
    """Who is on duty at an instant, read in the team's time zone."""
    return duty_on(local_day(instant, time_zone), shifts, overrides)


def gaps[M: Hashable](days: Iterable[date], shifts: Mapping[date, M | None],
         overrides: Sequence[Cover[M]], *, is_member: Callable[[M], bool],
         is_working_day: Callable[[date], bool]) -> list[date]:
    """Working days with nobody on duty: no shift, or a member who has left the rotation."""
    found = []
    for day in days:
        if not is_working_day(day):
            continue
        member = duty_on(day, shifts, overrides)
        if member is None or not is_member(member):
            found.append(day)
    return found


def working_runs(week: date, is_working_day: Callable[[date], bool]) -> list[tuple[date, date]]:
    """A week's working days as runs of consecutive days [(first, last), ...]: a holiday on
    Wednesday splits Monday-to-Friday into Monday-Tuesday and Thursday-Friday."""
    runs: list[tuple[date, date]] = []
    monday = week_of(week)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if not is_working_day(day):
            continue
        if runs and runs[-1][1] == day - timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def duty_runs[M: Hashable](week: date, shifts: Mapping[date, M | None], overrides: Sequence[Cover[M]],
              is_working_day: Callable[[date], bool]) -> list[tuple[date, date, M | None]]:
    """A week's working days grouped by who is on duty: [(first, last, member), ...]."""
    runs: list[tuple[date, date, M | None]] = []
    for first, last in working_runs(week, is_working_day):
        day = first
        while day <= last:
            member = duty_on(day, shifts, overrides)
            if runs and runs[-1][2] == member and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day, member)
            else:
                runs.append((day, day, member))
            day += timedelta(days=1)
    return runs
