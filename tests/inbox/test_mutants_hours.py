"""Business-hours arithmetic no test pinned (python -m mutation inbox/hours.py)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.hours import BusinessHours, describe


def test_a_desk_that_closes_before_it_opens_is_refused():
    with pytest.raises(ValueError, match="open before it closes"):
        BusinessHours(opens=time(17), closes=time(9))
    with pytest.raises(ValueError):
        BusinessHours(opens=time(9), closes=time(9))


def test_hours_given_as_lists_are_still_usable_as_keys():
    hours = BusinessHours(holidays=[date(2026, 12, 25)], weekdays=[0, 1, 2, 3, 4])
    assert hash(hours) == hash(BusinessHours(holidays={date(2026, 12, 25)}))


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        BusinessHours().add(datetime(2026, 3, 2, 16, tzinfo=UTC), timedelta(minutes=-1))


def test_a_deadline_is_given_in_utc_whatever_the_start_zone():
    start = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("America/Denver"))
    due = BusinessHours().add(start, timedelta(hours=1))
    assert due.tzinfo == UTC and due == datetime(2026, 3, 2, 18, tzinfo=UTC)


def test_just_under_a_business_day_is_shown_in_hours():
    assert describe(timedelta(hours=7, minutes=55)) == "7h 55m left"
    assert describe(timedelta(hours=8)) == "1d left"
