"""Every change to a ticket: one transaction each, with its audit line and outbox rows."""

import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edudesk.html import sanitize_html, text_to_html
from integrations import outbox
from integrations.zendesk import outbound as zendesk

from .models import AuditEvent, Comment, Macro, RoutingRule, Team, Ticket

AGENT_SETTABLE_STATUSES = (
    Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.HOLD, Ticket.Status.SOLVED,
)
PLACEHOLDER = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")
MAX_BODY_CHARS = 65_000


def _locked(ticket_id: int) -> Ticket:
    """The ticket row, locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        raise ValidationError({"ticket": "This ticket no longer exists."})
    return ticket


def _editable(ticket: Ticket) -> None:
    if ticket.is_closed:
        raise ValidationError(
            {"ticket": "This ticket is closed and cannot be changed; open a follow-up instead."}
        )


def _check_status(ticket: Ticket, status: str) -> None:
    if status not in Ticket.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status not in AGENT_SETTABLE_STATUSES:
        raise ValidationError(
            {"status": f"A ticket cannot be set to {status!r}; choose open, pending, hold or solved."}
        )


def _save(ticket: Ticket, actor, action: str, summary: str, changes: dict,
          upstream: dict | None = None) -> None:
    """Saves the ticket, its audit line and, for a Zendesk ticket, the upstream update."""
    ticket.updated_at = timezone.now()
    ticket.save()
    AuditEvent.objects.create(ticket=ticket, actor=actor, action=action, summary=summary,
                              changes=changes)
    if ticket.external_id is not None and upstream:
        zendesk.queue_ticket_update(ticket=ticket, action=action, changes=upstream, actor=actor)
    transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    # View counts are cached per generation; a new one makes every count fresh.
    try:
        cache.incr("tickets:generation")
    except ValueError:
        cache.set("tickets:generation", 2, None)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "nobody"


@transaction.atomic
def assign_ticket(*, ticket_id: int, assignee, actor) -> Ticket:
    ticket = _locked(ticket_id)
    _editable(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    before = _name(ticket.assignee) if ticket.assignee_id else None
    ticket.assignee = assignee
    if ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
    _save(ticket, actor, "assign", f"Assigned to {_name(assignee)}",
          {"assignee": [before, _name(assignee) if assignee else None]},
          upstream={"assignee": assignee, "status": ticket.status})
    return ticket


@transaction.atomic
def set_status(*, ticket_id: int, status: str, actor) -> Ticket:
    ticket = _locked(ticket_id)
    _editable(ticket)
    _check_status(ticket, status)
    if ticket.status != status:
        changes = {"status": [ticket.status, status]}
        ticket.status = status
        _save(ticket, actor, "status", f"Status set to {status}", changes,
              upstream={"status": status})
    return ticket


@transaction.atomic
def add_comment(*, ticket_id: int, actor, body: str, public: bool,
                status: str | None = None) -> Comment:
    """A public reply or internal note, optionally with a status ("Submit as Pending")."""
    ticket = _locked(ticket_id)
    _editable(ticket)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something before sending."})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({"body": f"Keep it under {MAX_BODY_CHARS:,} characters."})
    if status:
        _check_status(ticket, status)
    comment = Comment.objects.create(ticket=ticket, author=actor, author_name=_name(actor),
                                     is_public=public, body_html=text_to_html(body))
    changes: dict = {"comment": comment.pk}
    if public and ticket.assignee_id is None:
        # Whoever answers a ticket owns it, so it shows in their My Assigned view.
        ticket.assignee = actor
        changes["assignee"] = [None, _name(actor)]
    new_status = status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else None)
    if new_status and new_status != ticket.status:
        changes["status"] = [ticket.status, new_status]
        ticket.status = new_status
    kind = "Public reply" if public else "Internal note"
    summary = kind + (f", submitted as {ticket.status}" if "status" in changes else "")
    upstream = {"comment": {"html": comment.body_html, "public": public},
                "status": ticket.status, "assignee": ticket.assignee}
    _save(ticket, actor, "reply" if public else "note", summary, changes, upstream=upstream)
    return comment


@dataclass
class MacroChanges:
    """What a macro would do to a ticket; shown before it is applied."""

    comment_html: str = ""
    comment_is_public: bool = True
    status: str | None = None
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    group: Team | None = None
    assignee: object = None

    @property
    def is_empty(self) -> bool:
        return not (self.comment_html or self.status or self.tags_added or self.tags_removed
                    or self.group or self.assignee)


def render_placeholders(text: str, *, ticket: Ticket, actor) -> str:
    values = {
        "ticket.id": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "ticket.requester.name": ticket.requester_name or "there",
        "ticket.requester.first_name": ticket.requester_first_name,
        "ticket.requester.email": ticket.requester_email,
        "current_user.name": _name(actor),
        "current_user.first_name": (actor.first_name or _name(actor)) if actor else "",
    }
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def preview_macro(*, ticket: Ticket, macro: Macro, actor) -> MacroChanges:
    """The changes `apply_macro` would make, computed without writing anything."""
    current = set(ticket.tag_list)
    changes = MacroChanges(comment_is_public=macro.comment_is_public)
    if macro.comment:
        changes.comment_html = text_to_html(
            render_placeholders(macro.comment, ticket=ticket, actor=actor))
    if macro.set_status and macro.set_status != ticket.status:
        changes.status = macro.set_status
    changes.tags_added = sorted(set(macro.add_tags.split()) - current)
    changes.tags_removed = sorted(set(macro.remove_tags.split()) & current)
    if macro.set_group_id and macro.set_group_id != ticket.group_id:
        changes.group = macro.set_group
    if macro.set_assignee_id and macro.set_assignee_id != ticket.assignee_id:
        changes.assignee = macro.set_assignee
    return changes


@transaction.atomic
def apply_macro(*, ticket_id: int, macro: Macro, actor) -> Ticket:
    ticket = _locked(ticket_id)
    _editable(ticket)
    if not macro.active:
        raise ValidationError({"macro": "This macro is switched off."})
    planned = preview_macro(ticket=ticket, macro=macro, actor=actor)
    if planned.status:
        _check_status(ticket, planned.status)
    changes: dict = {"macro": macro.title}
    upstream: dict = {"macro": macro, "status": planned.status or ticket.status}
    if planned.comment_html:
        comment = Comment.objects.create(
            ticket=ticket, author=actor, author_name=_name(actor),
            is_public=planned.comment_is_public, body_html=sanitize_html(planned.comment_html))
        changes["comment"] = comment.pk
        upstream["comment"] = {"html": comment.body_html, "public": comment.is_public}
    if planned.status:
        changes["status"] = [ticket.status, planned.status]
        ticket.status = planned.status
    if planned.tags_added or planned.tags_removed:
        tags = (set(ticket.tag_list) | set(planned.tags_added)) - set(planned.tags_removed)
        changes["tags"] = {"added": planned.tags_added, "removed": planned.tags_removed}
        ticket.tags = Ticket.pack_tags(tags)
        upstream["tags"] = ticket.tag_list
    if planned.group:
        changes["group"] = planned.group.name
        ticket.group = planned.group
        upstream["group"] = planned.group
    if planned.assignee:
        changes["assignee"] = _name(planned.assignee)
        ticket.assignee = planned.assignee
        upstream["assignee"] = planned.assignee
    _save(ticket, actor, "macro", f"Applied macro {macro.title}", changes, upstream=upstream)
    return ticket


@transaction.atomic
def route_ticket(*, ticket_id: int, actor, rule: RoutingRule | None = None,
                 delegate_user=None, delegate_team: Team | None = None, note: str = "") -> Ticket:
    """Hand a ticket to a delegate person or team, and tell their Slack channel if any."""
    ticket = _locked(ticket_id)
    _editable(ticket)
    if rule is not None:
        delegate_user = delegate_user or rule.delegate_user
        delegate_team = delegate_team or rule.delegate_team
    if delegate_user is None and delegate_team is None:
        raise ValidationError({"delegate": "Choose a delegate person or team."})
    if delegate_team is None and delegate_user is not None:
        profile = getattr(delegate_user, "agent_profile", None)
        delegate_team = profile.team if profile else None
    target = _name(delegate_user) if delegate_user else delegate_team.name
    changes = {"routed_to": target, "rule": rule.name if rule else None}
    if delegate_team is not None:
        ticket.group = delegate_team
    ticket.assignee = delegate_user
    text = f"Routed to {target}" + (f" by rule “{rule.name}”" if rule else "")
    if note.strip():
        text += f": {note.strip()}"
    note_html = text_to_html(text)
    Comment.objects.create(ticket=ticket, author=actor, author_name=_name(actor),
                           is_public=False, body_html=note_html)
    channel = rule.slack_channel if rule else ""
    if channel:
        outbox.enqueue(system="slack", action="notify_route", ticket=ticket, payload={
            "channel": channel,
            "text": f"Ticket #{ticket.pk} “{ticket.subject}” needs you ({ticket.requester_email})."
                    + (f" Note from {_name(actor)}: {note.strip()}" if note.strip() else ""),
        })
        changes["slack_channel"] = channel
    _save(ticket, actor, "route", text[:300], changes, upstream={
        "group": ticket.group, "assignee": ticket.assignee,
        "comment": {"html": note_html, "public": False}})
    return ticket
