"""Changes to the rotation: shifts planned ahead, swaps and covers, gaps filled, calendar
links; each with its audit line. The reminders and flags beat sends to Slack live here too."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from integrations import outbox
from people import audit
from people.roles import ADMIN, has_role

from .. import rotation as duty
from .. import selectors
from ..models import CalendarFeed, Override, Rotation, Shift, Thread
from .threads import SLACK, thread_url

MAX_COVER_DAYS = 31


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "nobody"


def _member_ids(rotation: Rotation) -> list[int]:
    """Active members in their order."""
    return list(rotation.members.filter(user__is_active=True).order_by("position", "id")
                .values_list("user_id", flat=True))


def _check_allowed(actor, rotation: Rotation, concerned: set[int | None]) -> None:
    """Admins change anything; a member changes only what concerns them."""
    if has_role(actor, ADMIN):
        return
    if actor is None or actor.pk not in concerned:
        raise PermissionDenied("Only an admin or one of the two members concerned can do this.")


def inbox_url() -> str:
    return f"{settings.EDUDESK_URL.rstrip('/')}/inbox/"


def rotation_url() -> str:
    return f"{inbox_url()}rotation/"


@transaction.atomic
def generate_shifts(*, rotation: Rotation, today: date | None = None) -> list[Shift]:
    """Plan the weeks from this one to `weeks_ahead` ahead; planned weeks are kept as they
    are, each missing one goes to the member after the previous week's, in order."""
    today = today or selectors.local_today(rotation)
    weeks = duty.weeks_from(today, rotation.weeks_ahead + 1)
    members = _member_ids(rotation)
    existing = dict(Shift.objects.filter(rotation=rotation, week_start__gte=weeks[0],
                                         week_start__lte=weeks[-1])
                    .values_list("week_start", "member_id"))
    previous = (Shift.objects.filter(rotation=rotation, week_start__lt=weeks[0],
                                     member__isnull=False)
                .order_by("-week_start").values_list("member_id", flat=True).first())
    planned: list[Shift] = []
    for week in weeks:
        if week in existing:
            previous = existing[week] or previous
            continue
        if not members:
            break
        [member] = duty.next_members(members, previous, 1)
        planned.append(Shift(rotation=rotation, week_start=week, member_id=member))
        previous = member
    # A concurrent run may have planned a week meanwhile: its row stands.
    Shift.objects.bulk_create(planned, ignore_conflicts=True)
    return planned


def _week_shift(rotation: Rotation, shift_id: int) -> Shift:
    shift = (Shift.objects.select_for_update(of=("self",)).select_related("member")
             .filter(pk=shift_id, rotation=rotation).first())
    if shift is None:
        raise ValidationError({"shift": "That week is not planned in this rotation."})
    return shift


@transaction.atomic
def swap_shifts(*, rotation: Rotation, shift_id: int, other_shift_id: int, actor,
                reason: str = "") -> list[Override]:
    """Two members trade weeks: each is on duty in the other's week (two overrides that
    are cancelled together)."""
    first, second = _week_shift(rotation, shift_id), _week_shift(rotation, other_shift_id)
    if first.member_id is None or second.member_id is None:
        raise ValidationError({"shift": "A swap needs someone in both weeks; fill the gap instead."})
    if first.member_id == second.member_id:
        raise ValidationError({"shift": "Both weeks are the same person's."})
    _check_allowed(actor, rotation, {first.member_id, second.member_id})
    today = selectors.local_today(rotation)
    if min(first.week_start, second.week_start) + timedelta(days=6) < today:
        raise ValidationError({"shift": "A week that is over cannot be swapped."})
    key = uuid.uuid4().hex
    sides = [
        Override(rotation=rotation, kind=Override.Kind.SWAP, start_date=a.week_start,
                 end_date=a.week_start + timedelta(days=6), member=b.member, replaces=a.member,
                 swap_key=key, reason=reason[:200], created_by=actor)
        for a, b in ((first, second), (second, first))]
    Override.objects.bulk_create(sides)
    audit.record(actor=actor, verb="swap", subject=rotation.subject_key,
                 summary=f"Swapped weeks: {_name(first.member)} takes the week of "
                         f"{second.week_start:%d %b %Y}, {_name(second.member)} the week of "
                         f"{first.week_start:%d %b %Y}",
                 changes={"weeks": [str(first.week_start), str(second.week_start)],
                          "members": [first.member_id, second.member_id], "reason": reason})
    return sides


@transaction.atomic
def cover_days(*, rotation: Rotation, member, start: date, end: date, actor,
               reason: str = "") -> Override:
    """`member` is on duty from `start` to `end` (included) instead of whoever was."""
    if end < start:
        raise ValidationError({"end": "The cover ends on or after the day it starts."})
    if (end - start).days >= MAX_COVER_DAYS:
        raise ValidationError({"end": f"Cover at most {MAX_COVER_DAYS} days at a time."})
    if start < selectors.local_today(rotation):
        raise ValidationError({"start": "Days that are over cannot be covered."})
    if member is None or member.pk not in _member_ids(rotation):
        raise ValidationError({"member": "Only a member of the rotation can cover."})
    shifts = selectors.shift_map(rotation, start, end)
    overrides = selectors.covers(selectors.active_overrides(rotation, start, end))
    replaced = {duty.duty_on(start + timedelta(days=n), shifts, overrides)
                for n in range((end - start).days + 1)}
    if replaced == {member.pk}:
        raise ValidationError({"member": f"{_name(member)} is on duty on those days already."})
    replaced.discard(member.pk)
    _check_allowed(actor, rotation, {member.pk, *replaced})
    replaces_id = next(iter(replaced)) if len(replaced) == 1 else None
    cover = Override.objects.create(
        rotation=rotation, kind=Override.Kind.COVER, start_date=start, end_date=end,
        member=member, replaces_id=replaces_id, reason=reason[:200], created_by=actor)
    names = ", ".join(sorted(_name(u) for u in get_user_model().objects.filter(pk__in=replaced)))
    audit.record(actor=actor, verb="cover", subject=rotation.subject_key,
                 summary=f"{_name(member)} covers {start:%d %b}–{end:%d %b %Y}"
                         + (f" for {names}" if names else ""),
                 changes={"override": cover.pk, "member": member.pk,
                          "replaces": sorted(r for r in replaced if r), "reason": reason})
    return cover


@transaction.atomic
def cancel_override(*, rotation: Rotation, override_id: int, actor) -> int:
    """Undo a cover, or both sides of a swap."""
    override = Override.objects.filter(pk=override_id, rotation=rotation,
                                       cancelled_at__isnull=True).first()
    if override is None:
        raise ValidationError({"override": "That swap or cover is not in force."})
    sides = Override.objects.filter(pk=override.pk) if not override.swap_key else \
        Override.objects.filter(swap_key=override.swap_key, rotation=rotation)
    sides = list(sides.filter(cancelled_at__isnull=True))
    _check_allowed(actor, rotation, {i for o in sides for i in (o.member_id, o.replaces_id)})
    count = Override.objects.filter(pk__in=[o.pk for o in sides]).update(
        cancelled_at=timezone.now())
    audit.record(actor=actor, verb="cancel_override", subject=rotation.subject_key,
                 summary=f"Cancelled the {override.kind} of {override.start_date:%d %b %Y}",
                 changes={"overrides": [o.pk for o in sides]})
    return count


@transaction.atomic
def assign_shift(*, rotation: Rotation, shift_id: int, member, actor) -> Shift:
    """An admin puts someone on a week (a gap after a departure, say)."""
    if not has_role(actor, ADMIN):
        raise PermissionDenied("Only an admin can change the planned weeks.")
    shift = _week_shift(rotation, shift_id)
    if member is not None and member.pk not in _member_ids(rotation):
        raise ValidationError({"member": "Only a member of the rotation can take a week."})
    before = shift.member
    shift.member, shift.gap_flagged_at, shift.reminded_at = member, None, None
    shift.save(update_fields=["member", "gap_flagged_at", "reminded_at"])
    audit.record(actor=actor, verb="assign_shift", subject=rotation.subject_key,
                 summary=f"Week of {shift.week_start:%d %b %Y}: {_name(member)}"
                         f" (was {_name(before)})",
                 changes={"week": str(shift.week_start),
                          "member": [before.pk if before else None,
                                     member.pk if member else None]})
    return shift


# ---- calendar links --------------------------------------------------------------------------
@transaction.atomic
def create_calendar_feed(*, rotation: Rotation, user) -> str:
    """A new private calendar link for `user` (any older one stops working); the token is
    returned once and only its hash is kept."""
    CalendarFeed.objects.filter(rotation=rotation, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.create(rotation=rotation, user=user,
                                token_hash=selectors.token_hash(token))
    audit.record(actor=user, verb="calendar_link", subject=rotation.subject_key,
                 summary=f"New calendar link for {_name(user)}")
    return token


@transaction.atomic
def revoke_calendar_feed(*, rotation: Rotation, user, actor) -> int:
    if actor.pk != user.pk and not has_role(actor, ADMIN):
        raise PermissionDenied("Only its owner or an admin can revoke a calendar link.")
    count = CalendarFeed.objects.filter(rotation=rotation, user=user,
                                        revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    if count:
        audit.record(actor=actor, verb="calendar_revoke", subject=rotation.subject_key,
                     summary=f"Revoked {_name(user)}'s calendar link")
    return count


def note_feed_fetched(feed: CalendarFeed) -> None:
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())


# ---- what beat does --------------------------------------------------------------------------
def plan_all(*, now: datetime | None = None) -> int:
    """Every rotation planned ahead; returns the weeks added."""
    return sum(len(generate_shifts(rotation=r, today=selectors.local_today(r, now)))
               for r in Rotation.objects.all())


@transaction.atomic
def send_shift_reminders(*, now: datetime | None = None) -> int:
    """At the first opening of each shift, tell the channel who is on duty and what they
    take over; once per shift."""
    now = now or timezone.now()
    sent = 0
    for rotation in Rotation.objects.all():
        today = selectors.local_today(rotation, now)
        shift = Shift.objects.select_for_update().filter(
            rotation=rotation, week_start=duty.week_of(today), reminded_at__isnull=True).first()
        if shift is None:
            continue
        hours = selectors.business_hours(rotation)
        starts, _ = duty.shift_span(shift.week_start, rotation.time_zone)
        if now < hours.next_open(starts):
            continue
        on_duty = selectors.duty_now(rotation, now, hours)
        if on_duty is None or on_duty.member is None:
            continue  # a gap: flag_rotation_gaps says so
        handed_over = Thread.objects.filter(selectors.threads_of(rotation),
                                            status=Thread.Status.OPEN).count()
        outbox.enqueue(system=SLACK, action="shift_reminder", subject=rotation.subject_key,
                       payload={"channel": rotation.slack_channel,
                                "text": f"{_name(on_duty.member)} is on LevelUp inbox duty this "
                                        f"week (from {shift.week_start:%a %d %b}). "
                                        f"{handed_over} open thread"
                                        f"{'' if handed_over == 1 else 's'} handed over.",
                                "links": [{"url": f"{inbox_url()}?status=open",
                                           "label": "Open the inbox"}]})
        shift.reminded_at = now
        shift.save(update_fields=["reminded_at"])
        sent += 1
    return sent


@transaction.atomic
def flag_overdue_threads(*, now: datetime | None = None) -> int:
    """During business hours, tell the member on duty (in the channel) which threads have
    passed their first-response time; each thread once."""
    now = now or timezone.now()
    flagged = 0
    for rotation in Rotation.objects.all():
        hours = selectors.business_hours(rotation)
        if not hours.is_open(now):
            continue
        threads = list(Thread.objects.select_for_update(of=("self",)).filter(
            selectors.threads_of(rotation), selectors.overdue_condition(now),
            overdue_flagged_at__isnull=True).order_by("first_response_due_at")[:20])
        if not threads:
            continue
        on_duty = selectors.duty_now(rotation, now, hours)
        who = _name(on_duty.member) if on_duty and on_duty.member else "Nobody is on duty"
        listed = "; ".join(f"“{t.subject}” ({t.requester_email})" for t in threads[:5])
        more = f" and {len(threads) - 5} more" if len(threads) > 5 else ""
        outbox.enqueue(system=SLACK, action="overdue", subject=rotation.subject_key, payload={
            "channel": rotation.slack_channel,
            "text": f"{who}: {len(threads)} inbox thread{'' if len(threads) == 1 else 's'} "
                    f"passed the first-response time: {listed}{more}.",
            "links": [{"url": thread_url(t), "label": t.subject[:60] or "thread"}
                      for t in threads[:5]]})
        Thread.objects.filter(pk__in=[t.pk for t in threads]).update(overdue_flagged_at=now)
        flagged += len(threads)
    return flagged


@transaction.atomic
def flag_rotation_gaps(*, now: datetime | None = None) -> int:
    """Weeks ahead with working days nobody covers (a departure, an unfilled week) are
    posted to the channel for the admins, each week once."""
    now = now or timezone.now()
    flagged = 0
    for rotation in Rotation.objects.all():
        today = selectors.local_today(rotation, now)
        weeks = selectors.calendar(rotation, first_week=today, weeks=rotation.weeks_ahead + 1,
                                   today=today)
        gaps = [w for w in weeks if w.gap_days and w.shift is not None
                and w.shift.gap_flagged_at is None and w.gap_days[-1] >= today]
        if not gaps:
            continue
        listed = "; ".join(
            f"week of {w.monday:%d %b %Y} ({', '.join(f'{d:%a}' for d in w.gap_days)})"
            for w in gaps)
        outbox.enqueue(system=SLACK, action="rotation_gap", subject=rotation.subject_key,
                       payload={"channel": rotation.slack_channel,
                                "text": f"Admins: nobody is on LevelUp inbox duty in the "
                                        f"{rotation.name} rotation on: {listed}.",
                                "links": [{"url": rotation_url(), "label": "Fill the gap"}]})
        Shift.objects.filter(pk__in=[w.shift.pk for w in gaps]).update(gap_flagged_at=now)
        flagged += len(gaps)
    return flagged
