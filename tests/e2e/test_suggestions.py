"""In Chromium: a suggested macro opens the console's own preview, a suggested route fills
the routing form; nothing happens until the agent confirms."""

import pytest
from playwright.sync_api import expect

from people import roles
from suggestions import services
from suggestions.models import Feedback
from suggestions.synthetic import seed_history
from tests.e2e.conftest import sign_in
from tests.factories import TicketFactory, UserFactory, team
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]


def test_a_suggestion_fills_the_forms_and_the_preview_shows_first(live_server, page):
    agent = UserFactory(username="ada", first_name="Ada", role=roles.AGENT,
                        team=team("education-services"))
    seed_history(tickets=300, actor=agent)
    services.train_model()
    ticket = TicketFactory(subject="Passed the exam, still no badge", group=None, topic="",
                           description="I passed my certification exam but no badge arrived.")
    services.suggest_for_ticket(ticket.pk)
    teamops = TicketFactory(subject="TeamOps in Spanish?", group=None, topic="",
                            description="Is the TeamOps course offered in Spanish?")
    services.suggest_for_ticket(teamops.pk)

    sign_in(page, live_server.url, "ada")

    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    panel = page.get_by_role("region", name="Suggestions")
    expect(panel).to_contain_text("Certification > Badge not received")
    panel.get_by_role("button", name="Preview and apply").first.click()
    preview = page.get_by_label("Macro preview")
    expect(preview).to_contain_text("Certification > Badge not received will:")
    assert Ticket.objects.get(pk=ticket.pk).status == "new"  # a preview changes nothing
    preview.get_by_role("button", name="Apply macro").click()
    expect(page.get_by_role("status")).to_contain_text("Applied “Certification > Badge not received”")

    page.goto(f"{live_server.url}/tickets/{teamops.pk}/")
    page.get_by_role("button", name="Choose in the routing form").click()
    rule = page.get_by_label("Routing rule")
    expect(rule).to_have_value(str(services.selectors.suggestion_for(
        teamops.subject_key).payload["delegate"]["rule_id"]))
    assert Ticket.objects.get(pk=teamops.pk).group is None  # routing waits for "Route"

    page.get_by_role("region", name="Suggestions").get_by_role(
        "button", name="Not helpful").first.click()
    expect(page.get_by_role("status")).to_contain_text("Noted: that suggestion was not helpful")
    assert Feedback.objects.get(subject=teamops.subject_key).choice == "ignored"
