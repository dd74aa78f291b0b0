"""`{% earner_panel email %}`: the requester's certifications and badges beside a ticket or a
thread, so the apps that show it need no Python import of badges (two queries)."""

from django import template

from people.roles import has_role

from .. import selectors
from ..views import BADGE_ROLES, BADGE_WRITE_ROLES

register = template.Library()


@register.inclusion_tag("badges/_earner_panel.html", takes_context=True)
def earner_panel(context, email: str, name: str = "") -> dict:
    request = context["request"]
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
    return {"email": email, "record": record, "first_name": first, "last_name": last.strip(),
            "can_issue_badges": has_role(request.user, *BADGE_WRITE_ROLES),
            "csrf_token": context.get("csrf_token"), "next": request.get_full_path()}
