"""What the team would notice if a rotation service went subtly wrong.

Each test here kills mutants of inbox/services/rotation.py that the rest of the suite let
live (python -m mutation inbox/services/rotation.py): weeks planned out of turn or taken by
another rotation's plan, a swap or cover recorded without who or why, the wrong override
cancelled, another person's calendar link revoked, a reminder for nobody, overdue threads
listed past what Slack shows or flagged without being posted.
"""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inbox import selectors, services
from inbox.models import CalendarFeed, Override, Shift, Thread
from integrations.models import OutboxMessage
from people import roles
from people.models import AuditEvent
from tests.factories import UserFactory
from tests.inbox.factories import ThreadFactory, rotation_with
from tests.inbox.test_rotation_services import MONDAY, denver

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_is_monday(monkeypatch):
    monkeypatch.setattr(selectors, "local_today", lambda r, now=None: MONDAY)


def weeks(rotation) -> list[str | None]:
    return list(Shift.objects.filter(rotation=rotation).order_by("week_start")
                .values_list("member__username", flat=True))


def week(rotation, monday: date) -> Shift:
    return Shift.objects.get(rotation=rotation, week_start=monday)


def last(verb: str) -> AuditEvent:
    return AuditEvent.objects.filter(verb=verb).order_by("pk").last()


# ---- planning --------------------------------------------------------------------------------
def test_planning_follows_on_from_the_last_member_not_a_gap_or_a_later_week(rotation, agent,
                                                                             other_agent, lin):
    before = MONDAY - timedelta(days=14)
    Shift.objects.create(rotation=rotation, week_start=before, member=agent)
    Shift.objects.create(rotation=rotation, week_start=MONDAY - timedelta(days=7), member=None)
    Shift.objects.create(rotation=rotation, week_start=MONDAY + timedelta(days=7), member=agent)
    lin.is_active = False  # left the team: no new weeks
    lin.save()

    services.generate_shifts(rotation=rotation, today=MONDAY)

    # After Ada (the gap is nobody's turn): Grace; then Ada's planned week; then Grace, Ada.
    assert weeks(rotation) == ["ada", None, "grace", "ada", "grace", "ada"]


def test_a_week_planned_ahead_by_hand_does_not_lead_the_weeks_before_it(rotation, agent,
                                                                        other_agent):
    Shift.objects.create(rotation=rotation, week_start=MONDAY - timedelta(days=7), member=agent)
    Shift.objects.create(rotation=rotation, week_start=MONDAY + timedelta(days=14),
                         member=other_agent)

    services.generate_shifts(rotation=rotation, today=MONDAY)

    assert weeks(rotation) == ["ada", "grace", "linh", "grace", "linh"]


def test_another_rotations_weeks_neither_fill_nor_lead_this_ones(rotation, other_agent):
    partners = rotation_with(other_agent, name="Partners")
    partners.weeks_ahead = 3
    partners.save()
    Shift.objects.create(rotation=partners, week_start=MONDAY - timedelta(days=7),
                         member=other_agent)
    services.generate_shifts(rotation=partners, today=MONDAY)

    services.generate_shifts(rotation=rotation, today=MONDAY)

    assert weeks(rotation) == ["ada", "grace", "linh", "ada"]


def test_beat_plans_every_rotation(rotation):
    added = services.plan_all(now=denver(2024, 5, 13, 9))
    assert added == Shift.objects.count() and weeks(rotation)[:4] == ["ada", "grace", "linh", "ada"]
    assert week(rotation, MONDAY).member.username == "ada"


# ---- swaps -----------------------------------------------------------------------------------
def test_a_swap_records_both_sides_with_who_and_why(rotation, agent, other_agent,
                                                    today_is_monday):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    ada_week, grace_week = week(rotation, MONDAY), week(rotation, MONDAY + timedelta(days=7))
    reason = "conference " * 30

    services.swap_shifts(rotation=rotation, shift_id=ada_week.pk, other_shift_id=grace_week.pk,
                         actor=agent, reason=reason)

    sides = list(Override.objects.order_by("start_date").values_list(
        "kind", "start_date", "end_date", "member__username", "replaces__username", "reason",
        "created_by__username"))
    assert sides == [
        ("swap", MONDAY, MONDAY + timedelta(days=6), "grace", "ada", reason[:200], "ada"),
        ("swap", MONDAY + timedelta(days=7), MONDAY + timedelta(days=13), "ada", "grace",
         reason[:200], "ada")]
    assert last("swap").changes == {"weeks": ["2024-05-13", "2024-05-20"],
                                    "members": [agent.pk, other_agent.pk], "reason": reason}


def test_a_swap_that_cannot_be_is_refused_with_why(rotation, agent, admin_user, monkeypatch):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    first, second, third, fourth = Shift.objects.filter(rotation=rotation).order_by("week_start")
    fourth_gap = Shift.objects.filter(pk=fourth.pk)
    fourth_gap.update(member=None)
    partners = rotation_with(agent, name="Partners")
    elsewhere = Shift.objects.create(rotation=partners, week_start=MONDAY, member=agent)
    monkeypatch.setattr(selectors, "local_today", lambda r, now=None: MONDAY + timedelta(days=7))

    def swap(a, b):
        services.swap_shifts(rotation=rotation, shift_id=a.pk, other_shift_id=b.pk,
                             actor=admin_user)

    with pytest.raises(ValidationError, match="not planned in this rotation"):
        swap(second, elsewhere)
    with pytest.raises(ValidationError, match="needs someone in both weeks"):
        swap(second, fourth)
    Shift.objects.filter(pk=third.pk).update(member=second.member)
    with pytest.raises(ValidationError, match="same person's"):
        swap(second, third)
    with pytest.raises(ValidationError, match="week that is over"):
        swap(first, second)  # last week ended yesterday, Sunday
    assert not Override.objects.exists()


# ---- covers ----------------------------------------------------------------------------------
def test_a_cover_across_two_weeks_replaces_both_and_says_so(rotation, agent, other_agent, lin,
                                                            today_is_monday):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    friday, monday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=7)
    reason = "offsite " * 40

    cover = services.cover_days(rotation=rotation, member=lin, start=friday, end=monday,
                                actor=lin, reason=reason)

    cover.refresh_from_db()
    assert (cover.replaces, cover.reason, cover.created_by) == (None, reason[:200], lin)
    line = last("cover")
    assert line.summary == "Linh Tran covers 17 May–20 May 2024 for Ada Lovelace, Grace Hopper"
    assert line.changes == {"override": cover.pk, "member": lin.pk,
                            "replaces": sorted([agent.pk, other_agent.pk]), "reason": reason}


def test_a_cover_of_a_weekend_replaces_only_whoever_had_it(rotation, agent, other_agent,
                                                           today_is_monday):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    friday, sunday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=6)

    # Grace covers the end of Ada's week, up to where her own begins.
    cover = services.cover_days(rotation=rotation, member=other_agent, start=friday,
                                end=sunday, actor=other_agent)

    assert cover.replaces == agent
    assert last("cover").summary == "Grace Hopper covers 17 May–19 May 2024 for Ada Lovelace"


def test_a_cover_that_includes_the_coverers_own_days_replaces_only_the_others(
        rotation, agent, other_agent, today_is_monday):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    friday, monday = MONDAY + timedelta(days=4), MONDAY + timedelta(days=7)

    cover = services.cover_days(rotation=rotation, member=other_agent, start=friday, end=monday,
                                actor=other_agent)

    assert cover.replaces == agent
    assert last("cover").summary == "Grace Hopper covers 17 May–20 May 2024 for Ada Lovelace"


def test_a_cover_the_wrong_way_round_or_too_long_is_refused(rotation, lin, today_is_monday):
    with pytest.raises(ValidationError, match="ends on or after the day it starts"):
        services.cover_days(rotation=rotation, member=lin, start=MONDAY + timedelta(days=2),
                            end=MONDAY + timedelta(days=1), actor=lin)
    with pytest.raises(ValidationError, match="Cover at most 31 days"):
        services.cover_days(rotation=rotation, member=lin, start=MONDAY,
                            end=MONDAY + timedelta(days=31), actor=lin)


# ---- cancelling ------------------------------------------------------------------------------
def test_cancelling_undoes_that_override_only_and_only_once(rotation, agent, other_agent, lin,
                                                            today_is_monday):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    wednesday = MONDAY + timedelta(days=2)
    keep = services.cover_days(rotation=rotation, member=lin, start=wednesday, end=wednesday,
                               actor=lin)
    grace_week, linh_week = week(rotation, MONDAY + timedelta(days=7)), week(
        rotation, MONDAY + timedelta(days=14))
    swap = services.swap_shifts(rotation=rotation, shift_id=grace_week.pk,
                                other_shift_id=linh_week.pk, actor=lin)
    cancel = services.cover_days(rotation=rotation, member=lin, start=MONDAY + timedelta(days=3),
                                 end=MONDAY + timedelta(days=3), actor=lin)
    partners = rotation_with(agent, name="Partners")

    with pytest.raises(PermissionDenied):  # Grace is not concerned by Lin's cover of Ada
        services.cancel_override(rotation=rotation, override_id=cancel.pk, actor=other_agent)
    with pytest.raises(ValidationError, match="not in force"):
        services.cancel_override(rotation=partners, override_id=cancel.pk, actor=lin)
    assert services.cancel_override(rotation=rotation, override_id=cancel.pk, actor=lin) == 1
    with pytest.raises(ValidationError, match="not in force"):
        services.cancel_override(rotation=rotation, override_id=cancel.pk, actor=lin)
    assert services.cancel_override(rotation=rotation, override_id=swap[0].pk, actor=lin) == 2

    active = set(Override.objects.filter(cancelled_at__isnull=True).values_list("pk", flat=True))
    assert active == {keep.pk}
    assert last("cancel_override").changes == {"overrides": sorted(o.pk for o in swap)}
    assert AuditEvent.objects.filter(verb="cancel_override").count() == 2


# ---- admins' week assignments ----------------------------------------------------------------
def test_an_admin_fills_or_clears_a_week_with_the_before_and_after(rotation, agent, lin,
                                                                   admin_user):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    shift = week(rotation, MONDAY)
    outsider = UserFactory(username="out", role=roles.AGENT)
    with pytest.raises(ValidationError, match="Only a member of the rotation can take a week"):
        services.assign_shift(rotation=rotation, shift_id=shift.pk, member=outsider,
                              actor=admin_user)

    services.assign_shift(rotation=rotation, shift_id=shift.pk, member=lin, actor=admin_user)
    services.assign_shift(rotation=rotation, shift_id=shift.pk, member=None, actor=admin_user)

    assert week(rotation, MONDAY).member is None
    filled, cleared = AuditEvent.objects.filter(verb="assign_shift").order_by("pk")
    assert filled.changes == {"week": "2024-05-13", "member": [agent.pk, lin.pk]}
    assert cleared.changes == {"week": "2024-05-13", "member": [lin.pk, None]}
    assert cleared.summary == "Week of 13 May 2024: nobody (was Linh Tran)"
    services.assign_shift(rotation=rotation, shift_id=shift.pk, member=agent, actor=admin_user)
    assert last("assign_shift").changes["member"] == [None, agent.pk]


# ---- calendar links --------------------------------------------------------------------------
def test_a_new_calendar_link_ends_only_its_owners_old_one(rotation, agent, other_agent):
    partners = rotation_with(agent, name="Partners")
    other_rotation = services.create_calendar_feed(rotation=partners, user=agent)
    colleague = services.create_calendar_feed(rotation=rotation, user=other_agent)
    first = services.create_calendar_feed(rotation=rotation, user=agent)
    second = services.create_calendar_feed(rotation=rotation, user=agent)
    ended = CalendarFeed.objects.get(token_hash=selectors.token_hash(first)).revoked_at

    services.create_calendar_feed(rotation=rotation, user=agent)

    assert len(second) == 43  # 32 random bytes
    assert selectors.feed_by_token(other_rotation) and selectors.feed_by_token(colleague)
    assert CalendarFeed.objects.get(token_hash=selectors.token_hash(first)).revoked_at == ended
    assert AuditEvent.objects.filter(verb="calendar_link", actor=agent).count() == 4


def test_revoking_a_calendar_link_is_for_its_owner_or_an_admin(rotation, agent, other_agent,
                                                               admin_user):
    partners = rotation_with(agent, name="Partners")
    other_rotation = services.create_calendar_feed(rotation=partners, user=agent)
    colleague = services.create_calendar_feed(rotation=rotation, user=other_agent)
    services.create_calendar_feed(rotation=rotation, user=agent)
    with pytest.raises(PermissionDenied, match="Only its owner or an admin"):
        services.revoke_calendar_feed(rotation=rotation, user=agent, actor=other_agent)

    assert services.revoke_calendar_feed(rotation=rotation, user=agent, actor=admin_user) == 1
    assert services.revoke_calendar_feed(rotation=rotation, user=agent, actor=agent) == 0

    assert selectors.feed_by_token(other_rotation) and selectors.feed_by_token(colleague)
    [revoked] = AuditEvent.objects.filter(verb="calendar_revoke")
    assert (revoked.actor, revoked.summary) == (admin_user, "Revoked Ada Lovelace's calendar link")


def test_a_fetch_is_noted_on_that_link_only(rotation, agent, other_agent):
    mine = selectors.feed_by_token(services.create_calendar_feed(rotation=rotation, user=agent))
    services.create_calendar_feed(rotation=rotation, user=other_agent)
    services.note_feed_fetched(mine)
    fetched = dict(CalendarFeed.objects.values_list("user__username", "last_fetched_at"))
    assert fetched["ada"] is not None and fetched["grace"] is None


# ---- what beat does --------------------------------------------------------------------------
def slack(action: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(system="slack", action=action).order_by("pk"))


def test_one_reminder_per_shift_even_after_an_unreminded_week(rotation, other_agent):
    services.generate_shifts(rotation=rotation, today=MONDAY - timedelta(days=7))  # last week's too
    partners = rotation_with(other_agent, name="Partners")
    Shift.objects.create(rotation=partners, week_start=MONDAY, member=None)  # a gap there
    ThreadFactory()
    ThreadFactory(status=Thread.Status.DONE)

    assert services.send_shift_reminders(now=denver(2024, 5, 13, 9, 5)) == 1
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 10)) == 0

    [row] = slack("shift_reminder")
    assert row.payload["text"] == ("Grace Hopper is on LevelUp inbox duty this week (from Mon "
                                   "13 May). 1 open thread handed over.")
    assert services.send_shift_reminders() == 0  # beat passes no time: now


def test_a_week_nobody_is_on_gets_no_reminder(rotation, admin_user):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    services.assign_shift(rotation=rotation, shift_id=week(rotation, MONDAY).pk, member=None,
                          actor=admin_user)
    assert services.send_shift_reminders(now=denver(2024, 5, 13, 9, 5)) == 0


def test_overdue_threads_beyond_twenty_wait_for_the_next_run(rotation, admin_user):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    services.assign_shift(rotation=rotation, shift_id=week(rotation, MONDAY).pk, member=None,
                          actor=admin_user)
    due = denver(2024, 5, 14, 10)
    ThreadFactory(first_response_due_at=due - timedelta(hours=2), subject="")
    ThreadFactory(first_response_due_at=due - timedelta(hours=1), subject="L" * 70)
    for n in range(19):
        ThreadFactory(first_response_due_at=due + timedelta(minutes=n))
    later = ThreadFactory(first_response_due_at=denver(2024, 5, 20, 10))

    assert services.flag_overdue_threads(now=denver(2024, 5, 15, 9, 30)) == 20

    [row] = slack("overdue")
    text = row.payload["text"]
    assert text.startswith("Nobody is on duty: 20 inbox threads passed the first-response time: ")
    assert text.endswith(" and 15 more.") and text.count("”") == 5
    links = row.payload["links"]
    assert len(links) == 5 and [link["label"] for link in links[:2]] == ["thread", "L" * 60]
    assert Thread.objects.filter(overdue_flagged_at__isnull=True).count() == 2
    assert services.flag_overdue_threads(now=denver(2024, 5, 15, 9, 45)) == 1
    assert Thread.objects.get(pk=later.pk).overdue_flagged_at is None


@pytest.mark.parametrize(("count", "ending"), [(5, ")."), (6, ") and 1 more.")])
def test_five_overdue_threads_are_listed_then_the_rest_counted(rotation, count, ending):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    for n in range(count):
        ThreadFactory(first_response_due_at=denver(2024, 5, 14, 10, n))
    assert services.flag_overdue_threads(now=denver(2024, 5, 15, 9, 30)) == count
    [row] = slack("overdue")
    assert row.payload["text"].endswith(ending)
    assert services.flag_overdue_threads() == 0  # beat passes no time: now


def test_a_gap_is_flagged_up_to_its_last_day_and_each_new_one_too(rotation, lin, admin_user):
    services.generate_shifts(rotation=rotation, today=MONDAY)
    services.assign_shift(rotation=rotation, shift_id=week(rotation, MONDAY).pk, member=None,
                          actor=admin_user)

    friday = denver(2024, 5, 17, 10)  # the gap's last working day
    assert services.flag_rotation_gaps(now=friday) == 1
    [row] = slack("rotation_gap")
    assert row.payload["text"].endswith("rotation on: week of 13 May 2024 (Fri).")

    lin.is_active = False  # Linh left: her week (27 May) has nobody now
    lin.save()
    assert services.flag_rotation_gaps(now=friday) == 1
    assert "week of 27 May 2024" in slack("rotation_gap")[-1].payload["text"]


def test_beat_without_a_time_works_on_this_weeks_shifts(rotation, admin_user):
    """Beat passes no time: these run on now, on this week's shifts, once each."""
    services.generate_shifts(rotation=rotation)
    gap = Shift.objects.filter(rotation=rotation).order_by("week_start").last()
    services.assign_shift(rotation=rotation, shift_id=gap.pk, member=None, actor=admin_user)

    assert services.send_shift_reminders() in (0, 1)
    assert services.flag_rotation_gaps() == 1
    assert services.flag_rotation_gaps() == 0
