"""The console API: same operations as the pages, 4xx with field errors, no half changes."""

import pytest
from rest_framework.test import APIClient

from accounts.tokens import token_for_key
from tests.factories import MacroFactory, RoutingRuleFactory, TicketFactory, team
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def test_views_with_counts(api):
    TicketFactory()
    body = api.get("/api/v1/views/").json()
    assert [v["slug"] for v in body] == ["my-assigned", "triage", "paid"]
    assert body[1]["count"] == 1


def test_view_tickets_page_and_next_link(api):
    for _ in range(3):
        TicketFactory()
    first = api.get("/api/v1/views/triage/tickets/?page_size=2").json()
    assert len(first["results"]) == 2 and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert {t["id"] for t in first["results"] + second["results"]} == set(
        Ticket.objects.values_list("pk", flat=True))


def test_unknown_view_is_404_and_bad_params_are_400(api):
    assert api.get("/api/v1/views/nope/tickets/").status_code == 404
    response = api.get("/api/v1/views/triage/tickets/?status=weird")
    assert response.status_code == 400 and "status" in response.json()
    assert api.get("/api/v1/views/triage/tickets/?page_size=0").status_code == 400
    assert api.get("/api/v1/views/triage/tickets/?cursor=zzz").status_code == 400


def test_assign_reply_pending_then_in_my_assigned(api, agent):
    ticket = TicketFactory()
    assert api.post(f"/api/v1/tickets/{ticket.pk}/assign/").json()["assignee"]["id"] == agent.pk
    response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/",
                        {"body": "Here is how", "public": True, "status": "pending"}, format="json")
    assert response.status_code == 201 and response.json()["is_public"]
    detail = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["status"] == "pending"
    assert [e["action"] for e in detail["audit"]] == ["assign", "reply"]
    mine = api.get("/api/v1/views/my-assigned/tickets/").json()["results"]
    assert [t["id"] for t in mine] == [ticket.pk]


def test_empty_reply_gets_field_errors_and_changes_nothing(api):
    ticket = TicketFactory()
    response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "  ", "status": "solved"},
                        format="json")
    assert response.status_code == 400 and "body" in response.json()
    ticket.refresh_from_db()
    assert ticket.status == "new" and not Comment.objects.exists()


def test_invalid_status_and_macro_on_closed_ticket(api):
    ticket = TicketFactory(status="open")
    response = api.post(f"/api/v1/tickets/{ticket.pk}/status/", {"status": "closed"})
    assert response.status_code == 400 and "status" in response.json()
    closed = TicketFactory(status="closed")
    macro = MacroFactory()
    response = api.post(f"/api/v1/tickets/{closed.pk}/macro/", {"macro_id": macro.pk})
    assert response.status_code == 400 and "ticket" in response.json()
    response = api.post(f"/api/v1/tickets/{ticket.pk}/macro/", {"macro_id": 99999})
    assert response.status_code == 400 and "macro_id" in response.json()


def test_macro_preview_then_apply(api):
    ticket = TicketFactory(requester_name="Noor Aziz")
    macro = MacroFactory()
    preview = api.get(f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/preview/").json()
    assert "Hi Noor" in preview["comment_html"] and preview["status"] == "pending"
    detail = api.post(f"/api/v1/tickets/{ticket.pk}/macro/", {"macro_id": macro.pk}).json()
    assert detail["status"] == "pending" and "answered" in detail["tags"]


def test_route_by_rule(api):
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    detail = api.post(f"/api/v1/tickets/{ticket.pk}/route/", {"rule_id": rule.pk}).json()
    assert detail["group"] == "Field Enablement"
    assert detail["deliveries"][0]["system"] == "slack"
    assert api.post(f"/api/v1/tickets/{ticket.pk}/route/", {}).status_code == 400
    assert api.post(f"/api/v1/tickets/{ticket.pk}/route/", {"rule_id": 999}).status_code == 400


def test_token_auth(agent):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "ada", "password": "pw"})
    token = response.json()["token"]
    assert token_for_key(token).user == agent
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/views/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get("/api/v1/views/").status_code == 401


def test_schema_describes_the_operations(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in ["/api/v1/views/", "/api/v1/views/{slug}/tickets/", "/api/v1/tickets/{id}/reply/",
                 "/api/v1/tickets/{id}/macro/", "/api/v1/tickets/{id}/route/"]:
        assert path in schema["paths"], path


def test_sort_and_unassigned_params(api, agent):
    from datetime import timedelta

    from django.utils import timezone

    old = TicketFactory(created_at=timezone.now() - timedelta(days=3))
    new = TicketFactory(assignee=None)
    body = api.get("/api/v1/views/triage/tickets/?sort=-created_at&unassigned=true").json()
    assert [t["id"] for t in body["results"]] == [new.pk, old.pk]
    response = api.get("/api/v1/views/triage/tickets/?sort=sideways")
    assert response.status_code == 400 and "sort" in response.json()


def test_interactive_docs_load_their_assets_locally(agent_client):
    html = agent_client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
