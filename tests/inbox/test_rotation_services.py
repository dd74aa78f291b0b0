"""The rotation's changes: weeks planned ahead, swaps and covers by the people concerned,
audit lines, and what beat posts to Slack (reminders, overdue threads, gaps)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inbox import rotation as duty
from inbox import selectors, services
from inbox.models import Override, Shift, Thread
from integrations.models import OutboxMessage
from people import roles
from people.models import AuditEvent
from tests.factories import UserFactory
from tests.inbox.factories import ThreadFactory

DENVER = ZoneInfo("America/Denver")
MONDAY = date(2024, 5, 13)


def denver(*args) -> datetime:
    return datetime(*args, tzinfo=DENVER)


def members_by_week(rotation) -> list[tuple[date, str]]:
    return list(Shift.objects.filter(rotation=rotation).order_by("week_start")
                .values_list("week_start", "member__username"))


def on(rotation, day: date):
    return duty.duty_on(day, selectors.shift_map(rotation, day, day),
                        selectors.covers(selectors.active_overrides(rotation, day, day)))


def test_weeks_are_planned_ahead_in_turn_and_kept(rotation, agent):
    planned = services.generate_shifts(rotation=rotation, today=MONDAY + timedelta(days=2))
    assert len(planned) == 4
    assert members_by_week(rotation) == [(MONDAY, "ada"), (date(2024, 5, 20), "grace"),
                                         (date(2024, 5, 27), "linh"), (date(2024, 6, 3), "ada")]
    # Later: Grace leaves the rotation; the planned weeks stay, new ones skip her.
    rotation.members.filter(user__username="grace").delete()
    assert services.generate_shifts(rotation=rotation, today=MONDAY) == []
    services.generate_shifts(rotation=rotation, today=date(2024, 6, 10))
    assert members_by_week(rotation)[-5:] == [(date(2024, 6, 3), "ada"),
                                              (date(2024, 6, 10), "linh"),
                                              (date(2024, 6, 17), "ada"),
                                              (date(2024, 6, 24), "linh"),
                                              (date(2024, 7, 1), "ada")]


def test_members_swap_their_own_weeks_and_cancelling_undoes_both(rotation, agent, other_agent,
                                                                 lin, monkeypatch):
    monkeypatch.setattr(selectors, "local_today", lambda r, now=None: MONDAY)
    services.generate_shifts(rotation=rotation, today=MONDAY)
    ada_week, grace_week = Shift.objects.order_by("week_start")[:2]
    with pytest.raises(PermissionDenied):
        services.swap_shifts(rotation=rotation, shift_id=ada_week.pk,
                             other_shift_id=grace_week.pk, actor=lin)

    services.swap_shifts(rotation=rotation, shift_id=ada_week.pk, other_shift_id=grace_week.pk,
                         actor=other_agent, reason="conference")

    assert on(rotation, MONDAY + timedelta(days=1)) == other_agent.pk
    assert on(rotation, date(2024, 5, 21)) == agent.pk
    line = AuditEvent.objects.get(subject=rotation.subject_key, verb="swap")
    assert line.actor == other_agent and "Swapped weeks" in line.summary
    side = Override.objects.first()
    services.cancel_override(rotation=rotation, override_id=side.pk, actor=agent)
    assert on(rotation, MONDAY + timedelta(days=1)) == agent.pk
    assert on(rotation, date(2024, 5, 21)) == other_agent.pk
    assert not Override.objects.filter(cancelled_at__isnull=True).exists()


def test_a_cover_for_some_days(rotation, agent, other_agent, lin, admin_user, monkeypatch):
    monkeypatch.setattr(selectors, "local_today", lambda r, now=None: MONDAY)
    services.generate_shifts(rotation=rotation, today=MONDAY)
    wednesday, thursday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=3)
    with pytest.raises(PermissionDenied):  # neither Lin nor Ada asked for it
        services.cover_days(rotation=rotation, member=lin, start=wednesday, end=thursday,
                            actor=other_agent)
    cover = services.cover_days(rotation=rotation, member=lin, start=wednesday, end=thursday,
                                actor=lin, reason="Ada at a conference")
    assert cover.replaces == agent and cover.kind == Override.Kind.COVER
    assert [on(rotation, MONDAY + timedelta(days=n)) for n in range(5)] == [
        agent.pk, agent.pk, lin.pk, lin.pk, agent.pk]
    with pytest.raises(ValidationError, match="already"):
        services.cover_days(rotation=rotation, member=lin, start=wednesday, end=wednesday,
                            actor=admin_user)
    with pytest.raises(ValidationError, match="over"):
        services.cover_days(rotation=rotation, member=lin, start=MONDAY - timedelta(days=3),
                            end=MONDAY, actor=admin_user)
    outsider = UserFactory(username="out", role=roles.AGENT)
    with pytest.raises(ValidationError, match="member"):
        services.cover_days(rotation=rotation, member=outsider, start=wednesday, end=thursday,
                            actor=admin_user)
    assert AuditEvent.objects.get(verb="cover").summary == (
        "Linh Tran covers 15 May–16 May 2024 for Ada Lovelace")


def test_only_an_admin_puts_someone_on_a_week(rotation, agent, lin, admin_user):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    shift = Shift.objects.get(week_start=MONDAY)
    with pytest.raises(PermissionDenied):
        services.assign_shift(rotation=rotation, shift_id=shift.pk, member=lin, actor=agent)
    services.assign_shift(rotation=rotation, shift_id=shift.pk, member=lin, actor=admin_user)
    shift.refresh_from_db()
    assert shift.member == lin
    assert AuditEvent.objects.get(verb="assign_shift").summary.startswith("Week of 13 May 2024")


def test_calendar_links_are_revocable(rotation, agent):
    first = services.create_calendar_feed(rotation=rotation, user=agent)
    assert selectors.feed_by_token(first).user == agent
    second = services.create_calendar_feed(rotation=rotation, user=agent)
    assert selectors.feed_by_token(first) is None  # replaced
    assert selectors.feed_by_token(second) is not None
    services.revoke_calendar_feed(rotation=rotation, user=agent, actor=agent)
    assert selectors.feed_by_token(second) is None
    assert selectors.feed_by_token("") is None and selectors.feed_by_token("x" * 500) is None


# ---- beat ------------------------------------------------------------------------------------
def slack_rows(action: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(system="slack", action=action))


def test_the_member_on_duty_is_reminded_at_the_shifts_first_opening(rotation, agent):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    ThreadFactory(last_message_at=denver(2024, 5, 10, 15))  # left over from last week
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 8, 30)) == 0
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 9, 5)) == 1
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 10)) == 0
    [row] = slack_rows("shift_reminder")
    assert row.payload["channel"] == "#edu_services_team"
    assert row.payload["text"].startswith("Ada Lovelace is on LevelUp inbox duty")
    assert "1 open thread handed over" in row.payload["text"]


def test_a_holiday_monday_moves_the_reminder_to_tuesday(rotation):
    from inbox.models import Holiday

    Holiday.objects.create(date=MONDAY, name="Closed")
    services.generate_shifts(rotation=rotation, today=MONDAY)
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 12)) == 0
    assert services.send_shift_reminders(now=denver(2024, 5, 14, 9)) == 1


def test_overdue_threads_are_flagged_once_and_only_during_business_hours(rotation, agent):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    late = ThreadFactory(first_response_due_at=denver(2024, 5, 14, 10), subject="No badge")
    ThreadFactory(first_response_due_at=denver(2024, 5, 14, 10),
                  responded_at=denver(2024, 5, 14, 9))  # answered in time
    ThreadFactory(first_response_due_at=denver(2024, 5, 20, 10))  # not due yet
    assert services.flag_overdue_threads(now=denver(2024, 5, 14, 20)) == 0  # closed
    assert services.flag_overdue_threads(now=denver(2024, 5, 15, 9, 30)) == 1
    assert services.flag_overdue_threads(now=denver(2024, 5, 15, 10)) == 0
    [row] = slack_rows("overdue")
    assert row.payload["text"].startswith("Ada Lovelace: 1 inbox thread passed")
    assert "No badge" in row.payload["text"]
    late.refresh_from_db()
    assert late.overdue_flagged_at is not None


def test_a_week_nobody_covers_is_flagged_to_admins_ahead_of_time(rotation, agent, lin,
                                                                monkeypatch):
    monkeypatch.setattr(selectors, "local_today", lambda r, now=None: MONDAY)
    services.generate_shifts(rotation=rotation, today=MONDAY)
    lin.is_active = False  # Linh left; her week (27 May) has nobody
    lin.save()
    now = denver(2024, 5, 13, 10)
    assert services.flag_rotation_gaps(now=now) == 1
    assert services.flag_rotation_gaps(now=now) == 0
    [row] = slack_rows("rotation_gap")
    assert "week of 27 May 2024 (Mon, Tue, Wed, Thu, Fri)" in row.payload["text"]
    assert row.payload["text"].startswith("Admins:")


def test_threads_of_a_rotation(rotation, group_mailbox):
    group_mailbox.rotation = rotation
    group_mailbox.save()
    thread = ThreadFactory()
    assert list(Thread.objects.filter(selectors.threads_of(rotation))) == [thread]
