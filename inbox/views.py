"""The shared inbox in the browser: parse the request, check the role, call one function."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from integrations import outbox
from people.pagination import Page
from people.roles import ADMIN, AGENT, MANAGER, has_role, role_required

from . import calendar, selectors, services
from . import rotation as duty
from .models import Category, PreparedResponse, Thread

# Education Services answers the inbox; L&D agents do not (DESIGN.md, "Who uses it").
INBOX_ROLES = (AGENT, MANAGER, ADMIN)
CALENDAR_WEEKS_BEHIND = 4
User = get_user_model()


def _pk(value) -> int:
    """A primary key from a form field; garbage reads as "none" (0)."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _frame(now=None) -> dict:
    """What every inbox page shows: who is on duty now."""
    rotation = selectors.inbox_rotation()
    hours = selectors.business_hours(rotation)
    return {"rotation": rotation, "hours": hours,
            "duty": selectors.duty_now(rotation, now, hours)}


def inbox_context(request) -> dict:
    """Context processor: whether the topbar shows the inbox."""
    return {"can_use_inbox": has_role(getattr(request, "user", None), *INBOX_ROLES)}


# ---- threads ---------------------------------------------------------------------------------
@role_required(*INBOX_ROLES)
@require_GET
def thread_list(request):
    now = timezone.now()
    frame = _frame(now)
    categories = selectors.categories()
    try:
        filters = selectors.ThreadFilters.from_params(request.GET, categories)
        page = selectors.thread_page(request.user, filters=filters,
                                     cursor=request.GET.get("cursor"), now=now,
                                     hours=frame["hours"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        filters, page = selectors.ThreadFilters(), Page([], None, None)
    duty_now = frame["duty"]
    handover = None
    if duty_now and duty_now.member is not None and duty_now.member.pk == request.user.pk:
        handover = selectors.handed_over(frame["rotation"], duty_now, now, frame["hours"])
    context = {**frame, "page": page, "filters": filters, "handover": handover,
               "categories": categories,
               "status_choices": [(k, v[0]) for k, v in selectors.STATUS_FILTERS.items()]}
    template = ("inbox/_thread_rows.html"
                if request.htmx and request.htmx.target == "thread-list" else "inbox/list.html")
    return render(request, template, context)


def _composer_text(request, thread: Thread, response: PreparedResponse | None) -> str:
    if response is None:
        return ""
    return services.render_placeholders(response.body, thread=thread, actor=request.user)


@role_required(*INBOX_ROLES)
@require_GET
def thread_page(request, pk: int):
    now = timezone.now()
    thread = selectors.thread_detail(pk)
    frame = _frame(now)
    responses = selectors.ranked_responses(thread)
    chosen = next((r for r in responses if r.pk == _pk(request.GET.get("response"))), None)
    hours = frame["hours"]
    if thread.mailbox.rotation_id and thread.mailbox.rotation_id != getattr(
            frame["rotation"], "pk", None):
        hours = selectors.business_hours(thread.mailbox.rotation)
    awaiting = thread.responded_at is None and thread.status != Thread.Status.DONE
    context = {**frame, "thread": thread, "responses": responses, "chosen": chosen,
               "composer_text": _composer_text(request, thread, chosen),
               "categories": selectors.categories(), "statuses": Thread.Status.choices,
               "time_left": (hours.describe_left(now, thread.first_response_due_at)
                             if awaiting and thread.first_response_due_at else ""),
               "is_overdue": thread.is_overdue(now)}
    return render(request, "inbox/thread.html", context)


@role_required(*INBOX_ROLES)
@require_GET
def insert_response(request, pk: int):
    """The composer's text: a prepared response with its placeholders filled (htmx)."""
    thread = selectors.thread_for(pk)
    response = PreparedResponse.objects.filter(pk=_pk(request.GET.get("response")),
                                               active=True).first()
    if response is None:
        return HttpResponse(status=204)  # nothing chosen: htmx leaves the draft as it is
    return render(request, "inbox/_composer_body.html", {
        "thread": thread, "chosen": response,
        "composer_text": _composer_text(request, thread, response)})


def _back(thread_id: int):
    return redirect("inbox:thread", pk=thread_id)


def _act(request, thread_id: int, action, success: str):
    """Run a service; its ValidationError becomes a message, never a half-done change."""
    selectors.thread_for(thread_id)  # 404 for a thread that is not there
    try:
        with outbox.watch_dispatch() as dispatch:
            action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(thread_id)
    if dispatch.failed:
        messages.warning(request, success.rstrip(".") + " — saved; delivery queued: the message "
                         "broker cannot be reached right now, and it is sent once it is back.")
    else:
        messages.success(request, success)
    return _back(thread_id)


@role_required(*INBOX_ROLES)
@require_POST
def reply(request, pk: int):
    response = PreparedResponse.objects.filter(pk=_pk(request.POST.get("response"))).first()
    done = request.POST.get("done") == "1"
    return _act(request, pk, lambda: services.reply_to_thread(
        thread_id=pk, actor=request.user, body=request.POST.get("body", ""),
        prepared_response=response, mark_as_done=done),
        "Reply sent" + (" and marked done." if done else "; waiting on the customer."))


@role_required(*INBOX_ROLES)
@require_POST
def assign_to_me(request, pk: int):
    return _act(request, pk, lambda: services.assign_thread(
        thread_id=pk, assignee=request.user, actor=request.user), "Assigned to you.")


@role_required(*INBOX_ROLES)
@require_POST
def change_status(request, pk: int):
    status = request.POST.get("status", "")
    label = dict(Thread.Status.choices).get(status, status)
    return _act(request, pk, lambda: services.set_thread_status(
        thread_id=pk, status=status, actor=request.user), f"Marked {str(label).lower()}.")


@role_required(*INBOX_ROLES)
@require_POST
def correct_category(request, pk: int):
    category = Category.objects.filter(pk=_pk(request.POST.get("category"))).first()
    if category is None:
        messages.error(request, "Choose a category.")
        return _back(pk)
    return _act(request, pk, lambda: services.correct_category(
        thread_id=pk, category=category, actor=request.user), f"Category set to {category}.")


@role_required(*INBOX_ROLES)
@require_POST
def escalate(request, pk: int):
    return _act(request, pk, lambda: services.escalate_thread(
        thread_id=pk, actor=request.user, note=request.POST.get("note", "")),
        "Posted to the team's channel.")


@role_required(*INBOX_ROLES)
@require_POST
def retry_delivery(request, pk: int, message_id: int):
    thread = selectors.thread_for(pk)
    if outbox.retry_now(message_id=message_id, subject=thread.subject_key):
        messages.success(request, "Queued again.")
    else:
        messages.error(request, "Only a failed delivery of this thread can be retried, and it "
                                "is queued already or was sent.")
    return _back(pk)


# ---- the rotation ----------------------------------------------------------------------------
def _rotation_or_404():
    rotation = selectors.inbox_rotation()
    if rotation is None:
        raise Http404("No rotation is set up yet.")
    return rotation


def _rotation_context(request, rotation, **extra) -> dict:
    today = selectors.local_today(rotation)
    start = _day(request.GET.get("from")) or today - timedelta(weeks=1)
    weeks = selectors.calendar(rotation, first_week=start, weeks=rotation.weeks_ahead + 2,
                               today=today)
    members = list(User.objects.filter(inbox_rotations__rotation=rotation, is_active=True)
                   .order_by("inbox_rotations__position"))
    return {**_frame(), "rotation": rotation, "weeks": weeks, "members": members,
            "today": today, "is_admin": has_role(request.user, ADMIN),
            "is_member": any(m.pk == request.user.pk for m in members),
            "my_shifts": [w.shift for w in weeks if w.shift and w.shift.member_id ==
                          request.user.pk and w.monday + timedelta(days=6) >= today],
            "other_shifts": [w.shift for w in weeks if w.shift and w.shift.member_id
                             and w.monday + timedelta(days=6) >= today],
            "feed": selectors.active_feed(rotation, request.user),
            "earlier": duty.week_of(start) - timedelta(weeks=rotation.weeks_ahead),
            "later": duty.week_of(start) + timedelta(weeks=rotation.weeks_ahead), **extra}


@role_required(*INBOX_ROLES)
@require_GET
def rotation_page(request):
    rotation = selectors.inbox_rotation()
    if rotation is None:
        return render(request, "inbox/rotation.html", {**_frame(), "rotation": None})
    return render(request, "inbox/rotation.html", _rotation_context(request, rotation))


def _rotation_act(request, action, success: str):
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("inbox:rotation")


@role_required(*INBOX_ROLES)
@require_POST
def swap(request):
    rotation = _rotation_or_404()
    return _rotation_act(request, lambda: services.swap_shifts(
        rotation=rotation, shift_id=_pk(request.POST.get("shift")),
        other_shift_id=_pk(request.POST.get("other_shift")), actor=request.user,
        reason=request.POST.get("reason", "")), "Weeks swapped.")


@role_required(*INBOX_ROLES)
@require_POST
def cover(request):
    rotation = _rotation_or_404()
    member = User.objects.filter(pk=_pk(request.POST.get("member")) or request.user.pk).first()
    start, end = _day(request.POST.get("start")), _day(request.POST.get("end"))
    if start is None or end is None:
        messages.error(request, "Give the first and last day of the cover.")
        return redirect("inbox:rotation")
    return _rotation_act(request, lambda: services.cover_days(
        rotation=rotation, member=member, start=start, end=end, actor=request.user,
        reason=request.POST.get("reason", "")), "Cover saved.")


@role_required(*INBOX_ROLES)
@require_POST
def cancel_override(request, override_id: int):
    rotation = _rotation_or_404()
    return _rotation_act(request, lambda: services.cancel_override(
        rotation=rotation, override_id=override_id, actor=request.user), "Cancelled.")


@role_required(ADMIN)
@require_POST
def assign_shift(request, shift_id: int):
    rotation = _rotation_or_404()
    member = User.objects.filter(pk=_pk(request.POST.get("member"))).first()
    return _rotation_act(request, lambda: services.assign_shift(
        rotation=rotation, shift_id=shift_id, member=member, actor=request.user),
        "Week updated.")


@role_required(*INBOX_ROLES)
@require_POST
def create_feed(request):
    """A new private calendar link, shown once on the page this answers with."""
    rotation = _rotation_or_404()
    token = services.create_calendar_feed(rotation=rotation, user=request.user)
    url = request.build_absolute_uri(reverse("inbox:ics", args=[token]))
    return render(request, "inbox/rotation.html",
                  _rotation_context(request, rotation, new_feed_url=url))


@role_required(*INBOX_ROLES)
@require_POST
def revoke_feed(request):
    rotation = _rotation_or_404()
    count = services.revoke_calendar_feed(rotation=rotation, user=request.user,
                                          actor=request.user)
    if count:
        messages.success(request, "Calendar link revoked: calendars subscribed to it stop "
                                  "updating.")
    else:
        messages.error(request, "You have no calendar link to revoke.")
    return redirect("inbox:rotation")


@never_cache
@require_GET
def ics_feed(request, token: str):
    """The rotation as ICS for calendar apps; the token in the URL is the only key."""
    feed = selectors.feed_by_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    rotation = feed.rotation
    today = selectors.local_today(rotation)
    weeks = selectors.calendar(rotation, first_week=today - timedelta(weeks=CALENDAR_WEEKS_BEHIND),
                               weeks=CALENDAR_WEEKS_BEHIND + rotation.weeks_ahead + 1,
                               today=today)
    services.note_feed_fetched(feed)
    response = HttpResponse(calendar.rotation_ics(rotation, weeks),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="inbox-rotation.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
