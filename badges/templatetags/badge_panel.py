"""The requester's certifications and badges beside a ticket or a thread, so the apps that show
it need no Python import of badges.

`{% earner_panel email name %}` renders it in place (two queries); `{% earner_panel_later email
name %}` leaves a placeholder the browser fills right after the page arrives, so the page
does not wait for the earner's record (about a fifth of a ticket page's time).
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from people.roles import has_role

from .. import selectors
from ..views import BADGE_ROLES, BADGE_WRITE_ROLES

register = template.Library()


def panel_context(request, email: str, name: str, next_url: str, csrf_token=None) -> dict:
    if not has_role(request.user, *BADGE_ROLES):
        return {"hidden": True}
    email = selectors.normal_email(email)
    record = selectors.earner_record(email) if email else None
    if record is not None:
        # A result is covered by its own badge, or by a live one of its template the earner
        # holds already (issued by hand, say): only the others get a one-click issue.
        with_badge = {b.submission_id for b in record.badges}
        held = {b.template_id for b in record.badges
                if b.is_live and b.recipient_email == record.email}
        for submission in record.submissions:
            submission.has_badge = (submission.pk in with_badge
                                    or submission.certification.badge_template_id in held)
    first, _, last = (name or "").strip().partition(" ")
    found = {"email": email, "record": record, "first_name": first, "last_name": last.strip(),
             "can_issue_badges": has_role(request.user, *BADGE_WRITE_ROLES), "next": next_url}
    if csrf_token is not None:  # an inclusion tag has no context processors of its own
        found["csrf_token"] = csrf_token
    return found


@register.inclusion_tag("badges/_earner_panel.html", takes_context=True)
def earner_panel(context, email: str, name: str = "") -> dict:
    request = context["request"]
    return panel_context(request, email, name, request.get_full_path(),
                         context.get("csrf_token"))


@register.inclusion_tag("badges/_earner_panel_later.html", takes_context=True)
def earner_panel_later(context, email: str, name: str = "") -> dict:
    request = context["request"]
    if not has_role(request.user, *BADGE_ROLES):
        return {"hidden": True}
    query = urlencode({"email": email or "", "name": name or "",
                       "next": request.get_full_path()})
    return {"url": f"{reverse('badges:panel')}?{query}", "email": email,
            "all_url": f"{reverse('badges:earner')}?{urlencode({'email': email or ''})}"}
