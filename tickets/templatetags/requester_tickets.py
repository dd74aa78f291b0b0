"""`{% requester_tickets email %}`: a requester's tickets beside anything else about them (an
inbox thread), so the inbox shows them without importing the console."""

from django import template

from people.roles import CONSOLE_ROLES, has_role

from .. import selectors

register = template.Library()


@register.inclusion_tag("tickets/_requester_tickets.html", takes_context=True)
def requester_tickets(context, email: str, limit: int = 5) -> dict:
    user = context["request"].user
    found = (selectors.tickets_of_requester(user, email, limit)
             if email and has_role(user, *CONSOLE_ROLES) else [])
    return {"tickets": found, "email": email}
