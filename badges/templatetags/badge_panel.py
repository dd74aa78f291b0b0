"""`{% earner_panel_later email name %}`: the requester's certifications and badges beside a
ticket or a thread, so the apps that show it need no Python import of badges.

It leaves a placeholder the browser fills from `badges:panel` right after the page arrives,
so the page does not wait for the earner's record (about a fifth of a ticket page's time).
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from people.roles import has_role

from ..views import BADGE_ROLES

register = template.Library()


@register.inclusion_tag("badges/_earner_panel_later.html", takes_context=True)
def earner_panel_later(context, email: str, name: str = "") -> dict:
    request = context["request"]
    if not has_role(request.user, *BADGE_ROLES):
        return {"hidden": True}
    query = urlencode({"email": email or "", "name": name or "",
                       "next": request.get_full_path()})
    return {"url": f"{reverse('badges:panel')}?{query}", "email": email,
            "all_url": f"{reverse('badges:earner')}?{urlencode({'email': email or ''})}"}
