"""Every change to a ticket: one transaction each, with its audit line and outbox rows."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from edudesk.html import sanitize_html, text_to_html
from integrations import outbox
from people import audit
from people.models import Team

from . import placeholders
from .models import Comment, Macro, RoutingRule, Ticket
from .signals import ticket_changed

AGENT_SETTABLE_STATUSES = (
    Ticket.Status.OPEN, Ticket.Status.PENDING, Ticket.Status.HOLD, Ticket.Status.SOLVED,
)
MAX_BODY_CHARS = 65_000


class StaleTicket(ValidationError):
    """The agent acted on a version of the ticket that is no longer the current one."""

    def __init__(self, ticket: Ticket, changes: list[str]) -> None:
        what = "; ".join(changes) or "it was updated in Zendesk"
        super().__init__(
            {"version": f"This ticket changed since you opened it ({what}). Nothing was "
                        "saved: look at it again, then apply your change."}, code="stale")
        self.ticket = ticket
        self.changes = changes
        # The API answers 409 with the current version, so a client can re-read and retry.
        self.http_status = 409
        self.extra = {"version": version_of(ticket), "changed": changes}


class OwnedByAnother(ValidationError):
    """Assigning would take the ticket from the person who owns it; the agent must say so."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__({"assignee": f"This ticket belongs to {ticket.owner_name}. Take it "
                                      "over?"}, code="owned")
        self.ticket = ticket
        self.owner = ticket.owner_name
        self.http_status = 409
        self.extra = {"owner": self.owner, "version": version_of(ticket),
                      "hint": "send take_over: true to take it over"}


def version_of(ticket: Ticket) -> str:
    """What an agent's form carries to say which version of the ticket it acts on."""
    return ticket.updated_at.isoformat()


def _locked(ticket_id: int, version: str | None = None) -> Ticket:
    """The ticket row, locked until the transaction ends (PostgreSQL; SQLite locks the file).

    With `version` (what the agent's page showed), an action on a ticket that changed since
    is refused with what changed, instead of silently overwriting a colleague's work.
    """
    # of=self: PostgreSQL cannot lock the nullable side of the assignee join.
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("assignee").filter(
        pk=ticket_id).first()
    if ticket is None:
        raise ValidationError({"ticket": "This ticket no longer exists."})
    if version and version != version_of(ticket):
        since = audit.history(ticket.subject_key)
        try:
            seen = ticket.updated_at.fromisoformat(version)
            since = since.filter(created_at__gt=seen)
        except ValueError:
            pass
        raise StaleTicket(ticket, [f"{e.actor.get_full_name() if e.actor else 'Zendesk'}: "
                                   f"{e.summary}" for e in since[:5]])
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
    """Saves the ticket and its audit line, and says what changed (`upstream`, in the
    domain's terms) to whoever listens: the Zendesk adapter queues it for Zendesk."""
    ticket.updated_at = timezone.now()
    ticket.save()
    # Stamped with the version it made: an agent who saw this version is not told of it
    # again when a later change makes their action stale.
    audit.record(actor=actor, verb=action, subject=ticket.subject_key, summary=summary,
                 changes=changes, at=ticket.updated_at)
    if upstream:
        ticket_changed.send(sender=Ticket, ticket=ticket, action=action, changes=upstream,
                            actor=actor)
    transaction.on_commit(_bump_generation, robust=True)


def _bump_generation() -> None:
    # View counts are cached per generation; a new one makes every count fresh.
    try:
        cache.incr("tickets:generation")
    except ValueError:
        cache.set("tickets:generation", 2, None)


def _said(comment: Comment) -> dict:
    """A comment as the ticket_changed signal carries it: its id travels with the text."""
    return {"id": comment.pk, "html": comment.body_html, "public": comment.is_public}


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "nobody"


@transaction.atomic
def assign_ticket(*, ticket_id: int, assignee, actor, version: str | None = None,
                  take_over: bool = False) -> Ticket:
    """Assign; taking a ticket from the person who owns it needs `take_over`."""
    ticket = _locked(ticket_id, version)
    _editable(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None) and not ticket.assignee_name:
        return ticket
    if ticket.owner_name and assignee is not None and not take_over:
        raise OwnedByAnother(ticket)
    before = ticket.owner_name or None
    ticket.assignee = assignee
    ticket.assignee_name = ""
    if ticket.status == Ticket.Status.NEW:
        ticket.status = Ticket.Status.OPEN
    _save(ticket, actor, "assign", f"Assigned to {_name(assignee)}",
          {"assignee": [before, _name(assignee) if assignee else None]},
          upstream={"assignee": assignee, "status": ticket.status})
    return ticket


@transaction.atomic
def set_status(*, ticket_id: int, status: str, actor, version: str | None = None) -> Ticket:
    ticket = _locked(ticket_id, version)
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
                status: str | None = None, version: str | None = None,
                macro: "Macro | None" = None, macro_changes: "MacroChanges | None" = None
                ) -> Comment:
    """A public reply or internal note, optionally with a status ("Submit as Pending").

    With `macro`, the reply is the agent's edit of it, and `macro_changes` the tags, group
    and assignee they kept: all go as one change (one history line, one delivery).
    """
    ticket = _locked(ticket_id, version)
    _editable(ticket)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something before sending."})
    if "\x00" in body:
        # PostgreSQL cannot store it, and no person typed it.
        raise ValidationError({"body": "The text contains a NUL character; remove it and send again."})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({"body": f"Keep it under {MAX_BODY_CHARS:,} characters."})
    if status:
        _check_status(ticket, status)
    if macro is not None:
        _check_macro_reply(macro, body)
    comment = Comment.objects.create(ticket=ticket, author=actor, author_name=_name(actor),
                                     is_public=public, body_html=text_to_html(body))
    changes: dict = {"comment": comment.pk}
    if public and ticket.assignee_id is None and not ticket.assignee_name:
        # Whoever answers a ticket owns it, so it shows in their My Assigned view.
        ticket.assignee = actor
        changes["assignee"] = [None, _name(actor)]
    new_status = status or (Ticket.Status.OPEN if ticket.status == Ticket.Status.NEW else None)
    if new_status and new_status != ticket.status:
        changes["status"] = [ticket.status, new_status]
        ticket.status = new_status
    upstream = {"comment": _said(comment), "status": ticket.status}
    kind = "Public reply" if public else "Internal note"
    if macro is not None:
        changes["macro"] = macro.title
        upstream.update(macro=macro, macro_edited=True)
        _apply_macro_fields(ticket, macro_changes or MacroChanges(), changes, upstream)
        kind += f" from macro {macro.title}"
    if "assignee" in changes:
        # Only a change of owner goes upstream: a ticket owned in Zendesk by someone without
        # an EduDesk login has no local assignee, and sending that would unassign them there.
        upstream.setdefault("assignee", ticket.assignee)
    summary = kind + (f", submitted as {ticket.status}" if "status" in changes else "")
    _save(ticket, actor, "reply" if public else "note", summary, changes, upstream=upstream)
    return comment


def _check_macro_reply(macro: Macro, body: str) -> None:
    if not macro.active:
        raise ValidationError({"macro": "This macro is switched off."})
    # An imported macro may hold placeholders only Zendesk fills: the agent replaces them.
    unknown = placeholders.unknown_in(body)
    if unknown:
        raise ValidationError({"body": "The reply still holds " + ", ".join(
            "{{" + name + "}}" for name in unknown) + ", which EduDesk cannot fill: replace "
            "it with the text the customer should read, then send."})


def _apply_macro_fields(ticket: Ticket, planned: "MacroChanges", changes: dict,
                        upstream: dict) -> None:
    """A macro's tags, group and assignee on `ticket`, noted in `changes` and `upstream`."""
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
        ticket.assignee_name = ""
        upstream["assignee"] = planned.assignee


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
        "ticket.id": str(ticket.number),
        "ticket.subject": ticket.subject,
        "ticket.requester.name": ticket.requester_name or "there",
        "ticket.requester.first_name": ticket.requester_first_name,
        "ticket.requester.email": ticket.requester_email,
        "current_user.name": _name(actor),
        "current_user.first_name": (actor.first_name or _name(actor)) if actor else "",
    }
    return placeholders.render(text, values)


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
    elif macro.assign_to_actor and actor is not None and ticket.assignee_id != actor.pk:
        changes.assignee = actor
    return changes


@transaction.atomic
def apply_macro(*, ticket_id: int, macro: Macro, actor, version: str | None = None) -> Ticket:
    ticket = _locked(ticket_id, version)
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
        upstream["comment"] = _said(comment)
    if planned.status:
        changes["status"] = [ticket.status, planned.status]
        ticket.status = planned.status
    _apply_macro_fields(ticket, planned, changes, upstream)
    _save(ticket, actor, "macro", f"Applied macro {macro.title}", changes, upstream=upstream)
    return ticket


@transaction.atomic
def route_ticket(*, ticket_id: int, actor, rule: RoutingRule | None = None,
                 delegate_user=None, delegate_team: Team | None = None, note: str = "",
                 version: str | None = None) -> Ticket:
    """Hand a ticket to a delegate person or team, or (a rule that consults a channel, as
    the handbook does with Field Enablement) keep it and ask the channel for help.

    A person or team picked by the agent replaces the rule: the two are never combined.
    """
    ticket = _locked(ticket_id, version)
    _editable(ticket)
    if delegate_user is not None or delegate_team is not None:
        rule = None
    elif rule is not None:
        if rule.keeps_ticket:
            return _consult(ticket, rule, actor, note)
        delegate_user, delegate_team = rule.delegate_user, rule.delegate_team
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
    ticket.assignee_name = ""
    text = f"Routed to {target}" + (f" by rule “{rule.name}”" if rule else "")
    note_text = note.strip()
    if note_text:
        text += f": {note_text}"
    note = Comment.objects.create(ticket=ticket, author=actor, author_name=_name(actor),
                                  is_public=False, body_html=text_to_html(text))
    channel = rule.slack_channel if rule else ""
    if channel:
        _notify_channel(ticket, channel, actor, note_text)
        changes["slack_channel"] = channel
    _save(ticket, actor, "route", text[:300], changes, upstream={
        "group": ticket.group, "assignee": ticket.assignee, "comment": _said(note)})
    return ticket


def _consult(ticket: Ticket, rule: RoutingRule, actor, note: str) -> Ticket:
    """Ask the rule's channel for help and keep the ticket: the agent stays its owner (it is
    assigned to them if nobody owned it), answers once the channel replies, and solves it."""
    note_text = note.strip()
    text = f"Asked {rule.slack_channel} for help (rule “{rule.name}”)" + (
        f": {note_text}" if note_text else "")
    comment = Comment.objects.create(ticket=ticket, author=actor, author_name=_name(actor),
                                     is_public=False, body_html=text_to_html(text))
    changes: dict = {"consulted": rule.slack_channel, "rule": rule.name}
    upstream: dict = {"comment": _said(comment)}
    if not ticket.owner_name and actor is not None:
        ticket.assignee = actor
        changes["assignee"] = [None, _name(actor)]
        upstream["assignee"] = actor
        if ticket.status == Ticket.Status.NEW:
            ticket.status = Ticket.Status.OPEN
            upstream["status"] = ticket.status
    _notify_channel(ticket, rule.slack_channel, actor, note_text)
    _save(ticket, actor, "route", text[:300], changes, upstream=upstream)
    return ticket


def _notify_channel(ticket: Ticket, channel: str, actor, note_text: str) -> None:
    # Plain text: the chat adapter escapes it, since subjects and notes are user text.
    links = [{"url": url, "label": label} for url, label in ticket_links(ticket)]
    outbox.enqueue(system="slack", action="notify_route", subject=ticket.subject_key, payload={
        "channel": channel,
        "text": f"Ticket #{ticket.number} “{ticket.subject}” needs you ({ticket.requester_email})."
                + (f" Note from {_name(actor)}: {note_text}" if note_text else ""),
        "links": links,
    })


def ticket_links(ticket: Ticket) -> list[tuple[str, str]]:
    """Where people open the ticket: in Zendesk (for a Zendesk ticket) and in EduDesk."""
    links = []
    if ticket.zendesk_id is not None and settings.ZENDESK_URL:
        links.append((f"{settings.ZENDESK_URL.rstrip('/')}/agent/tickets/{ticket.zendesk_id}",
                      "Zendesk"))
    links.append((f"{settings.EDUDESK_URL.rstrip('/')}/tickets/{ticket.pk}/", "EduDesk"))
    return links
