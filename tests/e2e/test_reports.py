"""A manager reads the certification report in Chromium, narrows the months and sees the
chart follow; the screenshot is the README's."""

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from badges.models import Audience, Badge
from people import roles
from reports import services
from tests.e2e.conftest import sign_in
from tests.factories import BadgeTemplateFactory, UserFactory
from tests.reports.fixtures import seed_badges

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "reports.png"


def _a_years_badges():
    """Enough badges over 2025 for a chart worth looking at."""
    rng = random.Random(16)
    audiences = {name: Audience.objects.get_or_create(name=name)[0]
                 for name in ("Customers", "Partners", "Team members")}
    templates = [BadgeTemplateFactory(name=name, audience=audiences[audience]) for name, audience in
                 (("GitLab Certified Associate", "Customers"), ("CI/CD Specialist", "Customers"),
                  ("Partner Sales Core", "Partners"), ("TeamOps", "Team members"))]
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    Badge.objects.bulk_create([
        Badge(template=rng.choice(templates), recipient_email=f"earner{n}@example.com",
              recipient_first_name="Amara", recipient_last_name="Okafor", lane=f"e2e:{n}",
              issued_at=start + timedelta(days=rng.randrange(365)), issuer_earner_id=None,
              state=Badge.State.REVOKED if rng.random() < 0.04 else Badge.State.ACCEPTED)
        for n in range(600)])


def test_a_manager_narrows_the_months_and_the_chart_follows(live_server, page):
    UserFactory(username="maria", first_name="Maria", last_name="Garcia", role=roles.MANAGER)
    seeded = seed_badges()
    _a_years_badges()
    services.freeze_month(date(2026, 2, 1))
    # Revoked after February was frozen: the page shows both figures.
    Badge.objects.filter(template=seeded["partner"], state=Badge.State.ACCEPTED).update(
        state=Badge.State.REVOKED, updated_at=timezone.now())
    sign_in(page, live_server.url, "maria")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Certifications issued per month, by audience")

    page.get_by_label("From", exact=True).fill("2025-01")
    page.get_by_label("To", exact=True).fill("2026-04")
    page.get_by_role("button", name="Show").click()
    chart = page.locator("#certifications-chart")
    expect(chart).to_have_attribute("data-bars", "16")
    expect(page.locator("#certifications-table tbody tr")).to_have_count(16)
    expect(page.locator('#certifications-table tr[data-month="2026-03"] strong')).to_have_text("4")
    expect(page.locator('#certifications-table tr[data-month="2026-02"]')).to_contain_text(
        "2 / 1 differs from today")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_label("From", exact=True).fill("2026-02")
    page.get_by_role("button", name="Show").click()
    expect(chart).to_have_attribute("data-bars", "3")
    expect(chart.locator("title").first).to_contain_text("Feb 2026 to Apr 2026")
    expect(page.locator("#certifications-table tbody tr")).to_have_count(3)
    assert "from=2026-02" in page.get_by_role("link", name="Download CSV").get_attribute("href")
