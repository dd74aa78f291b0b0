"""An agent triages in Chromium: Triage -> assign to me -> public reply -> Pending -> My Assigned."""

import re

import pytest
from playwright.sync_api import expect

from people import roles
from tests.e2e.conftest import sign_in, watch_csp
from tests.factories import TicketFactory, UserFactory, team
from tickets.models import Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]


def test_agent_triages_a_ticket(live_server, page):
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    ticket = TicketFactory(subject="Passed the exam but no badge", requester_name="Priya Iyer")
    TicketFactory(subject="Course progress reset")

    sign_in(page, live_server.url, "ada")
    page.get_by_role("link", name=re.compile("Professional Services - Triage")).click()
    expect(page.locator("#count-triage")).to_have_text("2")
    page.get_by_role("link", name="Passed the exam but no badge").click()

    page.get_by_role("button", name="Assign to me (a)").click()
    expect(page.locator("#assignee")).to_have_text("Ada Lovelace")
    page.get_by_role("textbox", name="Reply").fill("Hi Priya, your badge is on its way.")
    page.get_by_role("button", name="Submit as Pending").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent, submitted as pending")
    expect(page.locator(".conversation")).to_contain_text("your badge is on its way")
    expect(page.locator(".audit")).to_contain_text("Public reply, submitted as pending")

    page.get_by_role("link", name=re.compile("My Assigned Tickets")).click()
    row = page.locator("tbody tr", has_text="Passed the exam but no badge")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Pending")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING and ticket.assignee.username == "ada"


def test_keyboard_shortcuts_and_macro_preview(live_server, page):
    UserFactory(username="ada", first_name="Ada", role=roles.AGENT,
                team=team("education-services"))
    TicketFactory(subject="Pricing question", requester_name="Tariq Aziz", topic="other")
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/views/triage/")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Pricing question")).to_be_visible()
    page.wait_for_load_state("domcontentloaded")  # the shortcuts' script has run by then
    page.keyboard.press("a")
    expect(page.locator("#assignee")).to_have_text(re.compile("Ada"))
    page.get_by_label("Macro").select_option(label="General > Forms > Incorrect Form Used")
    preview = page.get_by_label("Macro preview")
    expect(page.get_by_role("textbox", name="Reply")).to_have_value(re.compile("^Hi Tariq"))
    expect(preview).to_contain_text("set status to solved")
    page.get_by_role("button", name="Apply macro").click()
    expect(page.get_by_role("status")).to_contain_text("Applied")
    expect(page.locator(".properties")).to_contain_text("Solved")


def test_agents_see_each_other_on_a_ticket(live_server, browser):
    for username, first in (("ada", "Ada"), ("grace", "Grace")):
        UserFactory(username=username, first_name=first, last_name="Agent", role=roles.AGENT,
                    team=team("education-services"))
    ticket = TicketFactory(subject="Badge expired")
    pages, refused = {}, {}
    for username in ("ada", "grace"):
        context = browser.new_context()
        pages[username] = context.new_page()
        refused[username] = watch_csp(pages[username])
        sign_in(pages[username], live_server.url, username)
        pages[username].goto(f"{live_server.url}/tickets/{ticket.pk}/")
    ada, grace = pages["ada"], pages["grace"]
    expect(ada.locator("#presence")).to_contain_text("Grace Agent is viewing this ticket",
                                                     timeout=12_000)
    grace.get_by_role("textbox", name="Reply").fill("Let me take this one")
    expect(ada.locator("#presence")).to_contain_text("Grace Agent is replying to this ticket",
                                                     timeout=12_000)
    for page in pages.values():
        page.context.close()
    assert refused == {"ada": [], "grace": []}


def test_two_agents_on_one_ticket_never_overwrite_each_other(live_server, browser):
    for username, first in (("ada", "Ada"), ("grace", "Grace")):
        UserFactory(username=username, first_name=first, last_name="Agent", role=roles.AGENT,
                    team=team("education-services"))
    ticket = TicketFactory(subject="Wrong email on my badge", status="open")
    pages, refused = {}, {}
    for username in ("ada", "grace"):
        context = browser.new_context()
        pages[username] = context.new_page()
        refused[username] = watch_csp(pages[username])
        sign_in(pages[username], live_server.url, username)
        pages[username].goto(f"{live_server.url}/tickets/{ticket.pk}/")
    ada, grace = pages["ada"], pages["grace"]

    ada.get_by_role("textbox", name="Reply").fill("Ada's careful answer")
    grace.get_by_role("textbox", name="Reply").fill("Grace got there first")
    grace.get_by_role("button", name="Submit as Pending").click()
    expect(grace.get_by_role("status")).to_contain_text("Reply sent")
    # Ada is warned before she sends: the page says the ticket changed meanwhile.
    expect(ada.locator("#presence")).to_contain_text("changed since you opened it",
                                                     timeout=12_000)
    ada.get_by_role("button", name="Submit as Solved").click()
    expect(ada.get_by_role("alert")).to_contain_text("changed since you opened it")
    expect(ada.get_by_role("textbox", name="Reply")).to_have_value("Ada's careful answer")
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.comments.count() == 1
    # Seen the change, she sends it on the new version.
    ada.get_by_role("button", name="Submit as Solved").click()
    expect(ada.get_by_role("status")).to_contain_text("Reply sent, submitted as solved")
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.comments.count() == 2
    for page in pages.values():
        page.context.close()
    assert refused == {"ada": [], "grace": []}


def test_field_enablement_path_of_the_handbook(live_server, page):
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    ticket = TicketFactory(subject="Sales certification for our partners", topic="sales",
                           status="new")
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    rule = page.get_by_label("Routing rule")
    expect(rule.locator("option:checked")).to_contain_text("Field Enablement")
    page.get_by_placeholder("Note for the delegate (optional)").fill("Partner pricing?")
    page.get_by_role("button", name="Route").click()
    expect(page.get_by_role("status")).to_contain_text("Routed")
    expect(page.locator("#assignee")).to_have_text("Ada Lovelace")  # she keeps it
    expect(page.locator("#deliveries")).to_contain_text("notify_route")
    page.get_by_role("textbox", name="Reply").fill("Field Enablement confirmed: it's included.")
    page.get_by_role("button", name="Submit as Solved").click()
    expect(page.get_by_role("status")).to_contain_text("submitted as solved")
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.assignee.username == "ada"
    assert ticket.group == team("education-services")


def test_the_list_marks_a_customer_reply_since_the_agent_looked(live_server, page):
    from django.utils import timezone

    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    ticket = TicketFactory(subject="Wrong email on my badge", requester_name="Lars Nilsen")
    TicketFactory.create_batch(3)

    sign_in(page, live_server.url, "ada")
    page.get_by_role("link", name=re.compile("Professional Services - Triage")).click()
    expect(page.locator("[data-range]")).to_have_text("1–4 of 4")
    page.get_by_role("link", name="Wrong email on my badge").click()
    expect(page.locator("h1")).to_have_text("Wrong email on my badge")
    # The customer writes again (a sync brings the comment).
    Ticket.objects.filter(pk=ticket.pk).update(customer_updated_at=timezone.now())

    page.locator("ul.views a[href='/views/triage/']").click()
    row = page.locator("tbody tr", has_text="Wrong email on my badge")
    expect(row.locator(".pill.customer-wrote")).to_have_text("customer replied")
    expect(page.locator(".pill.customer-wrote")).to_have_count(1)
    row.get_by_role("link", name="Wrong email on my badge").click()
    page.go_back()
    page.reload()
    expect(page.locator(".pill.customer-wrote")).to_have_count(0)
