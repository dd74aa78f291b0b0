"""Times in each agent's own zone, named on every page; chosen on the preferences page."""

from datetime import UTC, datetime

import pytest

from people.models import AuditEvent
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
CREATED = datetime(2026, 1, 15, 18, 30, tzinfo=UTC)


def ticket_page(client, ticket) -> str:
    return client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_without_a_choice_times_are_in_the_teams_zone_and_it_is_named(agent_client):
    ticket = TicketFactory(created_at=CREATED)
    page = ticket_page(agent_client, ticket)
    assert ">America/Denver</a>" in page
    assert "11:30" in page  # 18:30 UTC is 11:30 in Denver in January


def test_an_agent_picks_a_zone_and_every_page_follows_at_once(agent_client, agent):
    ticket = TicketFactory(created_at=CREATED)
    response = agent_client.post("/account/preferences/", {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    page = ticket_page(agent_client, ticket)
    assert ">Europe/Berlin</a>" in page and "19:30" in page
    agent.agent_profile.refresh_from_db()
    assert agent.agent_profile.time_zone == "Europe/Berlin"
    line = AuditEvent.objects.get(verb="preferences")
    assert line.changes == {"time_zone": ["", "Europe/Berlin"]} and line.actor == agent


def test_the_zone_is_read_at_sign_in_not_on_every_page(client, agent):
    agent.agent_profile.time_zone = "Asia/Kolkata"
    agent.agent_profile.save()
    client.force_login(agent)
    assert ">Asia/Kolkata</a>" in ticket_page(client, TicketFactory(created_at=CREATED))


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "x" * 500, "localtime"])
def test_an_unknown_zone_is_refused_and_nothing_changes(agent_client, agent, bad):
    response = agent_client.post("/account/preferences/", {"time_zone": bad})
    assert response.status_code == 400
    assert "is not a time zone name" in response.content.decode()
    agent.agent_profile.refresh_from_db()
    assert agent.agent_profile.time_zone == ""
    assert not AuditEvent.objects.filter(verb="preferences").exists()
