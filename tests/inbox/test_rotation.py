"""Who is on duty: weeks in the team's time zone, turns, overrides and gaps (pure)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox import rotation as duty

DENVER = "America/Denver"
ADA, GRACE, LIN = "ada", "grace", "lin"


def test_weeks_start_on_monday_across_a_year_end():
    assert duty.week_of(date(2026, 1, 1)) == date(2025, 12, 29)
    assert duty.weeks_from(date(2026, 1, 3), 3) == [date(2025, 12, 29), date(2026, 1, 5),
                                                    date(2026, 1, 12)]
    # 3 January 2021 is in ISO week 53 of 2020; a week named by its Monday never cares.
    assert date(2021, 1, 3).isocalendar()[:2] == (2020, 53)
    assert duty.week_of(date(2021, 1, 3)) == date(2020, 12, 28)


def test_members_take_turns_after_the_last_week():
    members = [ADA, GRACE, LIN]
    assert duty.next_members(members, GRACE, 4) == [LIN, ADA, GRACE, LIN]
    assert duty.next_members(members, None, 2) == [ADA, GRACE]
    assert duty.next_members(members, "someone-who-left", 1) == [ADA]
    assert duty.next_members([], ADA, 3) == []
    weeks = duty.weeks_from(date(2025, 12, 22), 3)
    assert duty.plan(members, ADA, weeks) == [(date(2025, 12, 22), GRACE),
                                              (date(2025, 12, 29), LIN),
                                              (date(2026, 1, 5), ADA)]


SHIFTS = {date(2024, 3, 4): ADA, date(2024, 3, 11): GRACE,
          date(2024, 10, 28): ADA, date(2024, 11, 4): GRACE}


def test_the_week_changes_at_local_midnight_on_the_day_daylight_saving_starts():
    # Sunday 10 March 2024, 23:30 MDT is already Monday 05:30 in UTC: still Ada's week.
    sunday_night = datetime(2024, 3, 10, 23, 30, tzinfo=ZoneInfo(DENVER))
    assert sunday_night.astimezone(UTC).date() == date(2024, 3, 11)
    assert duty.on_duty(sunday_night, DENVER, SHIFTS) == ADA
    assert duty.on_duty(sunday_night + timedelta(hours=1), DENVER, SHIFTS) == GRACE


def test_the_week_changes_at_local_midnight_after_clocks_go_back():
    sunday_night = datetime(2024, 11, 4, 6, 30, tzinfo=UTC)  # 23:30 MST on Sunday 3 November
    assert duty.on_duty(sunday_night, DENVER, SHIFTS) == ADA
    assert duty.on_duty(sunday_night + timedelta(minutes=31), DENVER, SHIFTS) == GRACE


def test_a_week_is_167_or_169_hours_when_the_clocks_change():
    def length(monday):
        start, end = duty.shift_span(monday, DENVER)
        return (end - start) / timedelta(hours=1)
    assert length(date(2024, 3, 4)) == 167
    assert length(date(2024, 10, 28)) == 169
    assert length(date(2024, 5, 6)) == 168


def test_overrides_win_and_the_newest_wins_most():
    covers = [duty.Cover(date(2024, 3, 13), date(2024, 3, 14), LIN),
              duty.Cover(date(2024, 3, 14), date(2024, 3, 14), ADA)]
    assert duty.duty_on(date(2024, 3, 12), SHIFTS, covers) == GRACE
    assert duty.duty_on(date(2024, 3, 13), SHIFTS, covers) == LIN
    assert duty.duty_on(date(2024, 3, 14), SHIFTS, covers) == ADA
    assert duty.duty_on(date(2024, 3, 15), SHIFTS, covers) == GRACE
    assert duty.duty_on(date(2030, 1, 1), SHIFTS, covers) is None
    with pytest.raises(ValueError):
        duty.Cover(date(2024, 3, 14), date(2024, 3, 13), LIN)


def test_gaps_are_working_days_with_nobody_or_someone_who_left():
    shifts = {date(2024, 12, 23): ADA, date(2024, 12, 30): None}
    holidays = {date(2024, 12, 25), date(2025, 1, 1)}

    def working(day):
        return day.weekday() < 5 and day not in holidays
    days = [date(2024, 12, 23) + timedelta(days=n) for n in range(21)]
    found = duty.gaps(days, shifts, [duty.Cover(date(2024, 12, 31), date(2024, 12, 31), LIN)],
                      is_member=lambda m: m != LIN, is_working_day=working)
    # The week of 30 December has nobody (New Year's Day is off anyway; Lin covers the
    # 31st but has left the rotation); the week of 6 January was never planned.
    assert found == [date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 2),
                     date(2025, 1, 3)] + [date(2025, 1, 6) + timedelta(days=n) for n in range(5)]
    assert duty.gaps(days[:7], shifts, [], is_member=lambda m: True,
                     is_working_day=working) == []


def test_working_runs_split_around_holidays_and_covers():
    monday = date(2024, 12, 23)

    def working(day):
        return day.weekday() < 5 and day != date(2024, 12, 25)
    assert duty.working_runs(monday, working) == [(date(2024, 12, 23), date(2024, 12, 24)),
                                                  (date(2024, 12, 26), date(2024, 12, 27))]
    runs = duty.duty_runs(monday, {monday: ADA},
                          [duty.Cover(date(2024, 12, 27), date(2024, 12, 27), GRACE)], working)
    assert runs == [(date(2024, 12, 23), date(2024, 12, 24), ADA),
                    (date(2024, 12, 26), date(2024, 12, 26), ADA),
                    (date(2024, 12, 27), date(2024, 12, 27), GRACE)]


def test_an_instant_must_be_aware():
    with pytest.raises(ValueError):
        duty.on_duty(datetime(2024, 3, 11, 9), DENVER, SHIFTS)
