"""The member on duty answers the inbox in Chromium: a prepared response, edited and sent,
lands in the right Gmail thread of the fake with the right headers and From."""

import importlib
import re
from email.utils import getaddresses

import pytest
from django.apps import apps
from playwright.sync_api import expect

from inbox import services
from inbox.models import Thread
from integrations import outbox, retry
from integrations.gmail import sync
from integrations.gmail.fake import GROUP, MAILBOX, FakeGmail
from people import roles
from tests.e2e.conftest import sign_in
from tests.factories import UserFactory, team
from tests.inbox.factories import rotation_with

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]
TOKEN = "ya29.e2e"


@pytest.fixture
def gmail(settings):
    # The transactional test starts from a flushed database: put back the inbox's seeds.
    importlib.import_module("inbox.migrations.0002_categories_responses_rotation").seed(
        apps, None)
    fake = FakeGmail(token=TOKEN)
    fake.start(port=0)
    settings.GMAIL_API_URL, settings.GMAIL_MAILBOX = fake.base_url, MAILBOX
    settings.GMAIL_GROUP_ADDRESS, settings.GMAIL_OAUTH_TOKEN = GROUP, TOKEN
    settings.GMAIL_GROUP_NAME = "LevelUp"
    with retry.overridden(base_seconds=0.01):
        yield fake
    fake.stop()


def test_the_member_on_duty_sends_an_edited_prepared_response(live_server, page, gmail):
    ada = UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                      team=team("education-services"))
    grace = UserFactory(username="grace", first_name="Grace", last_name="Hopper",
                        role=roles.AGENT, team=team("education-services"))
    services.generate_shifts(rotation=rotation_with(ada, grace))
    sync.run_sync()
    thread = Thread.objects.get(subject="Demo cloud credits used up")
    question = thread.messages.get()

    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator("#on-duty")).to_contain_text("On duty now: Ada Lovelace")
    row = page.locator(f'tr[data-thread="{thread.pk}"]')
    expect(row).to_contain_text("Demo cloud")  # categorised by the rules
    row.get_by_role("link", name="Demo cloud credits used up", exact=True).click()
    expect(page.get_by_role("heading", name="Demo cloud credits used up")).to_be_visible()

    page.wait_for_load_state("domcontentloaded")  # the shortcuts' script has run by then
    page.keyboard.press("m")  # as in the console: m picks a macro, here a prepared response
    select = page.locator("#macro-select")
    expect(select).to_be_focused()
    # The thread's category comes first in the list.
    expect(select.locator("optgroup").first).to_have_attribute("label", "For Demo cloud")
    label = select.locator("option", has_text="Out of demo cloud credits").text_content()
    select.select_option(label=label)
    body = page.get_by_role("textbox", name="Reply")
    expect(body).to_have_value(re.compile(r"^Hi Sofia,\n\nWe've added credits"))
    edited = body.input_value().replace("We've added credits", "We've added 50 credits")
    body.fill(edited)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent")
    expect(page.locator(".comment.outbound")).to_contain_text("We've added 50 credits")

    outbox.drain("gmail", thread.subject_key)  # what the worker does after the commit
    page.reload()
    expect(page.locator(".comment.outbound .delivery")).to_contain_text(
        f"Sent from {GROUP}")
    [sent] = gmail.sent_messages()
    assert sent.thread_id == thread.gmail_thread_id
    assert getaddresses([str(sent.parsed["From"])]) == [("LevelUp", GROUP)]
    assert getaddresses([str(sent.parsed["To"])]) == [("Sofia Rossi",
                                                       "s.rossi@tailspin.example")]
    assert str(sent.parsed["In-Reply-To"]) == question.rfc_message_id
    assert str(sent.parsed["References"]) == question.rfc_message_id
    assert str(sent.parsed["Subject"]) == "Re: Demo cloud credits used up"
    text = sent.parsed.get_body(("plain",)).get_content()
    assert "We've added 50 credits" in text and "> The sandbox says I have no credits" in text
    thread.refresh_from_db()
    assert thread.status == Thread.Status.WAITING and thread.assignee == ada
