"""The Credly sync against the fake: templates, badges issued anywhere, their later state changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from badges import services
from badges.models import Audience, Badge, BadgeTemplate
from integrations.credly import sync
from integrations.credly.conf import get_client
from integrations.credly.fake import FakeCredly
from integrations.models import OutboxMessage
from tests.badges.support import deliver_all

pytestmark = pytest.mark.django_db
ISSUED_AT = datetime(2024, 5, 1, 9, 41, tzinfo=UTC)


def issue_on_credly(fake: FakeCredly, email: str, **extra) -> dict:
    """An agent issuing straight on Credly's website, as the handbook has them do today."""
    template_id = fake.template_ids("active")[0]
    return get_client().issue_badge(template_id, email, "Grace", "Hopper", ISSUED_AT,
                                    extra.pop("issuer_earner_id", "lms-user-7"), **extra)


def test_templates_are_mirrored_and_their_audience_kept(fake_credly: FakeCredly):
    sync.run_sync()
    assert BadgeTemplate.objects.count() == 5
    assert BadgeTemplate.objects.filter(state="archived").count() == 1
    customers = Audience.objects.create(name="Customers")
    BadgeTemplate.objects.update(audience=customers)
    fake_credly.templates[fake_credly.template_ids()[0]].name = "Renamed on Credly"

    sync.run_sync()

    assert BadgeTemplate.objects.filter(name="Renamed on Credly", audience=customers).exists()
    assert BadgeTemplate.objects.filter(audience=customers).count() == 5


def test_a_badge_issued_outside_edudesk_and_its_later_acceptance(fake_credly: FakeCredly):
    outside = issue_on_credly(fake_credly, "Grace@Example.com")
    sync.run_sync()

    badge = Badge.objects.get()
    assert (badge.credly_id, badge.recipient_email, badge.state, badge.submission) == (
        outside["id"], "grace@example.com", "pending", None)
    assert badge.issuer_earner_id is None  # not ours: another system's id
    assert badge.lane == badge.subject_key and badge.issued_at == ISSUED_AT

    fake_credly.accept(outside["id"])
    sync.run_sync()

    badge.refresh_from_db()
    assert badge.state == "accepted" and badge.accepted_at is not None
    state = sync.sync_state()
    assert state.last_error == "" and state.counts["badges_added"] == 1


def test_our_badges_are_matched_not_doubled(fake_credly: FakeCredly, template):
    badge = services.issue_badge(template=template, recipient_email="ada@example.com",
                                 recipient_first_name="Ada", recipient_last_name="Lovelace")
    # Credly issued it, but its answer never reached us and no retry has run yet.
    issued = issue_on_credly(fake_credly, "ada@example.com",
                             issuer_earner_id=badge.issuer_earner_id)
    sync.run_sync()

    badge.refresh_from_db()
    assert Badge.objects.count() == 1 and badge.credly_id == issued["id"]
    deliver_all()  # the queued issue finds the badge already on Credly
    assert len(fake_credly.list_badges()) == 1
    assert OutboxMessage.objects.get().response["already"] is True


def test_a_sync_twice_changes_nothing_and_never_steps_back(fake_credly: FakeCredly):
    outside = issue_on_credly(fake_credly, "grace@example.com")
    sync.run_sync()
    fake_credly.accept(outside["id"])
    sync.run_sync()
    before = Badge.objects.values().get()

    result = sync.run_sync()

    assert result.counts["badges"] == 0  # the overlap re-read everything; nothing changed
    assert Badge.objects.values().get() == before
    # An older answer (an event read late, say) leaves the newer state alone.
    from integrations.credly import store

    stale = fake_credly.events[0].badge  # the badge as it was when created: pending
    store.upsert_badges([stale])
    assert Badge.objects.get().state == "accepted"


def test_every_page_is_read_and_replacements_linked(fake_credly: FakeCredly):
    first = [issue_on_credly(fake_credly, f"earner{i}@example.com", issuer_earner_id=f"lms-{i}")
             for i in range(7)]
    replacement = get_client().replace_badge(first[0]["id"], template_id=fake_credly.template_ids()[0],
                                             issued_at=ISSUED_AT, recipient_email="moved@example.com")

    sync.run_sync(per_page=2)

    assert Badge.objects.count() == 8
    old, new = Badge.objects.get(credly_id=first[0]["id"]), Badge.objects.get(credly_id=replacement["id"])
    assert (old.state, new.replaces) == ("revoked", old)
    assert sync.sync_state().cursors["badges"]["page"] == 1  # the next run starts afresh
    assert sync.sync_state().cursors["badges"]["since"] is not None
