"""The suggestions panels, as tags the console's and the inbox's templates load: those apps
never import this one. Each panel reads one stored row; nothing is computed here."""

from django import template

from inbox.views import INBOX_ROLES
from people.roles import has_role
from tickets import selectors as ticket_selectors

from .. import selectors

register = template.Library()


def _visible_tickets(user, ids: set[int]) -> set[int]:
    if not ids or ticket_selectors.sees_all_tickets(user):
        return ids  # most roles see every ticket: no query
    return set(ticket_selectors.tickets_visible_to(user).filter(pk__in=ids)
               .values_list("pk", flat=True))


@register.inclusion_tag("suggestions/_ticket_panel.html", takes_context=True)
def ticket_suggestions(context, ticket):
    user = context.get("user")
    row = selectors.suggestion_for(ticket.subject_key)
    payload = row.payload if row else {}
    similar = payload.get("similar", [])
    duplicates = payload.get("duplicates", [])
    visible = _visible_tickets(user, {s["id"] for s in similar}
                               | {d["id"] for d in duplicates if d["kind"] == "ticket"})
    inbox = has_role(user, *INBOX_ROLES)
    return {
        "ticket": ticket, "row": row, "csrf_token": context.get("csrf_token"),
        "macros": payload.get("macros", []), "delegate": payload.get("delegate"),
        "similar": [s for s in similar if s["id"] in visible],
        "duplicates": [d for d in duplicates if (d["id"] in visible if d["kind"] == "ticket"
                                                 else inbox)],
        "cold": payload.get("cold", {}),
        "can_act": not ticket.is_closed,
    }


@register.inclusion_tag("suggestions/_thread_panel.html", takes_context=True)
def thread_suggestions(context, thread):
    user = context.get("user")
    row = selectors.suggestion_for(thread.subject_key)
    payload = row.payload if row else {}
    duplicates = payload.get("duplicates", [])
    visible = _visible_tickets(user, {d["id"] for d in duplicates if d["kind"] == "ticket"})
    return {
        "thread": thread, "row": row, "csrf_token": context.get("csrf_token"),
        "category": payload.get("category"), "responses": payload.get("responses", []),
        "duplicates": [d for d in duplicates if d["kind"] == "thread" or d["id"] in visible],
    }
