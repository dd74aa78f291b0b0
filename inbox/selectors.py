"""Reads for the inbox pages and the rotation; each decides its joins once, here."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from integrations import outbox
from integrations.models import OutboxMessage
from people import audit
from people.pagination import Page, keyset_page

from . import rotation as duty
from .hours import DEFAULT_TIME_ZONE, BusinessHours
from .models import (
    CalendarFeed,
    Category,
    Holiday,
    Override,
    PreparedResponse,
    Rotation,
    Shift,
    Thread,
)

PAGE_SIZE_MAX = 100
STATUS_FILTERS = {
    "active": ("Open or waiting", Q(status__in=[Thread.Status.OPEN, Thread.Status.WAITING])),
    "open": ("Open", Q(status=Thread.Status.OPEN)),
    "waiting": ("Waiting on customer", Q(status=Thread.Status.WAITING)),
    "done": ("Done", Q(status=Thread.Status.DONE)),
    "any": ("Any status", Q()),
}
DEFAULT_STATUS = "active"


# ---- business hours and duty ----------------------------------------------------------------
def holiday_dates() -> frozenset[date]:
    return frozenset(Holiday.objects.values_list("date", flat=True))


def business_hours(rotation: Rotation | None) -> BusinessHours:
    """Monday to Friday, 9 to 17 in the rotation's time zone, holidays off."""
    return BusinessHours(time_zone=rotation.time_zone if rotation else DEFAULT_TIME_ZONE,
                         holidays=holiday_dates())


def inbox_rotation() -> Rotation | None:
    """The rotation that answers the inbox: the mailbox's, else the first one."""
    rotation = Rotation.objects.filter(mailboxes__isnull=False).order_by("pk").first()
    return rotation or Rotation.objects.order_by("pk").first()


def local_today(rotation: Rotation, now: datetime | None = None) -> date:
    return duty.local_day(now or timezone.now(), rotation.time_zone)


def shift_map(rotation: Rotation, first: date, last: date) -> dict[date, int | None]:
    """Monday -> member id for the weeks touching [first, last]."""
    return dict(Shift.objects.filter(rotation=rotation, week_start__gte=duty.week_of(first),
                                     week_start__lte=last).values_list("week_start", "member_id"))


def active_overrides(rotation: Rotation, first: date, last: date) -> list[Override]:
    """Overrides touching [first, last], oldest first (the newest wins)."""
    return list(Override.objects.filter(rotation=rotation, cancelled_at__isnull=True,
                                        start_date__lte=last, end_date__gte=first)
                .order_by("created_at", "id"))


def covers(overrides: list[Override]) -> list[duty.Cover[int]]:
    return [duty.Cover(o.start_date, o.end_date, o.member_id) for o in overrides]


@dataclass
class Duty:
    """Who is on duty now, for the "on duty now" line of every inbox page."""

    member: object | None
    week: date
    is_cover: bool
    is_open: bool  # within business hours
    next_open: datetime | None = None


def duty_now(rotation: Rotation | None, now: datetime | None = None,
             hours: BusinessHours | None = None) -> Duty | None:
    """Three queries: the week's shift, the overrides of today, the member."""
    if rotation is None:
        return None
    now = now or timezone.now()
    hours = hours or business_hours(rotation)
    today = duty.local_day(now, rotation.time_zone)
    shifts = shift_map(rotation, today, today)
    overrides = covers(active_overrides(rotation, today, today))
    member_id = duty.duty_on(today, shifts, overrides)
    member = get_user_model().objects.filter(pk=member_id).first() if member_id else None
    is_open = hours.is_open(now)
    return Duty(member=member, week=duty.week_of(today),
                is_cover=any(c.covers(today) for c in overrides), is_open=is_open,
                next_open=None if is_open else hours.next_open(now))


def threads_of(rotation: Rotation) -> Q:
    """The threads a rotation answers: its mailboxes', or every thread when none is linked."""
    if rotation.mailboxes.exists():
        return Q(mailbox__rotation=rotation)
    return Q()


def handed_over(rotation: Rotation, on_duty: Duty, now: datetime,
                hours: BusinessHours | None = None) -> list[Thread] | None:
    """On the first business day of a shift, the open threads the shift took over (last
    touched before it started); None on the other days."""
    hours = hours or business_hours(rotation)
    starts, _ = duty.shift_span(on_duty.week, rotation.time_zone)
    if hours.local_date(now) != hours.local_date(hours.next_open(starts)):
        return None
    return list(Thread.objects.filter(threads_of(rotation), status=Thread.Status.OPEN,
                                      last_message_at__lt=starts)
                .select_related("category").order_by("first_response_due_at",
                                                     "last_message_at")[:20])


def is_rotation_member(rotation: Rotation, user) -> bool:
    return rotation.members.filter(user=user).exists()


# ---- the thread list ------------------------------------------------------------------------
@dataclass
class ThreadFilters:
    status: str = DEFAULT_STATUS
    category: str = ""
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None,
                    categories: list[Category] | None = None) -> ThreadFilters:
        """Filters from a query string; `categories`, when the caller has them loaded,
        saves the query that checks the category."""
        params = params or {}
        status = params.get("status") or DEFAULT_STATUS
        if status not in STATUS_FILTERS:
            raise ValidationError({"status": f"Unknown status filter {status!r}."})
        category = (params.get("category") or "").strip()
        if category:
            known = ({c.slug for c in categories} if categories is not None else set(
                Category.objects.filter(slug=category).values_list("slug", flat=True)))
            if category not in known:
                raise ValidationError({"category": f"Unknown category {category!r}."})
        yes = ("1", "true", "on", "yes")
        return cls(status=status, category=category,
                   mine=(params.get("mine") or "").lower() in yes,
                   unassigned=(params.get("unassigned") or "").lower() in yes,
                   overdue=(params.get("overdue") or "").lower() in yes)


def overdue_condition(now: datetime) -> Q:
    return Q(responded_at__isnull=True, first_response_due_at__lt=now) & ~Q(
        status=Thread.Status.DONE)


def threads_filtered(filters: ThreadFilters, user, now: datetime) -> QuerySet[Thread]:
    threads = Thread.objects.filter(STATUS_FILTERS[filters.status][1])
    if filters.category:
        threads = threads.filter(category__slug=filters.category)
    if filters.mine:
        threads = threads.filter(assignee=user)
    if filters.unassigned:
        threads = threads.filter(assignee__isnull=True)
    if filters.overdue:
        threads = threads.filter(overdue_condition(now))
    return threads


def thread_page(user, *, filters: ThreadFilters, cursor: str | None = None,
                size: int | None = None, now: datetime | None = None,
                hours: BusinessHours | None = None) -> Page:
    """One page of threads, newest activity first: one query at any depth or data size.

    Each row gets `time_left` (business time to its first-response deadline, negative once
    past it) and `is_overdue`, worked out in memory from `hours`.
    """
    now = now or timezone.now()
    size = min(max(1, size or settings.CONSOLE_PAGE_SIZE), PAGE_SIZE_MAX)
    threads = threads_filtered(filters, user, now).select_related("category", "assignee")
    page = keyset_page(threads, "-last_message_at", cursor, size)
    hours = hours or business_hours(None)
    for thread in page.items:
        thread.is_overdue_now = thread.is_overdue(now)
        awaiting = thread.responded_at is None and thread.status != Thread.Status.DONE
        thread.time_left = (hours.time_left(now, thread.first_response_due_at)
                            if awaiting and thread.first_response_due_at else None)
        thread.time_left_label = (hours.describe_left(now, thread.first_response_due_at)
                                  if thread.time_left is not None else "")
    return page


def categories() -> list[Category]:
    return list(Category.objects.all())


# ---- one thread ------------------------------------------------------------------------------
def thread_for(thread_id: int) -> Thread:
    thread = (Thread.objects.select_related("category", "assignee", "mailbox",
                                            "mailbox__rotation")
              .filter(pk=thread_id).first())
    if thread is None:
        raise Http404("No such thread.")
    return thread


def thread_detail(thread_id: int) -> Thread:
    """A thread with its conversation (each reply with its delivery), history and the
    deliveries of its lane."""
    thread = thread_for(thread_id)
    thread.conversation = list(thread.messages.select_related("author", "outbox")
                               .order_by("sent_at", "id"))
    for message in thread.conversation:
        row = message.outbox
        message.is_stuck = bool(row is not None and outbox.is_stuck(row))
    thread.history = list(audit.history(thread.subject_key))
    thread.deliveries = list(OutboxMessage.objects.filter(subject=thread.subject_key)
                             .order_by("-created_at", "-id")[:20])
    return thread


def ranked_responses(thread: Thread) -> list[PreparedResponse]:
    """Active prepared responses: the thread's category first, then those for any thread,
    then the rest; most used first within each."""
    whens = [When(category__isnull=True, then=Value(1))]
    if thread.category_id:
        whens.insert(0, When(category_id=thread.category_id, then=Value(0)))
    rank = Case(*whens, default=Value(2), output_field=IntegerField())
    return list(PreparedResponse.objects.filter(active=True).select_related("category")
                .annotate(rank=rank).order_by("rank", "-times_used", "position", "title"))


# ---- the rotation calendar ------------------------------------------------------------------
@dataclass
class Week:
    monday: date
    shift: Shift | None
    runs: list[tuple[date, date, object | None]]  # (first, last, user or None)
    holidays: list[Holiday]
    overrides: list[Override]
    is_current: bool
    gap_days: list[date] = field(default_factory=list)

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=4)


def calendar(rotation: Rotation, *, first_week: date, weeks: int,
             today: date | None = None) -> list[Week]:
    """Weeks with who is on duty on which working days, overrides, holidays and gaps; a
    fixed number of queries whatever the number of weeks."""
    mondays = duty.weeks_from(first_week, weeks)
    last = mondays[-1] + timedelta(days=6)
    today = today or local_today(rotation)
    shifts = {s.week_start: s for s in Shift.objects.filter(
        rotation=rotation, week_start__gte=mondays[0], week_start__lte=last)
        .select_related("member")}
    overrides = list(Override.objects.filter(
        rotation=rotation, cancelled_at__isnull=True, start_date__lte=last,
        end_date__gte=mondays[0]).select_related("member", "replaces").order_by("created_at",
                                                                                  "id"))
    holidays = list(Holiday.objects.filter(date__gte=mondays[0], date__lte=last))
    holiday_set = {h.date for h in holidays}
    members = set(rotation.members.filter(user__is_active=True).values_list("user_id",
                                                                            flat=True))
    users = {s.member_id: s.member for s in shifts.values() if s.member_id}
    users.update({o.member_id: o.member for o in overrides})
    by_week = {monday: s.member_id for monday, s in shifts.items()}
    cover_list = covers(overrides)

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holiday_set

    rows = []
    for monday in mondays:
        sunday = monday + timedelta(days=6)
        runs = [(a, b, users.get(m) if m else None)
                for a, b, m in duty.duty_runs(monday, by_week, cover_list, working)]
        gap_days = duty.gaps([monday + timedelta(days=n) for n in range(7)], by_week,
                             cover_list, is_member=lambda m: m in members,
                             is_working_day=working)
        rows.append(Week(
            monday=monday, shift=shifts.get(monday), runs=runs,
            holidays=[h for h in holidays if monday <= h.date <= sunday],
            overrides=[o for o in overrides if o.start_date <= sunday and o.end_date >= monday],
            is_current=monday <= today <= sunday,
            gap_days=[d for d in gap_days if d >= today]))  # a past gap is history
    return rows


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def feed_by_token(token: str) -> CalendarFeed | None:
    """The active feed a calendar link's token opens, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    return (CalendarFeed.objects.select_related("rotation", "user")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True,
                    user__is_active=True).first())


def active_feed(rotation: Rotation, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(rotation=rotation, user=user,
                                       revoked_at__isnull=True).first()


def team_time_zone() -> str:
    """The team's time zone, the inbox rotation's (America/Denver by default): where its
    days, weeks and months begin for reports."""
    rotation = inbox_rotation()
    return rotation.time_zone if rotation else DEFAULT_TIME_ZONE


# ---- reads for reports ------------------------------------------------------------------------
THREAD_FIGURE_FIELDS = ("id", "created_at", "asked_at", "responded_at", "first_response_due_at",
                        "category_id", "assignee_id", "status")


def thread_change_mark() -> tuple[datetime | None, int | None]:
    """The newest change time and the highest id of threads: when neither moved, no figure did."""
    found = Thread.objects.aggregate(changed=Max("updated_at"), last_id=Max("id"))
    return found["changed"], found["last_id"]


def threads_changed(*, since: datetime | None, after_id: int):
    """Threads changed after `since` or added after `after_id` (every thread when `since`
    is None), as tuples of THREAD_FIGURE_FIELDS, streamed."""
    threads = Thread.objects.all() if since is None else Thread.objects.filter(
        Q(updated_at__gt=since) | Q(id__gt=after_id))
    return threads.order_by().values_list(*THREAD_FIGURE_FIELDS).iterator(chunk_size=5000)


def duty_by_week(first: date, last: date) -> dict[date, str]:
    """Monday -> the name of who was on duty that week in the inbox rotation (two queries)."""
    rotation = inbox_rotation()
    if rotation is None:
        return {}
    weeks = shift_map(rotation, first, last)
    names = {user.pk: user.get_full_name() or user.get_username() for user in
             get_user_model().objects.filter(pk__in={m for m in weeks.values() if m})}
    return {week: names.get(member, "") for week, member in weeks.items() if member}


def report_business_hours() -> BusinessHours:
    """The inbox rotation's business hours, as its deadlines use them."""
    return business_hours(inbox_rotation())
