"""Business-hours deadlines: weekends, holidays, daylight saving, year ends, time left."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.hours import BusinessHours, describe

DENVER = ZoneInfo("America/Denver")
HOURS = BusinessHours()  # Monday to Friday, 9 to 17 in Denver


def local(*args) -> datetime:
    return datetime(*args, tzinfo=DENVER)


def test_a_deadline_inside_one_day():
    assert HOURS.add(local(2024, 5, 6, 10), timedelta(hours=3)) == local(2024, 5, 6, 13)


def test_a_deadline_crosses_the_weekend():
    # Friday 15:00 + 4 business hours: 2 on Friday, 2 on Monday.
    assert HOURS.add(local(2024, 5, 10, 15), timedelta(hours=4)) == local(2024, 5, 13, 11)


@pytest.mark.parametrize("start", [
    local(2024, 5, 7, 20),  # Tuesday evening
    local(2024, 5, 8, 6, 30),  # Wednesday before opening
])
def test_mail_that_arrives_while_closed_counts_from_the_next_opening(start):
    assert HOURS.add(start, timedelta(hours=1)) == local(2024, 5, 8, 10)


def test_mail_on_saturday_waits_for_monday():
    assert HOURS.add(local(2024, 5, 11, 12), timedelta(hours=8)) == local(2024, 5, 13, 17)


def test_a_deadline_that_uses_up_a_day_falls_at_its_close_not_the_next_morning():
    assert HOURS.add(local(2024, 5, 10, 9), timedelta(hours=8)) == local(2024, 5, 10, 17)
    assert HOURS.add(local(2024, 5, 10, 17), timedelta(hours=8)) == local(2024, 5, 13, 17)


def test_holidays_are_skipped():
    thanksgiving = BusinessHours(holidays={date(2024, 11, 28), date(2024, 11, 29)})
    # Wednesday 16:00 + 2h: one hour on Wednesday, then Thursday and Friday are closed.
    assert thanksgiving.add(local(2024, 11, 27, 16), timedelta(hours=2)) == local(2024, 12, 2,
                                                                                   10)
    assert not thanksgiving.is_open(local(2024, 11, 28, 11))


def test_spring_forward_keeps_nine_to_five_local():
    # Friday 15:00 MST; the clocks go forward on Sunday 10 March 2024.
    due = HOURS.add(local(2024, 3, 8, 15), timedelta(hours=8))
    assert due == local(2024, 3, 11, 15)
    assert due.astimezone(UTC) == datetime(2024, 3, 11, 21, tzinfo=UTC)  # MDT is UTC-6
    assert HOURS.window(date(2024, 3, 8))[0].hour == 16  # 9:00 MST is 16:00 UTC
    assert HOURS.window(date(2024, 3, 11))[0].hour == 15  # 9:00 MDT is 15:00 UTC


def test_fall_back_keeps_nine_to_five_local():
    due = HOURS.add(local(2024, 11, 1, 15), timedelta(hours=4))
    assert due == local(2024, 11, 4, 11)
    assert due.astimezone(UTC) == datetime(2024, 11, 4, 18, tzinfo=UTC)  # MST is UTC-7


def test_year_end_with_new_years_day_off():
    hours = BusinessHours(holidays={date(2025, 12, 25), date(2026, 1, 1)})
    # Wednesday 31 December 16:00 + 2h: an hour that day, Thursday 1 January is a holiday.
    assert hours.add(local(2025, 12, 31, 16), timedelta(hours=2)) == local(2026, 1, 2, 10)
    # Christmas Eve 16:00 + 16h: 1 that day, none on Christmas Day, 8 on Friday, 7 Monday.
    assert hours.add(local(2025, 12, 24, 16), timedelta(hours=16)) == local(2025, 12, 29, 16)


def test_time_left_counts_only_business_hours_and_goes_negative_when_overdue():
    due = local(2024, 5, 13, 11)  # Monday 11:00
    assert HOURS.time_left(local(2024, 5, 10, 16), due) == timedelta(hours=3)
    assert HOURS.time_left(local(2024, 5, 13, 12, 30), due) == -timedelta(hours=1, minutes=30)
    assert HOURS.describe_left(local(2024, 5, 10, 16), due) == "3h 00m left"
    assert HOURS.describe_left(local(2024, 5, 14, 12), due) == "overdue by 1d 1h"
    assert describe(timedelta(minutes=45)) == "45m left"
    # Past due at Friday's close, read that evening: no business time has gone by, but late.
    assert HOURS.describe_left(local(2024, 5, 10, 20), local(2024, 5, 10, 17)) == "overdue"


def test_between_ignores_nights_and_weekends():
    assert HOURS.between(local(2024, 5, 10, 16), local(2024, 5, 13, 10)) == timedelta(hours=2)
    assert HOURS.between(local(2024, 5, 13, 10), local(2024, 5, 10, 16)) == timedelta(0)


@pytest.mark.parametrize(("when", "is_open"), [
    (local(2024, 5, 13, 8, 59), False), (local(2024, 5, 13, 9), True),
    (local(2024, 5, 13, 16, 59), True), (local(2024, 5, 13, 17), False),
    (local(2024, 5, 11, 12), False),
])
def test_is_open(when, is_open):
    assert HOURS.is_open(when) is is_open


def test_next_open():
    assert HOURS.next_open(local(2024, 5, 10, 18)) == local(2024, 5, 13, 9)
    assert HOURS.next_open(local(2024, 5, 13, 10)) == local(2024, 5, 13, 10)


def test_refuses_naive_times_and_unknown_zones():
    with pytest.raises(ValueError, match="aware"):
        HOURS.add(datetime(2024, 5, 13, 10), timedelta(hours=1))
    with pytest.raises(Exception):  # noqa: B017, PT011 - zoneinfo's own error
        BusinessHours(time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="no business day"):
        BusinessHours(weekdays=frozenset()).add(local(2024, 5, 13, 10), timedelta(hours=1))


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(UTC)),
       minutes=st.integers(min_value=0, max_value=60 * 24 * 30))
def test_a_deadline_is_exactly_its_business_time_away(start, minutes):
    hours = BusinessHours(holidays={date(2024, 12, 25), date(2025, 7, 4), date(2026, 1, 1)})
    duration = timedelta(minutes=minutes)
    due = hours.add(start, duration)
    assert hours.between(start, due) == duration
    assert due >= start
    if minutes:
        assert hours.is_open(due - timedelta(microseconds=1))
