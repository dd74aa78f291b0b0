"""Admins configure views, macros, routing and delegates; nobody else reaches the admin."""

import pytest

from tests.factories import MacroFactory

pytestmark = pytest.mark.django_db

PAGES = ["view", "macro", "routingrule", "agentprofile", "team", "region", "ticketform", "ticket"]


@pytest.mark.parametrize("model", PAGES)
def test_admin_lists_and_add_forms_open(client, admin_user, model):
    client.force_login(admin_user)
    assert client.get(f"/admin/tickets/{model}/").status_code == 200
    assert client.get(f"/admin/tickets/{model}/add/").status_code == 200


def test_admin_creates_a_routing_rule(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/tickets/routingrule/add/", {
        "name": "Demo cloud -> Education Services", "position": 30, "active": "on",
        "topic": "demo_cloud", "tags_any": "", "slack_channel": "#edu_services_team"})
    assert response.status_code == 302
    from tickets.models import RoutingRule

    assert RoutingRule.objects.filter(topic="demo_cloud").exists()


def test_imported_zendesk_macros_are_read_only(client, admin_user):
    macro = MacroFactory(external_id=4001)
    client.force_login(admin_user)
    html = client.get(f"/admin/tickets/macro/{macro.pk}/change/").content.decode()
    assert 'name="comment"' not in html  # shown, not editable


@pytest.mark.parametrize("who", ["agent", "manager", "ld_agent"])
def test_other_roles_are_sent_to_the_admin_login(client, request, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/tickets/macro/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
