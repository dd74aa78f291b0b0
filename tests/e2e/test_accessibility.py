"""Accessibility checked in Chromium: axe-core (vendored, static/vendor/axe-core) over every
console page, a phone-wide viewport without sideways scrolling, and the dark scheme."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inbox import services
from people import roles
from tests.e2e.conftest import sign_in
from tests.factories import TicketFactory, UserFactory, team
from tests.inbox.factories import MessageFactory, ThreadFactory, rotation_with

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
DOCS = ROOT / "docs"
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def console(live_server):
    """A manager who also answers tickets and the inbox: every console page has content."""
    importlib.import_module("inbox.migrations.0002_categories_responses_rotation").seed(
        apps, None)
    mia = UserFactory(username="mia", first_name="Mia", last_name="Manager", role=roles.MANAGER,
                      team=team("education-services"))
    mia.groups.add(Group.objects.get(name=roles.AGENT))
    other = UserFactory(username="ada", first_name="Ada", last_name="Lovelace",
                        role=roles.AGENT, team=team("education-services"))
    services.generate_shifts(rotation=rotation_with(mia, other))
    ticket = TicketFactory(subject="Passed the exam but no badge", requester_name="Priya Iyer",
                           tags=" badge exam ", priority="high")
    TicketFactory(subject="Course progress reset with a rather long subject line to wrap",
                  status="open", assignee=mia)
    TicketFactory(subject="Invoice for the paid workshop", status="pending", priority="urgent",
                  group=team("ld"))
    thread = ThreadFactory(subject="Demo cloud credits used up")
    MessageFactory(thread=thread)
    return {"ticket": ticket, "thread": thread, "url": live_server.url}


def _login(page, url, username="mia"):
    sign_in(page, url, username)
    expect(page.get_by_role("link", name="Sign out").or_(
        page.get_by_role("button", name="Sign out"))).to_be_visible()


def _pages(console) -> dict[str, str]:
    return {
        "my assigned": "/views/my-assigned/",
        "triage": "/views/triage/",
        "paid": "/views/paid/",
        "free": "/views/free/",
        "ticket": f"/tickets/{console['ticket'].pk}/?view=triage",
        "search": "/search/?q=badge",
        "overview": "/overview/",
        "inbox": "/inbox/",
        "thread": f"/inbox/threads/{console['thread'].pk}/",
        "rotation": "/inbox/rotation/",
        "badges": "/badges/",
        "reports": "/reports/",
        "not found": "/no-such-page/",
    }


def _axe(page) -> list[str]:
    """Serious and critical WCAG 2 A/AA violations of the page, one line per element."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa'], resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))}"
            for v in result["violations"] if v["impact"] in BLOCKING for node in v["nodes"]]


@pytest.fixture
def axe_context(browser):
    # axe is injected as an inline script, which the app's CSP rightly refuses; the other
    # browser tests keep the CSP on and watch it.
    def open_context(**options):
        context = browser.new_context(bypass_csp=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    contexts: list = []
    yield open_context
    for context in contexts:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_console_pages_have_no_serious_axe_violations(console, axe_context, scheme):
    page = axe_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme)
    _login(page, console["url"])
    found = {}
    for name, path in _pages(console).items():
        page.goto(console["url"] + path)
        page.wait_for_load_state("networkidle")
        if violations := _axe(page):
            found[name] = violations
    assert not found, "axe found serious or critical violations:\n" + "\n".join(
        f"{name}: {line}" for name, lines in found.items() for line in lines)


def test_phone_width_list_and_ticket_fit_without_sideways_scrolling(console, axe_context):
    page = axe_context(viewport=PHONE, color_scheme="light")
    _login(page, console["url"])
    for name in ("triage", "ticket", "inbox", "thread", "search"):
        page.goto(console["url"] + _pages(console)[name])
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name} scrolls sideways at 390 px: {overflow}"
        if name == "triage":
            DOCS.mkdir(exist_ok=True)
            page.screenshot(path=str(DOCS / "console-mobile.png"), full_page=True)
    assert not _axe(page)


def test_dark_scheme_follows_the_system_setting(console, axe_context):
    page = axe_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
    _login(page, console["url"])
    page.goto(console["url"] + _pages(console)["ticket"])
    page.wait_for_load_state("networkidle")
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in background[background.index("(") + 1:-1]
                        .split(",")[:3])
    assert max(red, green, blue) < 64, f"the body stays light in the dark scheme: {background}"
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "console-dark.png"))


def test_keyboard_reaches_the_skip_link_rows_and_shows_focus(console, axe_context):
    page = axe_context(viewport={"width": 1400, "height": 900})
    _login(page, console["url"])
    page.goto(console["url"] + _pages(console)["triage"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    # From the main landmark, Tab goes through the filters to the first row's link.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('tbody tr')"):
            break
    focused = page.evaluate("() => document.activeElement.closest('tbody tr').textContent")
    assert "Passed the exam but no badge" in focused
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), "the focused row link shows no focus ring"
    # Every form field on the ticket page has an accessible name.
    page.goto(console["url"] + _pages(console)["ticket"])
    unnamed = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea')].filter(f => !f.labels.length
        && !f.getAttribute('aria-label') && !f.getAttribute('aria-labelledby'))
        .map(f => f.outerHTML.slice(0, 80))""")
    assert unnamed == []
