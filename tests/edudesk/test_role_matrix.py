"""Every route, every role: who gets in and who is turned away.

The matrix is checked against the URL configuration, so a new route without a
line here fails the suite instead of shipping unchecked.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from people import roles
from tests.factories import TicketFactory
from tests.inbox.factories import ThreadFactory

CONSOLE = {roles.AGENT, roles.LD_AGENT, roles.MANAGER, roles.ADMIN}
ADMIN_ONLY = {roles.ADMIN}
INBOX = {roles.AGENT, roles.MANAGER, roles.ADMIN}  # Education Services answers the inbox
REPORTS = {roles.MANAGER, roles.ADMIN}
SIGNED_IN = CONSOLE | {"none"}  # someone without a role may still ask for one
PUBLIC = "public"

# route name -> (method, path template, roles admitted)
MATRIX = {
    "tickets:home": ("get", "/", CONSOLE),
    "tickets:view-counts": ("get", "/views/counts/", CONSOLE),
    "tickets:search": ("get", "/search/?q=badge", CONSOLE),
    "tickets:overview": ("get", "/overview/", {roles.MANAGER, roles.ADMIN}),
    "tickets:view": ("get", "/views/triage/", CONSOLE),
    "tickets:bulk": ("post", "/tickets/bulk/", CONSOLE),
    "tickets:bulk-results": ("get", "/tickets/bulk/999/", CONSOLE),
    "tickets:ticket": ("get", "/tickets/{t}/", CONSOLE),
    "tickets:assign": ("post", "/tickets/{t}/assign/", CONSOLE),
    "tickets:reply": ("post", "/tickets/{t}/reply/", CONSOLE),
    "tickets:status": ("post", "/tickets/{t}/status/", CONSOLE),
    "tickets:macro-preview": ("get", "/tickets/{t}/macro/preview/", CONSOLE),
    "tickets:macro": ("post", "/tickets/{t}/macro/", CONSOLE),
    "tickets:route": ("post", "/tickets/{t}/route/", CONSOLE),
    "tickets:presence": ("post", "/tickets/{t}/presence/", CONSOLE),
    "tickets:retry-delivery": ("post", "/tickets/{t}/deliveries/999/retry/", CONSOLE),
    "api:token": ("post", "/api/v1/auth/token/", PUBLIC),
    "api:views": ("get", "/api/v1/views/", CONSOLE),
    "api:view-tickets": ("get", "/api/v1/views/my-assigned/tickets/", CONSOLE),
    "api:ticket": ("get", "/api/v1/tickets/{t}/", CONSOLE),
    "api:ticket-assign": ("post", "/api/v1/tickets/{t}/assign/", CONSOLE),
    "api:ticket-reply": ("post", "/api/v1/tickets/{t}/reply/", CONSOLE),
    "api:ticket-status": ("post", "/api/v1/tickets/{t}/status/", CONSOLE),
    "api:ticket-macro": ("post", "/api/v1/tickets/{t}/macro/", CONSOLE),
    "api:ticket-macro-preview": ("get", "/api/v1/tickets/{t}/macros/1/preview/", CONSOLE),
    "api:ticket-route": ("post", "/api/v1/tickets/{t}/route/", CONSOLE),
    "api:macros": ("get", "/api/v1/macros/", CONSOLE),
    "api:routing-rules": ("get", "/api/v1/routing-rules/", CONSOLE),
    "schema": ("get", "/api/schema/", CONSOLE),
    "api-docs": ("get", "/api/docs/", CONSOLE),
    "admin:index": ("get", "/admin/", ADMIN_ONLY),
    "zendesk:webhook": ("post", "/hooks/zendesk/", PUBLIC),
    "credly:webhook": ("post", "/hooks/credly/", PUBLIC),
    "badges:certification-webhook": ("post", "/hooks/certifications/", PUBLIC),
    # Badges: L&D agents read them (DESIGN.md), Education Services, managers, admins act.
    "badges:dashboard": ("get", "/badges/", CONSOLE),
    "badges:earner": ("get", "/badges/earner/?email=ada@example.com", CONSOLE),
    "badges:panel": ("get", "/badges/earner/panel/?email=ada@example.com&next=/", CONSOLE),
    "badges:badge": ("get", "/badges/999/", CONSOLE),
    "badges:steps": ("get", "/badges/999/steps/", CONSOLE),
    "badges:issue": ("get", "/badges/issue/", INBOX),
    "badges:change-email": ("post", "/badges/999/email/", INBOX),
    "badges:revoke": ("post", "/badges/999/revoke/", INBOX),
    "badges:retry": ("post", "/badges/999/deliveries/999/retry/", INBOX),
    "badges:issue-for-submission": ("post", "/badges/submissions/999/issue/", INBOX),
    "badges:bulk-upload": ("get", "/badges/bulk/", INBOX),
    "badges:bulk": ("get", "/badges/bulk/999/", INBOX),
    "badges:bulk-start": ("post", "/badges/bulk/999/start/", INBOX),
    "badges:bulk-progress": ("get", "/badges/bulk/999/progress/", INBOX),
    "inbox:list": ("get", "/inbox/", INBOX),
    "inbox:thread": ("get", "/inbox/threads/{th}/", INBOX),
    "inbox:insert-response": ("get", "/inbox/threads/{th}/composer/?response=1", INBOX),
    "inbox:reply": ("post", "/inbox/threads/{th}/reply/", INBOX),
    "inbox:assign": ("post", "/inbox/threads/{th}/assign/", INBOX),
    "inbox:status": ("post", "/inbox/threads/{th}/status/", INBOX),
    "inbox:category": ("post", "/inbox/threads/{th}/category/", INBOX),
    "inbox:escalate": ("post", "/inbox/threads/{th}/escalate/", INBOX),
    "inbox:retry-delivery": ("post", "/inbox/threads/{th}/deliveries/999/retry/", INBOX),
    "inbox:rotation": ("get", "/inbox/rotation/", INBOX),
    "inbox:swap": ("post", "/inbox/rotation/swap/", INBOX),
    "inbox:cover": ("post", "/inbox/rotation/cover/", INBOX),
    "inbox:cancel-override": ("post", "/inbox/rotation/overrides/999/cancel/", INBOX),
    "inbox:assign-shift": ("post", "/inbox/rotation/shifts/999/assign/", ADMIN_ONLY),
    "inbox:create-feed": ("post", "/inbox/rotation/calendar-link/", INBOX),
    "inbox:revoke-feed": ("post", "/inbox/rotation/calendar-link/revoke/", INBOX),
    "inbox:ics": ("get", "/inbox/calendar/not-a-token.ics", PUBLIC),  # the token is the key
    "suggestions:ticket-dismiss": ("post", "/tickets/{t}/suggestions/dismiss/", CONSOLE),
    "suggestions:thread-dismiss": ("post", "/inbox/threads/{th}/suggestions/dismiss/", INBOX),
    "gmail:connection": ("get", "/connections/gmail/", ADMIN_ONLY),
    "gmail:status": ("get", "/connections/gmail/status/", ADMIN_ONLY),
    "gmail:full-sync": ("post", "/connections/gmail/full-sync/", ADMIN_ONLY),
    "zendesk:connection": ("get", "/connections/zendesk/", ADMIN_ONLY),
    "zendesk:status": ("get", "/connections/zendesk/status/", ADMIN_ONLY),
    "zendesk:full-sync": ("post", "/connections/zendesk/full-sync/", ADMIN_ONLY),
    "login": ("get", "/login/", PUBLIC),
    "logout": ("post", "/logout/", PUBLIC),
    "healthz": ("get", "/healthz", PUBLIC),
    "oidc_authentication_init": ("get", "/oidc/authenticate/", PUBLIC),
    "oidc_authentication_callback": ("get", "/oidc/callback/", PUBLIC),
    "oidc_logout": ("post", "/oidc/logout/", PUBLIC),
    "accounts:access": ("get", "/access/", SIGNED_IN),
    "accounts:request-access": ("post", "/access/request/", SIGNED_IN),
    "accounts:access-requests": ("get", "/access/requests/", ADMIN_ONLY),
    "accounts:approve": ("post", "/access/requests/999/approve/", ADMIN_ONLY),
    "accounts:decline": ("post", "/access/requests/999/decline/", ADMIN_ONLY),
    "accounts:withdraw": ("post", "/access/requests/999/withdraw/", ADMIN_ONLY),
    "accounts:preferences": ("get", "/account/preferences/", CONSOLE),
    "accounts:tokens": ("get", "/account/tokens/", CONSOLE),
    "accounts:create-token": ("post", "/account/tokens/new/", CONSOLE),
    "accounts:revoke-token": ("post", "/account/tokens/999/revoke/", CONSOLE),
    "accounts:audit": ("get", "/audit/", ADMIN_ONLY),
    "accounts:audit-csv": ("get", "/audit/export.csv", ADMIN_ONLY),
    "api:tokens": ("get", "/api/v1/auth/tokens/", CONSOLE),
    "api:token-revoke": ("post", "/api/v1/auth/tokens/999/revoke/", CONSOLE),
    "api:audit-events": ("get", "/api/v1/audit-events/", ADMIN_ONLY),
    "reports:index": ("get", "/reports/", REPORTS),
    "reports:certifications": ("get", "/reports/certifications/", REPORTS),
    "reports:certifications-csv": ("get", "/reports/certifications.csv", REPORTS),
    "reports:subscription": ("post", "/reports/subscription/", REPORTS),
    "api:report-certifications": ("get", "/api/v1/reports/certifications/", REPORTS),
    "reports:inbox": ("get", "/reports/inbox/", REPORTS),
    "reports:inbox-csv": ("get", "/reports/inbox.csv", REPORTS),
    "api:report-inbox": ("get", "/api/v1/reports/inbox/", REPORTS),
    "reports:tickets": ("get", "/reports/tickets/", REPORTS),
    "reports:tickets-csv": ("get", "/reports/tickets.csv", REPORTS),
    "api:report-tickets": ("get", "/api/v1/reports/tickets/", REPORTS),
}


def _route_names(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                yield "admin:index"  # the admin site checks the role once, for all its pages
                continue
            yield from _route_names(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name


def test_every_route_is_in_the_matrix():
    missing = set(_route_names()) - set(MATRIX)
    assert not missing, f"Routes without a role decision: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", [roles.AGENT, roles.LD_AGENT, roles.MANAGER, roles.ADMIN,
                                  "none", "anonymous"])
def test_role_matrix(client, users_by_role, name, role):
    method, path, admitted = MATRIX[name]
    # An L&D agent reaches tickets of their own team; give them one so "admitted" is tested.
    ticket = TicketFactory(group=users_by_role[roles.LD_AGENT].agent_profile.team)
    thread = ThreadFactory()
    if role != "anonymous":
        client.force_login(users_by_role[role])
    response = getattr(client, method)(path.format(t=ticket.pk, th=thread.pk))
    if admitted == PUBLIC:
        assert response.status_code < 500
        return
    if role in admitted:
        assert response.status_code not in (401, 403), f"{role} refused at {path}"
        assert response.status_code != 302 or "/login/" not in response.get("Location", "")
        assert response.status_code < 500
    elif role == "anonymous":
        if path.startswith("/api/"):
            assert response.status_code in (401, 403)
        else:
            assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        if name == "admin:index":
            assert response.status_code == 302 and "/admin/login/" in response["Location"]
        else:
            assert response.status_code == 403, f"{role} got {response.status_code} at {path}"


def test_ld_agent_cannot_open_another_teams_ticket(client, ld_agent):
    ticket = TicketFactory(status="pending")  # Education Services', outside L&D's views
    client.force_login(ld_agent)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/tickets/{ticket.pk}/assign/").status_code == 404
    ticket.refresh_from_db()
    assert ticket.assignee is None
