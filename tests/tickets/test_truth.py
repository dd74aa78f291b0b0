"""The console tells the truth: Zendesk's numbers and owners, no silent overwrites, and the
handbook's routing (issue "The console tells the truth")."""

import pytest
from rest_framework.test import APIClient

from integrations.models import OutboxMessage
from tests.factories import RoutingRuleFactory, TicketFactory, team, zendesk_ticket
from tickets import selectors, services
from tickets.filters import TicketListFilter
from tickets.models import Comment, Ticket, View

pytestmark = pytest.mark.django_db


def test_a_zendesk_ticket_is_known_by_zendesks_number_everywhere(agent_client, settings):
    settings.ZENDESK_URL = "https://acme.zendesk.com"
    ours = zendesk_ticket(170, subject="Badge for Lars")
    other = zendesk_ticket(ours.pk + 1000, subject="Someone else")
    assert ours.number == 170 and ours.pk != 170
    page = agent_client.get("/views/triage/").content.decode()
    assert "<td>170</td>" in page
    detail = agent_client.get(f"/tickets/{ours.pk}/").content.decode()
    assert "<title>#170 Badge for Lars" in detail
    assert "https://acme.zendesk.com/agent/tickets/170" in detail
    by_local_id = TicketListFilter({"q": str(ours.pk)}, queryset=Ticket.objects.all()).qs
    assert ours not in by_local_id  # its local id is not its number
    assert list(TicketListFilter({"q": "#170"}, queryset=Ticket.objects.all()).qs) == [ours]
    assert other.number == ours.pk + 1000


def test_macros_and_slack_cite_the_zendesk_number_with_links(agent, settings):
    settings.ZENDESK_URL = "https://acme.zendesk.com"
    settings.EDUDESK_URL = "https://desk.example"
    ticket = zendesk_ticket(170, topic="sales", subject="Sales certification")
    assert services.render_placeholders("Ticket {{ ticket.id }}", ticket=ticket,
                                        actor=agent) == "Ticket 170"
    rule = RoutingRuleFactory(topic="sales", slack_channel="#field-enablement-team",
                              delegate_team=team("field-enablement"))
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule)
    message = OutboxMessage.objects.get(subject=ticket.subject_key, system="slack")
    assert message.payload["text"].startswith("Ticket #170 ")
    assert [link["url"] for link in message.payload["links"]] == [
        "https://acme.zendesk.com/agent/tickets/170", f"https://desk.example/tickets/{ticket.pk}/"]


def test_an_owner_without_a_login_is_shown_and_kept_out_of_triage(agent_client):
    owned = TicketFactory(subject="Owned upstream", status="open", assignee_name="Alan Turing")
    free = TicketFactory(subject="Nobody's", status="open")
    triage = agent_client.get("/views/triage/").content.decode()
    assert "Nobody&#x27;s" in triage and "Owned upstream" not in triage
    page = agent_client.get(f"/tickets/{owned.pk}/").content.decode()
    assert "Alan Turing" in page and "Unassigned" not in page
    assert free.owner_name == ""


def test_taking_over_asks_first_in_the_page_and_the_api(agent_client, agent):
    ticket = TicketFactory(status="open", assignee_name="Alan Turing")
    response = agent_client.post(f"/tickets/{ticket.pk}/assign/", follow=True)
    page = response.content.decode()
    assert "belongs to Alan Turing" in page and "Take over from Alan Turing" in page
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.assignee_name == "Alan Turing"
    agent_client.post(f"/tickets/{ticket.pk}/assign/", {"take_over": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.assignee_name == ""

    other = TicketFactory(status="open", assignee_name="Alan Turing")
    api = APIClient()
    api.force_authenticate(agent)
    refused = api.post(f"/api/v1/tickets/{other.pk}/assign/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["owner"] == "Alan Turing"
    taken = api.post(f"/api/v1/tickets/{other.pk}/assign/", {"take_over": True}, format="json")
    assert taken.status_code == 200 and taken.json()["assignee"]["id"] == agent.pk


def test_a_stale_reply_is_refused_and_its_draft_kept(client, agent, other_agent):
    ticket = TicketFactory(status="open")
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    version = page.split('name="version" value="')[1].split('"')[0]
    # Meanwhile Grace answers the same ticket.
    services.add_comment(ticket_id=ticket.pk, actor=other_agent, body="On it", public=True)

    response = client.post(f"/tickets/{ticket.pk}/reply/", {
        "body": "My careful answer", "kind": "public", "version": version}, follow=True)
    page = response.content.decode()
    assert "changed since you opened it" in page and "Public reply" in page
    assert ">My careful answer</textarea>" in page  # the draft is kept
    assert list(Comment.objects.values_list("body_html", flat=True)) == ["<p>On it</p>"]


def test_a_stale_status_change_can_be_reapplied_in_one_click(client, agent, other_agent):
    ticket = TicketFactory(status="open")
    client.force_login(agent)
    version = services.version_of(ticket)
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)
    page = client.post(f"/tickets/{ticket.pk}/status/", {"status": "pending",
                                                         "version": version},
                       follow=True).content.decode()
    assert "Apply my change to this version" in page and "Status set to hold" in page
    ticket.refresh_from_db()
    assert ticket.status == "hold"
    fresh = page.split('class="notice pending-action"')[1].split('name="version" value="')[1]
    client.post(f"/tickets/{ticket.pk}/status/", {"status": "pending",
                                                  "version": fresh.split('"')[0]})
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_the_api_answers_a_stale_action_with_409_and_the_current_version(api, other_agent):
    ticket = TicketFactory(status="open")
    seen = api.get(f"/api/v1/tickets/{ticket.pk}/").json()["version"]
    services.set_status(ticket_id=ticket.pk, status="hold", actor=other_agent)
    refused = api.post(f"/api/v1/tickets/{ticket.pk}/status/",
                       {"status": "solved", "version": seen}, format="json")
    body = refused.json()
    assert refused.status_code == 409 and body["version"] != seen
    assert any("Status set to hold" in change for change in body["changed"])
    retried = api.post(f"/api/v1/tickets/{ticket.pk}/status/",
                       {"status": "solved", "version": body["version"]}, format="json")
    assert retried.status_code == 200 and retried.json()["status"] == "solved"


def test_my_assigned_holds_what_i_was_assigned_or_already_answered(agent, other_agent):
    mine = TicketFactory(status="open", assignee=agent)
    answered = TicketFactory(status="open", assignee=other_agent)
    Comment.objects.create(ticket=answered, author=agent, is_public=True, body_html="<p>x</p>")
    noted = TicketFactory(status="open", assignee=other_agent)
    Comment.objects.create(ticket=noted, author=agent, is_public=False, body_html="<p>n</p>")
    view = View.objects.get(slug="my-assigned")
    assert set(selectors.tickets_in_view(view, agent)) == {mine, answered}


def test_field_enablement_is_asked_and_the_agent_keeps_the_ticket(agent):
    ticket = TicketFactory(topic="sales", status="new")
    rule = RoutingRuleFactory(topic="sales", slack_channel="#field-enablement-team",
                              delegate_team=team("field-enablement"), keeps_ticket=True)
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule, note="Partner pricing")
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.group == team("education-services")
    assert ticket.status == "open"
    assert not selectors.tickets_in_view(View.objects.get(slug="triage"), agent).filter(
        pk=ticket.pk).exists()
    slack = OutboxMessage.objects.get(subject=ticket.subject_key, system="slack")
    assert slack.payload["channel"] == "#field-enablement-team"
    assert "Partner pricing" in slack.payload["text"]


def test_a_person_picked_replaces_the_rule_instead_of_mixing_with_it(agent, ld_agent):
    ticket = TicketFactory(topic="ld_training")
    rule = RoutingRuleFactory(topic="ld_training", delegate_team=team("field-enablement"),
                              slack_channel="#somewhere")
    services.route_ticket(ticket_id=ticket.pk, actor=agent, rule=rule, delegate_user=ld_agent)
    ticket.refresh_from_db()
    assert ticket.assignee == ld_agent and ticket.group == team("ld")  # her team, not the rule's
    assert not OutboxMessage.objects.filter(system="slack").exists()


def test_the_heartbeat_keeps_deliveries_and_changes_live(client, agent, other_agent):
    ticket = TicketFactory(status="open")
    client.force_login(agent)
    seen = services.version_of(ticket)
    quiet = client.post(f"/tickets/{ticket.pk}/presence/", {"version": seen}).content.decode()
    assert "changed since you opened it" not in quiet and 'id="deliveries"' in quiet
    rule = RoutingRuleFactory(topic="other", slack_channel="#edu_services_team",
                              delegate_team=team("field-enablement"), keeps_ticket=True)
    services.route_ticket(ticket_id=ticket.pk, actor=other_agent, rule=rule)
    live = client.post(f"/tickets/{ticket.pk}/presence/", {"version": seen}).content.decode()
    assert "changed since you opened it" in live
    assert "Slack</strong> notify_route: queued" in live  # the panel, swapped in out of band


def test_the_requester_panel_shows_who_asks_and_their_other_tickets(agent_client, settings):
    settings.ZENDESK_URL = "https://acme.zendesk.com"
    ticket = zendesk_ticket(170, requester_name="Lars Smith",
                             requester_email="lars@example.com")
    earlier = zendesk_ticket(150, requester_email="lars@example.com", subject="Retake policy")
    TicketFactory(requester_email="someone@example.com", subject="Not his")
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    panel = page.split('aria-label="Requester"')[1].split("</section>")[0]
    assert "Lars Smith" in panel and "lars@example.com" in panel
    assert "#150 Retake policy" in panel and "Not his" not in panel
    assert "https://acme.zendesk.com/agent/tickets/170" in panel
    assert earlier.number == 150


def test_search_covers_every_ticket_the_agent_may_see(agent_client):
    solved = zendesk_ticket(4321, subject="Old badge question", status="solved")
    page = agent_client.get("/search/", {"q": "4321"}).content.decode()
    assert "Old badge question" in page  # solved: in no view, still found
    by_subject = agent_client.get("/search/", {"q": "badge question"}).content.decode()
    assert f"/tickets/{solved.pk}/" in by_subject
    assert agent_client.get("/search/", {"q": "²"}).status_code == 200


def test_managers_land_on_the_team_overview(client, manager, agent):
    TicketFactory(status="open", region=None)
    TicketFactory(status="open", assignee=agent)
    TicketFactory(status="pending", assignee_name="Alan Turing")
    TicketFactory(status="solved")
    client.force_login(manager)
    assert client.get("/").url == "/overview/"
    page = client.get("/overview/").content.decode()
    assert "Waiting for an owner: 1" in page
    load = page.split("Open per owner")[1]
    assert "Ada Lovelace" in load and "Alan Turing" in load, load[:600]
    client.force_login(agent)
    assert client.get("/").url.startswith("/views/")
    assert client.get("/overview/").status_code == 403


def test_the_list_shows_what_agents_sort_by_and_sorts_by_column(agent_client):
    old = TicketFactory(subject="Asked long ago", priority="high")
    new = TicketFactory(subject="Asked just now")
    Ticket.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2024))
    page = agent_client.get("/views/triage/").content.decode()
    assert "<th scope=\"col\">Priority</th>" in page and "Education Services" in page
    assert "sort=-created_at" in page  # Triage sorts oldest first: the header offers newest
    newest_first = agent_client.get("/views/triage/", {"sort": "-created_at"}).content.decode()
    assert newest_first.index("Asked just now") < newest_first.index("Asked long ago")
    assert "sort=created_at" in newest_first
    assert new.pk != old.pk
