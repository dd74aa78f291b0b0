"""An agent fixes "Wrong email on my badge" in Chromium: the requester's badge shows beside the
ticket, one action moves it, and the fake Credly holds the revoked badge and its reissue."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from badges import services
from badges.models import Badge
from integrations.credly import sync
from people import roles
from tests.badges.support import deliver_all
from tests.e2e.conftest import sign_in
from tests.factories import TicketFactory, UserFactory, team

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("seeded_configuration")]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "badges.png"


def test_an_agent_moves_a_badge_to_the_right_email(live_server, page, fake_credly, template):
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    badge = services.issue_badge(template=template, recipient_email="priya@oldjob.example",
                                 recipient_first_name="Priya", recipient_last_name="Iyer")
    deliver_all()
    badge.refresh_from_db()
    fake_credly.accept(badge.credly_id)  # Priya accepted it on Credly
    sync.run_sync()
    badge.refresh_from_db()
    assert badge.state == "accepted"
    ticket = TicketFactory(subject="Wrong email on my badge", requester_name="Priya Iyer",
                           requester_email="priya@oldjob.example",
                           description="I left that job; please move my Git Associate badge "
                                       "to priya.iyer@example.com.")

    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    panel = page.get_by_role("region", name="Certifications and badges")
    held = panel.locator(f'[data-badge="{badge.pk}"]')
    expect(held).to_contain_text(template.name)
    expect(held).to_contain_text("Accepted")

    held.get_by_label(f"New email for badge {badge.pk}").fill("priya.iyer@example.com")
    held.get_by_role("button", name="Change email").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"revoke badge:{badge.pk} then issue badge:")
    expect(page.get_by_role("heading", name="Wrong email on my badge")).to_be_visible()

    deliver_all()  # what the worker does after the commit
    page.reload()
    panel = page.get_by_role("region", name="Certifications and badges")
    reissue = Badge.objects.get(reissued_from=badge)
    expect(panel.locator(f'[data-badge="{badge.pk}"]')).to_contain_text("Revoked")
    expect(panel.locator(f'[data-badge="{reissue.pk}"]')).to_contain_text(
        "Pending to priya.iyer@example.com")
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    on_credly = {b.recipient_email: b for b in fake_credly.list_badges()}
    assert on_credly.keys() == {"priya@oldjob.example", "priya.iyer@example.com"}
    old, new = on_credly["priya@oldjob.example"], on_credly["priya.iyer@example.com"]
    assert (old.state, old.id) == ("revoked", badge.credly_id)
    assert (new.state, new.template_id, new.first_name) == ("pending", template.credly_id, "Priya")

    page.get_by_role("link", name=template.name).last.click()
    expect(page.locator("#badge-steps")).to_contain_text("Revoke badge:")
    expect(page.locator("#badge-steps li.sent")).to_have_count(3)


def test_a_bulk_upload_previews_then_shows_live_progress(live_server, page, fake_credly,
                                                          template, tmp_path):
    UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                team=team("education-services"))
    services.issue_badge(template=template, recipient_email="earner0@example.com",
                         recipient_first_name="Earner", recipient_last_name="Zero")
    csv = tmp_path / "cohort.csv"
    csv.write_text("email,template,first_name,last_name\n" + "".join(
        f"earner{i}@example.com,{template.name},Earner,Number {i}\n" for i in range(5)))

    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/badges/bulk/")
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#bulk-preview")).to_contain_text("4 badges to issue; 1 earner already")
    page.get_by_role("button", name="Issue 4 badges").click()
    progress = page.locator("#bulk-progress")
    expect(progress).to_contain_text("Waiting for a worker")

    from badges.models import BulkIssue

    services.run_bulk_issue(bulk_id=BulkIssue.objects.get().pk)  # the worker's task
    deliver_all()  # and the outbox's
    # The page polls its JSON status every second: no reload needed.
    expect(progress.locator('[data-field="delivered"]')).to_have_text("4")
    expect(progress.locator('[data-field="skipped"]')).to_have_text("1")
    expect(progress.locator('[data-field="state_label"]')).to_have_text("Done")
    assert len(fake_credly.list_badges()) == 5
