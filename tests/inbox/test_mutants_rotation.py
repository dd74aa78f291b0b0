"""Rotation arithmetic no test pinned (python -m mutation inbox/rotation.py)."""

from datetime import date

from inbox import rotation as duty

MONDAY = date(2026, 3, 2)


def weekdays(day: date) -> bool:
    return day.weekday() < 5


def test_a_rotation_without_members_plans_nobody():
    assert duty.plan([], None, [MONDAY, date(2026, 3, 9)]) == []


def test_a_full_working_week_is_one_run():
    assert duty.working_runs(MONDAY, weekdays) == [(MONDAY, date(2026, 3, 6))]


def test_a_week_with_one_member_on_duty_is_one_run():
    shifts = {MONDAY: "ada"}
    assert duty.duty_runs(MONDAY, shifts, [], weekdays) == [(MONDAY, date(2026, 3, 6), "ada")]
