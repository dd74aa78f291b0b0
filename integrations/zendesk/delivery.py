"""Agents' ticket changes to Zendesk: queued from the domain's signal, delivered by the outbox."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from integrations import outbox
from integrations.errors import ConflictError, PermanentError, UpstreamError
from integrations.models import OutboxMessage
from people.models import AgentProfile, Team
from tickets.models import Comment, Ticket

from .client import ZendeskClient
from .conf import get_client
from .mapping import parse_time, zendesk_time
from .models import ZendeskUser

log = logging.getLogger(__name__)
SYSTEM = "zendesk"
COMPARED_FIELDS = {"status": "Status", "assignee_id": "Assignee", "group_id": "Group",
                   "tags": "Tags", "priority": "Priority"}
# What a Zendesk macro may set that EduDesk's macros do not model.
MACRO_ONLY_IN_ZENDESK = ("priority", "type")


# ---- queueing: the domain's terms to Zendesk's ------------------------------------------
def _zendesk_user_id(user) -> int | None:
    # Read, not taken from user.agent_profile: a long-lived user object (a worker's, a
    # test's) may hold a profile cached from before the sync linked it to Zendesk.
    if user is None:
        return None
    return AgentProfile.objects.filter(user_id=user.pk).values_list(
        "zendesk_id", flat=True).first()


def ticket_changes(changes: dict[str, Any], actor=None) -> tuple[dict[str, Any], list[str]]:
    """The PUT /tickets/{id} body for local `changes`, and what could not be expressed."""
    body: dict[str, Any] = {}
    skipped: list[str] = []
    if changes.get("status"):
        body["status"] = changes["status"]
    if "assignee" in changes:
        assignee = changes["assignee"]
        zendesk_id = _zendesk_user_id(assignee)
        if assignee is None or zendesk_id is not None:
            body["assignee_id"] = zendesk_id
        else:
            skipped.append(f"assignee {assignee.get_username()} has no Zendesk account")
    if "group" in changes:
        group = changes["group"]
        if group is None or group.zendesk_id is not None:
            body["group_id"] = group.zendesk_id if group is not None else None
        else:
            skipped.append(f"team {group.name} is not a Zendesk group")
    if changes.get("tags") is not None:
        body["tags"] = list(changes["tags"])
    comment = changes.get("comment")
    if comment and comment.get("html"):
        body["comment"] = {"html_body": comment["html"], "public": bool(comment.get("public"))}
        author = _zendesk_user_id(actor)
        if author is not None:
            body["comment"]["author_id"] = author  # else Zendesk's API user is the author
    return body, skipped


def on_ticket_changed(sender, *, ticket: Ticket, action: str, changes: dict[str, Any],
                      actor=None, **kwargs) -> OutboxMessage | None:
    """tickets.signals.ticket_changed: queue the change for a ticket that came from Zendesk.

    Runs inside the action's transaction, so the row commits (or not) with the change. The
    row carries the ticket's updated_at as last seen, for safe_update.
    """
    if ticket.zendesk_id is None:
        return None
    macro = changes.get("macro")
    body, skipped = ticket_changes(changes, actor)
    payload: dict[str, Any] = {"ticket_id": ticket.zendesk_id, "ticket_pk": ticket.pk,
                               "updated_stamp": zendesk_time(ticket.upstream_updated_at)}
    if macro is not None and macro.zendesk_id is not None:
        # Zendesk renders its own macro (placeholders, actions EduDesk does not model): the
        # deliverer asks for the result and sends that instead of our local reading of it;
        # a reply the agent edited from the macro keeps their text and fields, and takes
        # from Zendesk only what EduDesk does not model.
        payload["macro_id"] = macro.zendesk_id
        if changes.get("macro_edited"):
            payload["macro_keys"] = list(MACRO_ONLY_IN_ZENDESK)
        else:
            # Zendesk applies it as the integration account: its "current user" (an
            # assign-to-me, a {{current_user.name}} signature) would be that account. Where
            # EduDesk read the macro whole, its own reading for the agent goes instead.
            said = body.get("comment") or {}
            body = {key: value for key, value in body.items()
                    if key == "assignee_id" or (key == "comment"
                                                and "{{" not in said.get("html_body", "{{"))}
            if macro.assign_to_actor and (me := _zendesk_user_id(actor)) is not None:
                body["assignee_id"] = me  # even when it is theirs already
        # The comment Zendesk renders is the agent's, not the integration account's.
        if (author := _zendesk_user_id(actor)) is not None:
            payload["author_id"] = author
    payload["ticket"] = body
    if comment := changes.get("comment"):
        payload["comment_pk"] = comment["id"]  # linked to Zendesk's comment id once delivered
    if skipped:
        payload["skipped"] = skipped
        log.info("zendesk update of ticket %s leaves out: %s", ticket.zendesk_id, skipped)
    return outbox.enqueue(system=SYSTEM, action=action, subject=ticket.subject_key,
                          payload=payload, upstream_version=payload["updated_stamp"] or "")


# ---- delivery ----------------------------------------------------------------------------
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
        prepared = _prepared_macro(client, message)
        if payload.get("macro_keys") is not None:
            prepared = {k: v for k, v in prepared.items() if k in payload["macro_keys"]}
        body = {**prepared, **body}
        if body.get("comment") and payload.get("author_id"):
            body["comment"] = {"author_id": payload["author_id"], **body["comment"]}
    # After a conflict the agent's retry means "apply mine over the version I was shown".
    stamp = (message.response.get("conflict") or {}).get("upstream_updated_at") \
        or message.upstream_version or payload.get("updated_stamp")
    try:
        answer = client.update_ticket(ticket_id, body, updated_stamp=stamp,
                                      idempotency_key=str(message.idempotency_key))
    except ConflictError as exc:
        exc.record = {"conflict": conflict_record(client, ticket_id, body, stamp)}
        raise
    except PermanentError as exc:
        if exc.status == 422:
            # Refused (a closed ticket, a field Zendesk will not take): the page shows what
            # Zendesk holds beside the refused change, not our local copy of it.
            exc.record = {"refused": conflict_record(client, ticket_id, body, stamp)}
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
    """Remember Zendesk's new updated_at, link our comment to Zendesk's, and move the lane's
    queued actions that were written against the version we just replaced on to the new one.

    The ticket row is locked first: an agent's action on this ticket, committing meanwhile,
    either commits before (its row is moved on here) or reads the new version (PostgreSQL
    waits on the lock; SQLite runs one write transaction at a time).
    """
    ticket = answer.get("ticket") or {}
    new_stamp = ticket.get("updated_at")
    updated = parse_time(new_stamp)
    events = (answer.get("audit") or {}).get("events") or []
    comment_id = next((e.get("id") for e in events
                       if isinstance(e, dict) and e.get("type") == "Comment"), None)
    with transaction.atomic():
        ticket_pk = message.payload.get("ticket_pk")
        list(Ticket.objects.select_for_update().filter(pk=ticket_pk).values_list("pk"))
        if updated is not None:
            Ticket.objects.filter(pk=ticket_pk).filter(
                Q(upstream_updated_at__isnull=True) | Q(upstream_updated_at__lt=updated)
            ).update(upstream_updated_at=updated)
        local_pk = message.payload.get("comment_pk")
        if isinstance(comment_id, int) and local_pk:
            if Comment.objects.filter(zendesk_id=comment_id).exclude(pk=local_pk).exists():
                # The sync got there first: its copy is the same comment.
                Comment.objects.filter(pk=local_pk, zendesk_id=None).delete()
            else:
                Comment.objects.filter(pk=local_pk, zendesk_id=None).update(
                    zendesk_id=comment_id)
        if new_stamp and sent_stamp:
            OutboxMessage.objects.filter(
                system=SYSTEM, subject=message.subject, state=OutboxMessage.State.QUEUED,
                pk__gt=message.pk, upstream_version=sent_stamp,
            ).update(upstream_version=new_stamp)
    return {"updated_at": new_stamp, "sent_stamp": sent_stamp, "status": ticket.get("status"),
            "comment_id": comment_id, "audit_id": (answer.get("audit") or {}).get("id")}


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
        profile = AgentProfile.objects.filter(zendesk_id=value).select_related("user").first()
        if profile is not None:
            return profile.user.get_full_name() or profile.user.get_username()
        person = ZendeskUser.objects.filter(zendesk_id=value).first()
        return person.name if person else f"Zendesk user {value}"
    if name == "group_id":
        team = Team.objects.filter(zendesk_id=value).first()
        return team.name if team else f"Zendesk group {value}"
    return str(value)
