"""The console pages: messages for bad input, presence, htmx partials."""

import pytest

from tests.factories import MacroFactory, TicketFactory
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def test_empty_reply_shows_a_message_and_keeps_the_ticket(agent_client):
    ticket = TicketFactory()
    response = agent_client.post(f"/tickets/{ticket.pk}/reply/",
                                 {"body": "", "kind": "public", "submit_as": "solved"}, follow=True)
    assert "Write something before sending." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new" and not Comment.objects.exists()


def test_reply_submit_as_pending_redirects_back_to_the_view(agent_client, agent):
    ticket = TicketFactory()
    response = agent_client.post(f"/tickets/{ticket.pk}/reply/",
                                 {"body": "Hi!", "kind": "public", "submit_as": "pending",
                                  "view": "triage"})
    assert response["Location"] == f"/tickets/{ticket.pk}/?view=triage"
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.assignee == agent


def test_macro_on_closed_ticket_is_explained(agent_client):
    ticket = TicketFactory(status="closed")
    macro = MacroFactory()
    response = agent_client.post(f"/tickets/{ticket.pk}/macro/", {"macro": macro.pk}, follow=True)
    assert "closed and cannot be changed" in response.content.decode()


def test_unknown_view_says_so(agent_client):
    response = agent_client.get("/views/nope/")
    assert response.status_code == 404
    assert "There is no view “nope”" in response.content.decode()


def test_macro_preview_partial(agent_client):
    ticket = TicketFactory(requester_name="Leila Karimi")
    macro = MacroFactory()
    html = agent_client.get(f"/tickets/{ticket.pk}/macro/preview/?macro={macro.pk}").content.decode()
    assert "Hi Leila" in html and "pending" in html


def test_htmx_filter_returns_only_the_rows(agent_client):
    TicketFactory(subject="Badge expired")
    TicketFactory(subject="Course progress reset")
    response = agent_client.get("/views/triage/?q=badge", HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="ticket-list")
    html = response.content.decode()
    assert "Badge expired" in html and "Course progress" not in html and "<aside" not in html


def test_presence_shows_who_else_is_here(client, agent, other_agent):
    ticket = TicketFactory()
    client.force_login(other_agent)
    alone = client.post(f"/tickets/{ticket.pk}/presence/", {"replying": "1"}).content.decode()
    assert 'class="presence' not in alone  # nobody else is here yet
    client.force_login(agent)
    html = client.post(f"/tickets/{ticket.pk}/presence/").content.decode()
    assert "Grace Hopper is replying to this ticket" in html
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Grace Hopper is replying" in page


def test_view_counts_partial(agent_client):
    TicketFactory()
    html = agent_client.get("/views/counts/").content.decode()
    assert 'id="count-triage" hx-swap-oob="true">1<' in html


def test_bad_filter_values_are_explained(agent_client):
    html = agent_client.get("/views/triage/?status=weird&sort=sideways").content.decode()
    assert "Select a valid choice. weird is not one of the available choices." in html
    assert "sideways" in html


def test_unassigned_checkbox_filters(agent_client, agent):
    TicketFactory(subject="Nobody's", status="open", tags=" paid ")
    TicketFactory(subject="Ada's", status="open", assignee=agent, tags=" paid ")
    html = agent_client.get("/views/paid/?unassigned=true").content.decode()
    assert "Nobody&#x27;s" in html and "Ada&#x27;s" not in html
    assert "Ada&#x27;s" in agent_client.get("/views/paid/").content.decode()


def test_ticket_page_preselects_the_matching_routing_rule(agent_client):
    from tickets.models import RoutingRule

    rule = RoutingRule.objects.get(slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales", subject="Sales certification for partners")
    html = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'<option value="{rule.pk}" selected>' in html
    assert "notifies #field-enablement-team" in html
