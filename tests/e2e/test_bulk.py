"""An agent selects three tickets in the list and sets them Pending; each reaches Zendesk."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from integrations.zendesk import sync
from people import roles
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, team
from tests.integrations.zendesk.conftest import fake_zendesk  # noqa: F401 - the fixture
from tests.integrations.zendesk.test_outbound import deliver_all
from tickets.models import Ticket

DOCS = Path(__file__).resolve().parents[2] / "docs"
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]


def test_bulk_status_reaches_zendesk_and_reports_each_ticket(live_server, page,
                                                             fake_zendesk):  # noqa: F811
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    sync.run_sync()
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/views/triage/")

    boxes = page.get_by_role("checkbox", name=re.compile(r"^Select ticket \d+$"))
    expect(boxes.first).to_be_visible()
    chosen = [int(boxes.nth(i).get_attribute("aria-label").rsplit(" ", 1)[1]) for i in range(3)]
    page.wait_for_load_state("domcontentloaded")  # the shortcuts' script has run by then
    page.keyboard.press("j")  # the first row, ticked from the keyboard
    page.keyboard.press("x")
    expect(boxes.first).to_be_checked()
    for number in chosen[1:]:
        page.get_by_role("checkbox", name=f"Select ticket {number}", exact=True).check()
    expect(page).to_have_url(re.compile(r"/views/triage/"))  # ticking a box opens nothing
    page.get_by_label("New status").select_option("pending")
    page.get_by_role("button", name="Set status").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Status set to pending: 3 changed, 0 already so, 0 skipped.")
    results = page.locator("#bulk-results")
    expect(results.locator("tbody tr")).to_have_count(3)
    for number in chosen:
        expect(results.locator("tr", has_text=str(number))).to_contain_text("Changed")
    expect(results).to_contain_text("3 queued")
    assert {t.status for t in Ticket.objects.filter(zendesk_id__in=chosen)} == {"pending"}

    deliver_all()  # what the worker does after the commit
    # The page polls until every delivery is settled, without a reload.
    expect(results).to_contain_text("3 delivered, 0 queued, 0 failed", timeout=10_000)
    expect(results.locator("td.delivery.delivered")).to_have_count(3)
    assert [fake_zendesk.get_ticket(n)["status"] for n in chosen] == ["pending"] * 3
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "console-bulk.png"))
