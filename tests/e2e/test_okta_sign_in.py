"""Okta sign-in in Chromium, against the fake provider: into the console, or to "Request access"."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AccessRequest

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]


def _okta_sign_in(page, live_server, login: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Okta").click()
    expect(page.get_by_role("heading", name="Fake Okta sign-in")).to_be_visible()
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill("okta-pw")
    page.get_by_role("button", name="Sign in to Okta").click()


def test_an_agent_signs_in_with_okta(live_server, page, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"], given_name="Noor",
                       family_name="Aziz", password="okta-pw")
    _okta_sign_in(page, live_server, "noor@edudesk.example")
    expect(page.locator(".topbar .me")).to_contain_text("Noor Aziz")
    assert not re.search(r"/(login|oidc)/", page.url)
    expect(page.get_by_role("link", name="Console")).to_be_visible()


def test_someone_in_no_mapped_group_signs_in_and_requests_access(live_server, page, fake_okta):
    fake_okta.add_user("lee@edudesk.example", groups=["Everyone"], given_name="Lee",
                       password="okta-pw")
    _okta_sign_in(page, live_server, "lee@edudesk.example")
    expect(page.get_by_role("heading", name="EduDesk")).to_be_visible()
    page.get_by_label("What do you need EduDesk for?").fill("I join the Triage rotation")
    page.get_by_role("button", name="Request access").click()
    expect(page.get_by_role("status").first).to_contain_text("on its way to the admins")
    expect(page.locator(".notice")).to_contain_text("waiting for an admin")
    assert AccessRequest.objects.get().reason == "I join the Triage rotation"
