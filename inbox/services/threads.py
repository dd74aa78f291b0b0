"""Changes to threads: mail stored from the sync, replies, status, assignment, categories
and escalations; one transaction each, with its audit line and outbox rows."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from edudesk.html import sanitize_html, text_to_html
from integrations import outbox
from people import audit

from .. import selectors
from ..hours import BusinessHours
from ..models import (
    Category,
    CategoryRule,
    Mailbox,
    Message,
    PreparedResponse,
    Rotation,
    Thread,
)

GMAIL = "gmail"  # the outbox system that sends the group's mail
SLACK = "slack"
MAX_BODY_CHARS = 65_000
MAX_PARTICIPANTS = 20
PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
AGENT_SETTABLE_STATUSES = (Thread.Status.OPEN, Thread.Status.WAITING, Thread.Status.DONE)


# ---- mail in: what the sync brings ------------------------------------------------------------
@dataclass(frozen=True)
class IncomingMessage:
    """One message as the adapter read it, in the inbox's terms. `html` is as sent (it is
    sanitised here); `sender` is the person, not the group a Google Group rewrote From to."""

    gmail_id: str
    gmail_thread_id: str
    direction: str  # Message.Direction
    sender: dict[str, str]  # {"name", "address"}
    sent_at: datetime
    subject: str = ""
    rfc_message_id: str = ""
    to: list[dict[str, str]] = field(default_factory=list)
    cc: list[dict[str, str]] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, Any] = field(default_factory=dict)
    is_truncated: bool = False
    is_automatic: bool = False


def mailbox_for(address: str, name: str = "") -> Mailbox:
    """The mailbox of a group address, created on first sight with the first rotation."""
    address = address.strip().lower()
    mailbox = Mailbox.objects.filter(address=address).first()
    if mailbox is None:
        mailbox, _ = Mailbox.objects.get_or_create(address=address, defaults={
            "name": name or address.split("@")[0].capitalize(),
            "rotation": Rotation.objects.order_by("pk").first()})
    return mailbox


def thread_subject(subject: str) -> str:
    """A subject without its Re:/Fwd: prefixes."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split())[:255]


def _snippet(text: str) -> str:
    return " ".join((text or "").split())[:200]


def categorise(text: str, rules: Sequence[CategoryRule]) -> CategoryRule | None:
    """The first active rule (in order) with a phrase in `text`."""
    lowered = (text or "").lower()
    return next((rule for rule in rules if rule.active and rule.matches(lowered)), None)


@transaction.atomic
def store_messages(*, mailbox: Mailbox, messages: Sequence[IncomingMessage]) -> Counter:
    """Upsert one page of the group's mail, grouped into threads by Gmail's thread id.

    Idempotent: a message already stored (by Gmail id) is left as it is, and a reply sent
    from here is recognised by its Message-ID and given its Gmail id instead of a second
    copy. Pages may come in any order (a full sync lists newest first), so a thread's
    summary only moves forward: its status follows the newest message, its requester,
    subject and first-response deadline the oldest.
    """
    counts: Counter = Counter()
    batch = {m.gmail_id: m for m in messages}
    known = set(Message.objects.filter(gmail_id__in=list(batch)).values_list("gmail_id",
                                                                              flat=True))
    counts["already_stored"] += len(known)
    fresh = [m for gid, m in batch.items() if gid not in known]
    fresh = _link_our_replies(fresh, counts)
    if not fresh:
        return counts
    by_thread: dict[str, list[IncomingMessage]] = defaultdict(list)
    for message in sorted(fresh, key=lambda m: (m.sent_at, m.gmail_id)):
        by_thread[message.gmail_thread_id].append(message)
    threads = {t.gmail_thread_id: t for t in Thread.objects.select_for_update().filter(
        mailbox=mailbox, gmail_thread_id__in=list(by_thread))}
    hours = selectors.business_hours(mailbox.rotation)
    sla = timedelta(hours=mailbox.first_response_hours)
    rules = list(CategoryRule.objects.filter(active=True).select_related("category"))
    fallback = Category.objects.filter(slug="other").first()
    created: list[Thread] = []
    matched: Counter = Counter()
    for gmail_thread_id, items in by_thread.items():
        thread = threads.get(gmail_thread_id)
        if thread is None:
            thread = _new_thread(mailbox, gmail_thread_id, items, rules, fallback)
            if thread.category_rule_id:
                matched[thread.category_rule_id] += 1
            threads[gmail_thread_id] = thread
            created.append(thread)
        for item in items:
            _apply(thread, item, hours, sla, mailbox.address)
    Thread.objects.bulk_create(created, batch_size=500)
    Message.objects.bulk_create([
        _message_row(threads[tid], item) for tid, items in by_thread.items() for item in items
    ], batch_size=500)
    new_ids = {t.gmail_thread_id for t in created}
    existing = [t for t in threads.values() if t.gmail_thread_id not in new_ids]
    Thread.objects.bulk_update(existing, [
        "subject", "snippet", "participants", "requester_name", "requester_email", "status",
        "message_count", "created_at", "asked_at", "last_message_at", "first_response_due_at",
        "responded_at", "updated_at"], batch_size=500)
    for rule_id, n in matched.items():
        CategoryRule.objects.filter(pk=rule_id).update(matched_count=F("matched_count") + n)
    counts["threads_created"] += len(created)
    counts["messages"] += len(fresh)
    return counts


def _link_our_replies(fresh: list[IncomingMessage], counts: Counter) -> list[IncomingMessage]:
    """Replies written here come back from Gmail: attach the Gmail id to our copy."""
    ours = {m.rfc_message_id: m for m in fresh
            if m.direction == Message.Direction.OUTBOUND and m.rfc_message_id}
    if not ours:
        return fresh
    pending = Message.objects.filter(direction=Message.Direction.OUTBOUND, gmail_id__isnull=True,
                                     rfc_message_id__in=list(ours)).values_list(
                                         "pk", "rfc_message_id")
    linked = set()
    for pk, rfc_id in pending:
        Message.objects.filter(pk=pk, gmail_id__isnull=True).update(gmail_id=ours[rfc_id].gmail_id)
        linked.add(ours[rfc_id].gmail_id)
    counts["replies_linked"] += len(linked)
    return [m for m in fresh if m.gmail_id not in linked]


def _new_thread(mailbox: Mailbox, gmail_thread_id: str, items: list[IncomingMessage],
                rules: Sequence[CategoryRule], fallback: Category | None) -> Thread:
    first = items[0]
    opening = next((m for m in items if m.direction == Message.Direction.INBOUND), first)
    rule = categorise(f"{thread_subject(first.subject)}\n{opening.text[:5000]}", rules)
    asked = any(m.direction == Message.Direction.INBOUND for m in items)
    return Thread(
        mailbox=mailbox, gmail_thread_id=gmail_thread_id, subject=thread_subject(first.subject),
        # A thread the group started (an auto-reply alone, say) waits on the other side.
        status=Thread.Status.OPEN if asked else Thread.Status.WAITING,
        category=rule.category if rule else fallback, category_rule=rule,
        created_at=first.sent_at, last_message_at=first.sent_at, updated_at=timezone.now(),
        message_count=0)


def _apply(thread: Thread, item: IncomingMessage, hours: BusinessHours, sla: timedelta,
           group: str) -> None:
    """Move the thread's summary on by one message (in any order; see store_messages)."""
    thread.message_count += 1
    thread.updated_at = timezone.now()
    people = {p["address"].lower(): p for p in thread.participants}
    for person in [item.sender, *item.to, *item.cc]:
        address = (person.get("address") or "").lower()
        if address and address != group and address not in people \
                and len(people) < MAX_PARTICIPANTS:
            people[address] = {"name": person.get("name", ""), "address": address}
    thread.participants = list(people.values())
    inbound = item.direction == Message.Direction.INBOUND
    if item.sent_at <= thread.created_at or not thread.subject:
        thread.created_at = item.sent_at
        thread.subject = thread_subject(item.subject) or thread.subject
    if inbound and not item.is_automatic and (thread.asked_at is None
                                              or item.sent_at < thread.asked_at):
        # The oldest inbound message says who asked and when the first answer is due.
        thread.asked_at = item.sent_at
        thread.requester_name = item.sender.get("name", "")[:200]
        thread.requester_email = item.sender.get("address", "")[:254]
        thread.first_response_due_at = hours.add(item.sent_at, sla)
    if not thread.requester_email and not inbound:
        # A thread the group started: it is addressed to the requester.
        person = next((p for p in item.to if p.get("address", "").lower() != group), None)
        if person:
            thread.requester_name = person.get("name", "")[:200]
            thread.requester_email = person["address"][:254]
    if not inbound and not item.is_automatic and (
            thread.responded_at is None or item.sent_at < thread.responded_at):
        thread.responded_at = item.sent_at
    if item.sent_at >= thread.last_message_at:
        thread.last_message_at = item.sent_at
        thread.snippet = _snippet(item.text)
        if not item.is_automatic:
            if inbound:
                thread.status = Thread.Status.OPEN
            elif thread.status == Thread.Status.OPEN:
                thread.status = Thread.Status.WAITING


def _message_row(thread: Thread, item: IncomingMessage) -> Message:
    return Message(
        thread=thread, gmail_id=item.gmail_id, rfc_message_id=item.rfc_message_id[:255],
        headers=item.headers, direction=item.direction,
        from_name=item.sender.get("name", "")[:200],
        from_address=item.sender.get("address", "")[:254], to=item.to, cc=item.cc,
        subject=(item.subject or "")[:255], body_html=sanitize_html(item.html),
        body_text=item.text, attachments=item.attachments, is_truncated=item.is_truncated,
        is_automatic=item.is_automatic, sent_at=item.sent_at)


# ---- agents' actions -----------------------------------------------------------------------
def _locked(thread_id: int) -> Thread:
    thread = Thread.objects.select_for_update(of=("self",)).select_related("mailbox").filter(
        pk=thread_id).first()
    if thread is None:
        raise ValidationError({"thread": "This thread no longer exists."})
    return thread


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "nobody"


def _touch(thread: Thread, fields: list[str]) -> None:
    thread.updated_at = timezone.now()
    thread.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def assign_thread(*, thread_id: int, assignee, actor) -> Thread:
    thread = _locked(thread_id)
    if thread.assignee_id == (assignee.pk if assignee else None):
        return thread
    before = _name(thread.assignee) if thread.assignee_id else None
    thread.assignee = assignee
    _touch(thread, ["assignee"])
    audit.record(actor=actor, verb="assign", subject=thread.subject_key,
                 summary=f"Assigned to {_name(assignee)}",
                 changes={"assignee": [before, _name(assignee) if assignee else None]})
    return thread


@transaction.atomic
def set_thread_status(*, thread_id: int, status: str, actor) -> Thread:
    thread = _locked(thread_id)
    if status not in AGENT_SETTABLE_STATUSES:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if thread.status != status:
        changes = {"status": [thread.status, status]}
        thread.status = status
        _touch(thread, ["status"])
        audit.record(actor=actor, verb="status", subject=thread.subject_key,
                     summary=f"Marked {Thread.Status(status).label.lower()}", changes=changes)
    return thread


def mark_done(*, thread_id: int, actor) -> Thread:
    return set_thread_status(thread_id=thread_id, status=Thread.Status.DONE, actor=actor)


@transaction.atomic
def correct_category(*, thread_id: int, category: Category, actor) -> Thread:
    """An agent's correction; the rule that chose the old category is counted as missing
    (once per thread), and the new category as one a rule could have found."""
    thread = _locked(thread_id)
    if thread.category_id == category.pk:
        return thread
    before = thread.category.name if thread.category_id else None
    if thread.category_rule_id and not thread.category_corrected:
        CategoryRule.objects.filter(pk=thread.category_rule_id).update(
            corrected_count=F("corrected_count") + 1)
    Category.objects.filter(pk=category.pk).update(corrections_into=F("corrections_into") + 1)
    thread.category, thread.category_corrected = category, True
    _touch(thread, ["category", "category_corrected"])
    audit.record(actor=actor, verb="categorise", subject=thread.subject_key,
                 summary=f"Category corrected to {category.name}",
                 changes={"category": [before, category.name],
                          "rule": thread.category_rule_id})
    return thread


def render_placeholders(text: str, *, thread: Thread, actor) -> str:
    """A prepared response's {{placeholders}} filled in; unknown ones are left as written."""
    values = {
        "requester.name": thread.requester_name or "there",
        "requester.first_name": thread.requester_first_name,
        "requester.email": thread.requester_email,
        "thread.subject": thread.subject,
        "agent.name": _name(actor),
        "agent.first_name": (actor.first_name or _name(actor)) if actor else "",
        "current_user.name": _name(actor),
        "current_user.first_name": (actor.first_name or _name(actor)) if actor else "",
    }
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _reply_addresses(thread: Thread, parent: Message) -> tuple[list[dict], list[dict]]:
    """To the person who wrote the message answered (or the requester), Cc the others it
    went to, never the group itself."""
    group = thread.mailbox.address.lower()
    if parent.direction == Message.Direction.INBOUND and parent.from_address:
        to = [{"name": parent.from_name, "address": parent.from_address}]
    else:
        to = [{"name": thread.requester_name, "address": thread.requester_email}]
    to = [a for a in to if a["address"] and a["address"].lower() != group]
    if not to:
        raise ValidationError({"thread": "This thread has nobody outside the group to reply to."})
    skip = {group, *(a["address"].lower() for a in to)}
    cc, seen = [], set(skip)
    for person in [*(parent.to or []), *(parent.cc or [])]:
        address = (person.get("address") or "").lower()
        if address and address not in seen:
            seen.add(address)
            cc.append({"name": person.get("name", ""), "address": address})
    return to, cc


@transaction.atomic
def reply_to_thread(*, thread_id: int, actor, body: str,
                    prepared_response: PreparedResponse | None = None,
                    mark_as_done: bool = False) -> Message:
    """Send a reply from the group in the thread: our copy of it, the Gmail delivery in
    the outbox (subject thread:ID), the thread moved on, and an audit line."""
    thread = _locked(thread_id)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something before sending."})
    if "\x00" in body:
        raise ValidationError({"body": "The text contains a NUL character; remove it and send again."})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({"body": f"Keep it under {MAX_BODY_CHARS:,} characters."})
    messages = Message.objects.filter(thread=thread)
    parent = (messages.filter(direction=Message.Direction.INBOUND, is_automatic=False)
              .order_by("-sent_at", "-id").first()
              or messages.order_by("-sent_at", "-id").first())
    if parent is None:
        raise ValidationError({"thread": "This thread has no message to answer yet."})
    to, cc = _reply_addresses(thread, parent)
    mailbox = thread.mailbox
    now = timezone.now()
    references = [*(parent.headers.get("references") or []), parent.rfc_message_id]
    message = Message.objects.create(
        thread=thread, direction=Message.Direction.OUTBOUND,
        rfc_message_id=make_msgid(domain=mailbox.address.rpartition("@")[2] or None),
        headers={"in_reply_to": parent.rfc_message_id,
                 "references": [r for r in references if r]},
        from_name=mailbox.name, from_address=mailbox.address, to=to, cc=cc,
        subject=f"Re: {thread.subject}"[:255], body_text=body, body_html=text_to_html(body),
        sent_at=now, author=actor, prepared_response=prepared_response)
    message.outbox = outbox.enqueue(system=GMAIL, action="reply", subject=thread.subject_key,
                                    payload={"message_pk": message.pk,
                                             "reply_to_pk": parent.pk})
    message.save(update_fields=["outbox"])
    changes: dict[str, Any] = {"message": message.pk}
    new_status = Thread.Status.DONE if mark_as_done else Thread.Status.WAITING
    if thread.status != new_status:
        changes["status"] = [thread.status, new_status]
        thread.status = new_status
    if thread.responded_at is None:
        thread.responded_at = now
    if thread.assignee_id is None:
        # Whoever answers owns the thread, as with tickets.
        thread.assignee = actor
        changes["assignee"] = [None, _name(actor)]
    thread.last_message_at, thread.snippet = now, _snippet(body)
    thread.message_count += 1
    _touch(thread, ["status", "responded_at", "assignee", "last_message_at", "snippet",
                    "message_count"])
    summary = "Replied"
    if prepared_response is not None:
        PreparedResponse.objects.filter(pk=prepared_response.pk).update(
            times_used=F("times_used") + 1)
        changes["prepared_response"] = prepared_response.title
        summary += f" with “{prepared_response.title}”"
    if mark_as_done:
        summary += " and marked done"
    audit.record(actor=actor, verb="reply", subject=thread.subject_key, summary=summary,
                 changes=changes)
    return message


def thread_url(thread: Thread) -> str:
    return f"{settings.EDUDESK_URL.rstrip('/')}/inbox/threads/{thread.pk}/"


@transaction.atomic
def escalate_thread(*, thread_id: int, actor, note: str = "") -> Thread:
    """Ask the team's channel for help, as the handbook does: the thread's summary and a
    link, posted through the Slack adapter (plain text: the adapter escapes it)."""
    thread = _locked(thread_id)
    channel = thread.mailbox.escalation_channel
    if not channel:
        raise ValidationError({"channel": "This mailbox has no escalation channel set."})
    note = (note or "").strip()[:1000]
    last = (Message.objects.filter(thread=thread, direction=Message.Direction.INBOUND)
            .order_by("-sent_at", "-id").values_list("body_text", flat=True).first() or "")
    category = thread.category.name if thread.category_id else "uncategorised"
    text = (f"Inbox thread needs help: “{thread.subject}” from "
            f"{thread.requester_name or thread.requester_email} <{thread.requester_email}> "
            f"({category}, {thread.get_status_display().lower()}). "
            f"They wrote: {_snippet(last)[:300]}"
            + (f" Note from {_name(actor)}: {note}" if note else f" Asked by {_name(actor)}."))
    outbox.enqueue(system=SLACK, action="escalate", subject=thread.subject_key, payload={
        "channel": channel, "text": text,
        "links": [{"url": thread_url(thread), "label": "Open in EduDesk"}]})
    audit.record(actor=actor, verb="escalate", subject=thread.subject_key,
                 summary=f"Escalated to {channel}" + (f": {note}" if note else "")[:250],
                 changes={"channel": channel})
    return thread
