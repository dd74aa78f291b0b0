"""The bulk bar on the ticket list and its results page: roles, garbage input, polling."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import OutboxMessage
from tests.factories import TicketFactory, zendesk_ticket
from tickets import bulk
from tickets.models import BulkAction

pytestmark = pytest.mark.django_db


def test_the_list_offers_a_box_per_ticket_and_the_bar(agent_client):
    ticket = zendesk_ticket(170, subject="Badge for Lars")
    page = agent_client.get("/views/triage/").content.decode()
    assert 'aria-label="Select ticket 170"' in page
    assert f'value="{ticket.pk}@' in page and 'form="bulk"' in page
    assert 'id="bulk"' in page and 'value="status">Set status</button>' in page


def test_a_status_for_the_selection_then_the_results_page(agent_client, agent):
    first, second = TicketFactory(status="open"), TicketFactory(status="closed")
    shown = agent_client.get("/views/triage/?status=open").content.decode()
    box = shown[shown.index(f'value="{first.pk}@'):]
    seen = box[len('value="'):box.index('"', len('value="'))]  # what the checkbox sends
    response = agent_client.post("/tickets/bulk/", {
        "ticket": [seen, str(second.pk)], "action": "status", "status": "pending",
        "view": "triage"})
    action = BulkAction.objects.get()
    assert response["Location"] == f"/tickets/bulk/{action.pk}/?view=triage"
    first.refresh_from_db()
    assert first.status == "pending"  # the version the list showed was the current one
    page = agent_client.get(response["Location"]).content.decode()
    assert "Status set to pending: 1 changed, 0 already so, 1 skipped." in page
    assert "Skipped: This ticket is closed and cannot be changed" in page
    assert "Saved here; nothing to send" in page


@pytest.mark.parametrize("data, message", [
    ({"ticket": ["abc"], "action": "status", "status": "pending"},
     "These are not tickets of the list: &#x27;abc&#x27;."),
    ({"ticket": ["1"], "action": "delete"}, "Choose what to do"),
    ({"action": "status", "status": "pending"}, "Select at least one ticket."),
    ({"ticket": ["1"], "action": "status", "status": "closed"}, "open, pending, hold or solved"),
    ({"ticket": ["1"], "action": "macro", "macro": "1e9"}, "Choose an active macro"),
    ({"ticket": ["1"], "action": "assign", "assignee": "99999"}, "Choose an active agent"),
    ({"ticket": [str(n) for n in range(1, 150)], "action": "status", "status": "open"},
     "Select at most 100 tickets at a time (you selected 149)."),
])
def test_garbage_is_refused_with_a_clear_message(agent_client, data, message):
    response = agent_client.post("/tickets/bulk/", {**data, "view": "triage"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/views/triage/", 302)]
    assert message in response.content.decode()
    assert not BulkAction.objects.exists()


def test_a_garbage_view_sends_back_to_the_console(agent_client):
    response = agent_client.post("/tickets/bulk/", {"view": "<script>", "action": "x"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_someone_without_a_console_role_is_refused(client, no_role_user):
    ticket = TicketFactory(status="open")
    client.force_login(no_role_user)
    response = client.post("/tickets/bulk/", {"ticket": [str(ticket.pk)], "action": "status",
                                              "status": "solved"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_results_are_for_their_author_and_managers(client, agent, other_agent, manager):
    ticket = TicketFactory(status="open")
    action = bulk.run_bulk_action(actor=agent, selection=[(ticket.pk, None)],
                                  change=bulk.status_change(status="hold", actor=agent))
    url = f"/tickets/bulk/{action.pk}/"
    for user, status in ((agent, 200), (other_agent, 404), (manager, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_the_results_poll_while_a_delivery_is_queued(agent_client, agent):
    ticket = zendesk_ticket(170, status="open")
    action = bulk.run_bulk_action(actor=agent, selection=[(ticket.pk, None)],
                                  change=bulk.status_change(status="hold", actor=agent))
    [message_id] = action.results[0]["outbox"]
    url = f"/tickets/bulk/{action.pk}/"
    partial = agent_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in partial and "Queued" in partial
    assert "<aside" not in partial  # the partial only

    OutboxMessage.objects.filter(pk=message_id).update(
        state="failed", last_error="Zendesk said 422: Status: closed prevents ticket update")
    partial = agent_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in partial
    assert "Failed: Zendesk said 422: Status: closed prevents ticket update" in partial


def test_the_results_page_costs_the_same_for_one_ticket_or_many(agent_client, agent):
    numbers = iter(range(9000, 10000))

    def queries_for(count: int) -> int:
        tickets = [zendesk_ticket(next(numbers), status="open") for _ in range(count)]
        action = bulk.run_bulk_action(actor=agent, selection=[(t.pk, None) for t in tickets],
                                      change=bulk.status_change(status="hold", actor=agent))
        with CaptureQueriesContext(connection) as queries:
            agent_client.get(f"/tickets/bulk/{action.pk}/", HTTP_HX_REQUEST="true")
        return len(queries)

    queries_for(1)  # the first request of a session reads what later ones find cached
    assert queries_for(1) == queries_for(30)
