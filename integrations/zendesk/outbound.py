"""Agents' ticket changes, queued for Zendesk when the ticket came from Zendesk."""

from __future__ import annotations

import logging
from typing import Any

from integrations import outbox
from integrations.models import OutboxMessage
from tickets.models import AgentProfile, Comment, Ticket

from .mapping import zendesk_time

log = logging.getLogger(__name__)


def _zendesk_user_id(user) -> int | None:
    # Read, not taken from user.agent_profile: a long-lived user object (a worker's, a
    # test's) may hold a profile cached from before the sync linked it to Zendesk.
    if user is None:
        return None
    return AgentProfile.objects.filter(user_id=user.pk).values_list(
        "external_id", flat=True).first()


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
        if group is None or group.external_id is not None:
            body["group_id"] = group.external_id if group is not None else None
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


def queue_ticket_update(*, ticket: Ticket, action: str, changes: dict[str, Any],
                        actor=None) -> OutboxMessage:
    """Called by tickets.services inside the action's transaction; returns the outbox row.

    `changes` is in local terms: status (str), assignee (User|None), group (Team|None),
    tags (full list of str), comment ({"html": str, "public": bool}), macro (Macro).
    The row carries the ticket's updated_at as last seen, for safe_update.
    """
    macro = changes.get("macro")
    body, skipped = ticket_changes(changes, actor)
    payload: dict[str, Any] = {"ticket_id": ticket.external_id,
                               "updated_stamp": zendesk_time(ticket.upstream_updated_at)}
    if macro is not None and macro.external_id is not None:
        # Zendesk renders its own macro (placeholders, actions EduDesk does not model): the
        # deliverer asks for the result and sends that instead of our local reading of it.
        payload["macro_id"] = macro.external_id
        body = {}
    payload["ticket"] = body
    if comment := changes.get("comment"):
        local = Comment.objects.filter(ticket=ticket, external_id=None,
                                       body_html=comment.get("html", "")).order_by("-pk").first()
        if local is not None:
            payload["comment_pk"] = local.pk  # linked to Zendesk's comment id once delivered
    if skipped:
        payload["skipped"] = skipped
        log.info("zendesk update of ticket %s leaves out: %s", ticket.external_id, skipped)
    return outbox.enqueue(system="zendesk", action=action, payload=payload, ticket=ticket)
