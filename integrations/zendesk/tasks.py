"""Zendesk's Celery tasks and its outbox deliverer; each calls one function and returns."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import Q

from integrations.errors import ConflictError, UpstreamError
from integrations.models import OutboxMessage, ZendeskUser
from tickets.models import AgentProfile, Comment, Team, Ticket

from . import sync
from .client import ZendeskClient
from .connection import get_client, is_configured
from .mapping import parse_time

log = logging.getLogger(__name__)
COMPARED_FIELDS = {"status": "Status", "assignee_id": "Assignee", "group_id": "Group",
                   "tags": "Tags", "priority": "Priority"}


@shared_task(ignore_result=True)
def sync_incremental() -> str:
    """Beat and webhooks: bring in what changed since the saved cursor."""
    if not is_configured():
        return "not configured"
    return "done" if sync.run_sync().ran else "already running"


@shared_task(ignore_result=True)
def sync_full() -> str:
    if not is_configured():
        return "not configured"
    return "done" if sync.run_sync(full=True).ran else "already running"


def deliver(message: OutboxMessage) -> dict[str, Any]:
    """Outbox deliverer for system "zendesk": PUT the change with safe_update.

    payload: ticket_id, ticket (the PUT body), updated_stamp, optional macro_id and
    comment_pk. Raises integrations.errors.*; a 409 carries the upstream version.
    """
    client = get_client()
    payload = message.payload
    ticket_id = payload["ticket_id"]
    body = dict(payload.get("ticket") or {})
    if payload.get("macro_id"):
        body = {**_prepared_macro(client, message), **body}
    # After a conflict the agent's retry means "apply mine over the version I was shown".
    stamp = (message.response.get("conflict") or {}).get("upstream_updated_at") \
        or payload.get("updated_stamp")
    try:
        answer = client.update_ticket(ticket_id, body, updated_stamp=stamp,
                                      idempotency_key=str(message.idempotency_key))
    except ConflictError as exc:
        exc.record = {"conflict": conflict_record(client, ticket_id, body, stamp)}
        raise
    return record_success(message, answer, stamp)


def _prepared_macro(client: ZendeskClient, message: OutboxMessage) -> dict[str, Any]:
    """The macro's changes, asked once and kept: a retried PUT must send the same body, or
    Zendesk refuses the reused idempotency key."""
    prepared = message.response.get("prepared")
    if prepared is None:
        result = client.apply_macro(message.payload["ticket_id"], message.payload["macro_id"])
        ticket = (result.get("result") or {}).get("ticket") or {}
        prepared = {k: ticket[k] for k in ("status", "priority", "type", "group_id",
                                           "assignee_id", "tags") if k in ticket}
        comment = ticket.get("comment") or {}
        if comment.get("html_body") or comment.get("body"):
            prepared["comment"] = {"public": comment.get("public", True), **(
                {"html_body": comment["html_body"]} if comment.get("html_body")
                else {"body": comment["body"]})}
        message.response = {**message.response, "prepared": prepared}
        OutboxMessage.objects.filter(pk=message.pk).update(response=message.response)
    return prepared


def record_success(message: OutboxMessage, answer: dict[str, Any],
                   sent_stamp: str | None) -> dict[str, Any]:
    """Remember Zendesk's new updated_at, link our comment to Zendesk's, and rebase the
    ticket's queued actions that were based on the version we just replaced."""
    ticket = answer.get("ticket") or {}
    new_stamp = ticket.get("updated_at")
    updated = parse_time(new_stamp)
    events = (answer.get("audit") or {}).get("events") or []
    comment_id = next((e.get("id") for e in events
                       if isinstance(e, dict) and e.get("type") == "Comment"), None)
    with transaction.atomic():
        if updated is not None:
            Ticket.objects.filter(pk=message.ticket_id).filter(
                Q(upstream_updated_at__isnull=True) | Q(upstream_updated_at__lt=updated)
            ).update(upstream_updated_at=updated)
        local_pk = message.payload.get("comment_pk")
        if isinstance(comment_id, int) and local_pk:
            if Comment.objects.filter(external_id=comment_id).exclude(pk=local_pk).exists():
                # The sync got there first: its copy is the same comment.
                Comment.objects.filter(pk=local_pk, external_id=None).delete()
            else:
                Comment.objects.filter(pk=local_pk, external_id=None).update(
                    external_id=comment_id)
        if new_stamp and sent_stamp:
            following = OutboxMessage.objects.select_for_update().filter(
                system="zendesk", ticket_id=message.ticket_id,
                state=OutboxMessage.State.QUEUED, pk__gt=message.pk)
            for later in following:
                if later.payload.get("updated_stamp") == sent_stamp:
                    later.payload["updated_stamp"] = new_stamp
                    later.save(update_fields=["payload"])
    return {"updated_at": new_stamp, "status": ticket.get("status"), "comment_id": comment_id,
            "audit_id": (answer.get("audit") or {}).get("id")}


def conflict_record(client: ZendeskClient, ticket_id: int, body: dict[str, Any],
                    stamp: str | None) -> dict[str, Any]:
    """What Zendesk has now against what we tried to send, for the ticket page."""
    record: dict[str, Any] = {"our_stamp": stamp, "sent": body}
    try:
        upstream = client.show_ticket(ticket_id).get("ticket") or {}
    except UpstreamError as exc:
        record["fetch_error"] = f"The current Zendesk version could not be fetched: {exc}"
        return record
    record["upstream_updated_at"] = upstream.get("updated_at")
    record["upstream"] = {k: upstream.get(k) for k in (*COMPARED_FIELDS, "subject",
                                                       "updated_at")}
    differences = []
    for name, label in COMPARED_FIELDS.items():
        ours, theirs = body.get(name), upstream.get(name)
        if name in body and _normal(ours) != _normal(theirs):
            differences.append({"field": label, "ours": _show(name, ours),
                                "theirs": _show(name, theirs)})
    if body.get("comment"):
        differences.append({"field": "Comment", "ours": "your comment (not yet in Zendesk)",
                            "theirs": "-"})
    record["differences"] = differences
    return record


def _normal(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def _show(name: str, value: Any) -> str:
    if value is None or value == []:
        return "(none)"
    if name == "tags":
        return " ".join(value) if isinstance(value, list) else str(value)
    if name == "assignee_id":
        profile = AgentProfile.objects.filter(external_id=value).select_related("user").first()
        if profile is not None:
            return profile.user.get_full_name() or profile.user.get_username()
        person = ZendeskUser.objects.filter(external_id=value).first()
        return person.name if person else f"Zendesk user {value}"
    if name == "group_id":
        team = Team.objects.filter(external_id=value).first()
        return team.name if team else f"Zendesk group {value}"
    return str(value)
