"""Admins configure views, macros, routing and delegates; nobody else reaches the admin."""

import pytest

from tests.factories import MacroFactory

pytestmark = pytest.mark.django_db

PAGES = ["tickets/view", "tickets/macro", "tickets/routingrule", "people/agentprofile",
         "people/team", "people/region", "tickets/ticketform", "tickets/ticket"]


@pytest.mark.parametrize("model", PAGES)
def test_admin_lists_and_add_forms_open(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/{model}/").status_code == 200
    assert client.get(f"/admin/{model}/add/").status_code == 200


def test_admin_creates_a_routing_rule(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/tickets/routingrule/add/", {
        "name": "Demo cloud -> Education Services", "position": 30, "active": "on",
        "topic": "demo_cloud", "tags_any": "", "slack_channel": "#edu_services_team"})
    assert response.status_code == 302
    from tickets.models import RoutingRule

    assert RoutingRule.objects.filter(topic="demo_cloud").exists()


def test_imported_zendesk_macros_are_read_only(client, admin_user):
    macro = MacroFactory(zendesk_id=4001)
    client.force_login(admin_user)
    html = client.get(f"/admin/tickets/macro/{macro.pk}/change/").content.decode()
    assert 'name="comment"' not in html  # shown, not editable


@pytest.mark.parametrize("who", ["agent", "manager", "ld_agent"])
def test_other_roles_are_sent_to_the_admin_login(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/tickets/macro/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_view_takes_statuses_as_choices_and_refuses_unknown_ones(client, admin_user):
    client.force_login(admin_user)
    form = {"name": "Bogus", "slug": "bogus", "position": 50, "assignee": "any",
            "sort": "-updated_at", "statuses": ["opened", "bogus"], "tags_all": "paid",
            "tags_none": ""}
    response = client.post("/admin/tickets/view/add/", form)
    assert response.status_code == 200 and b"not one of the available choices" in response.content
    from tickets.models import View

    assert not View.objects.filter(slug="bogus").exists()
    client.post("/admin/tickets/view/add/", {**form, "statuses": ["open", "pending"],
                                             "tags_all": "paid Region_EMEA"})
    view = View.objects.get(slug="bogus")
    assert view.statuses == ["open", "pending"] and view.tags_all == ["paid", "region_emea"]


def test_a_macro_with_an_unknown_placeholder_is_refused(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/tickets/macro/add/", {
        "title": "Oops", "active": "on", "comment": "Hi {{ticket.requester.nickname}}",
        "comment_is_public": "on", "set_status": "", "add_tags": "", "remove_tags": ""})
    assert response.status_code == 200 and b"Unknown placeholder" in response.content
    from tickets.models import Macro

    assert not Macro.objects.filter(title="Oops").exists()


def test_a_zendesk_ticket_is_read_only_in_the_admin(client, admin_user):
    from tests.factories import TicketFactory

    ticket = TicketFactory(zendesk_id=4242)
    client.force_login(admin_user)
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert 'name="subject"' not in page and 'name="status"' not in page
