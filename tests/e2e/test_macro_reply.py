"""In Chromium, as in Zendesk: a macro fills the reply box, the agent edits it and submits as
Pending; the fake Zendesk holds the edited comment, written by the agent, and the status."""

import re

import pytest
from playwright.sync_api import expect

from integrations.zendesk import sync
from people import roles
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, team
from tests.integrations.zendesk.conftest import fake_zendesk, open_ids  # noqa: F401 - fixture
from tests.integrations.zendesk.test_outbound import deliver_all
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]


def test_an_agent_edits_a_macros_reply_and_submits_it_as_pending(live_server, page,
                                                                   fake_zendesk):  # noqa: F811
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))  # ada@edudesk.example: Zendesk agent 1001
    sync.run_sync()
    zendesk_id = next(tid for tid in open_ids(fake_zendesk, 20)
                      if fake_zendesk.get_ticket(tid)["status"] != "pending")
    ticket = Ticket.objects.get(zendesk_id=zendesk_id)
    first_name = fake_zendesk.users[fake_zendesk.get_ticket(zendesk_id)["requester_id"]][
        "name"].split()[0]

    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    reply = page.get_by_role("textbox", name="Reply")
    reply.fill("Thanks for waiting.")  # what the agent had typed stays before the macro's text

    page.get_by_label("Macro").select_option(
        label="Education Services > Certification > Badge Reissue (Zendesk)")
    expect(reply).to_have_value(re.compile(
        rf"^Thanks for waiting\.\n\nHi {first_name}, we have reissued your badge"))
    preview = page.get_by_label("Macro preview")
    expect(preview).to_contain_text("set status to pending")
    expect(preview.get_by_label("add tags")).to_have_value("badge_reissued")
    expect(page.get_by_role("button", name="Submit as Pending")).to_have_class(
        re.compile(r"\bprimary\b"))
    assert Ticket.objects.get(pk=ticket.pk).comments.count() == ticket.comments.count()

    reply.fill(f"Hi {first_name}, we have reissued your badge to priya.iyer@example.com; "
               "check your spam folder if it has not arrived within the hour.")
    page.get_by_role("button", name="Submit as Pending").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent, submitted as pending")
    expect(page.locator(".audit")).to_contain_text(
        "Public reply from macro Education Services > Certification > Badge Reissue")

    deliver_all()  # what the worker does after the commit
    upstream = fake_zendesk.get_ticket(zendesk_id)
    last = fake_zendesk.get_comments(zendesk_id)[-1]
    assert "check your spam folder" in last["body"] and "priya.iyer@example.com" in last["body"]
    assert last["author_id"] == 1001 and last["public"] is True
    assert upstream["status"] == "pending" and "badge_reissued" in upstream["tags"]
    page.reload()
    expect(page.locator("#deliveries")).to_contain_text("sent")
