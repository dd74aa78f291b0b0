"""POST /hooks/credly/: unsigned events are hints; only Credly's API decides what changes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from badges.models import Badge
from integrations.credly import sync, webhooks
from integrations.credly.fake import FakeCredly
from integrations.credly.tasks import refresh_from_event
from integrations.models import WebhookEvent

pytestmark = pytest.mark.django_db
URL = "/hooks/credly/"


def post(body: dict):
    return Client().post(URL, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The event ids the webhook hands to the refresh task (run by hand in the tests)."""
    ids: list[str] = []
    monkeypatch.setattr(webhooks.refresh_from_event, "delay", ids.append)
    return ids


def event(fake: FakeCredly, event_id: str, **extra) -> dict:
    return {"id": event_id, "event_type": "badge.state.changed",
            "organization_id": fake.organization_id, **extra}


@pytest.fixture
def outside_badge(fake_credly: FakeCredly) -> Badge:
    """A pending badge issued on Credly and already synced."""
    from tests.integrations.credly.test_sync import issue_on_credly

    issue_on_credly(fake_credly, "grace@example.com")
    sync.run_sync()
    return Badge.objects.get()


def test_an_event_is_stored_and_read_again_through_the_api(
        fake_credly: FakeCredly, outside_badge: Badge, queued, django_capture_on_commit_callbacks):
    fake_credly.accept(outside_badge.credly_id)
    accepted = fake_credly.events[-1]

    with django_capture_on_commit_callbacks(execute=True):
        response = post(event(fake_credly, accepted.id))

    assert response.status_code == 200
    stored = WebhookEvent.objects.get(system="credly")
    assert (stored.event_id, stored.state) == (accepted.id, "processed")
    assert queued == [accepted.id]
    outside_badge.refresh_from_db()
    assert outside_badge.state == "pending"  # nothing changes before the API is asked

    assert refresh_from_event(accepted.id) == "badge.state.changed"

    outside_badge.refresh_from_db()
    assert outside_badge.state == "accepted"
    assert any(r.path.endswith(f"/events/{accepted.id}") for r in fake_credly.request_log)


def test_a_forged_event_changes_nothing(fake_credly: FakeCredly, outside_badge: Badge, queued,
                                        django_capture_on_commit_callbacks):
    # A complete, newer-looking badge in the body: believing it would revoke the badge.
    claimed = {**fake_credly.events[0].badge, "state": "revoked",
               "updated_at": "2099-01-01T00:00:00.000Z", "revocation_reason": "forged"}
    forged = event(fake_credly, "00000000-0000-4000-8000-000000000000", badge=claimed)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(forged)

    assert response.status_code == 200  # a hint is acknowledged; only the API is believed
    assert refresh_from_event(queued[0]) == "unconfirmed"
    outside_badge.refresh_from_db()
    assert outside_badge.state == "pending"


def test_a_repeated_event_is_read_once_and_a_foreign_one_refused(
        fake_credly: FakeCredly, outside_badge: Badge, queued, django_capture_on_commit_callbacks):
    created = fake_credly.events[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert post(event(fake_credly, created.id)).status_code == 200
        assert post(event(fake_credly, created.id)).status_code == 200
    assert queued == [created.id]  # Credly's retries of one event cost one read
    assert WebhookEvent.objects.filter(system="credly").count() == 2  # each stored as received

    foreign = post({**event(fake_credly, created.id), "organization_id": "another-org"})
    assert foreign.status_code == 400
    assert foreign.json()["errors"] == {
        "organization_id": ["Not the Credly organization EduDesk works with."]}
    assert post({"id": "../../etc", "event_type": "x",
                 "organization_id": fake_credly.organization_id}).status_code == 400
