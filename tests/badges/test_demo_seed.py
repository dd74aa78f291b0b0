"""The demo's certifications: results and badges in every state, the same after a second run."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from badges.models import Badge, Submission
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_seed_demo_shows_every_badge_state_once(client):
    call_command("seed_demo", tickets=0, verbosity=0)
    states = set(Badge.objects.values_list("state", flat=True))
    assert states == {"queued", "pending", "accepted", "rejected", "revoked"}
    counts = (Submission.objects.count(), Badge.objects.count(), OutboxMessage.objects.count())
    assert Submission.objects.filter(passed=False).exists()
    assert Submission.objects.filter(passed=True, badges__isnull=True).exists()  # reconciliation

    call_command("seed_demo", tickets=0, verbosity=0)
    assert (Submission.objects.count(), Badge.objects.count(),
            OutboxMessage.objects.count()) == counts
    client.force_login(get_user_model().objects.get(username="ada"))
    page = client.get("/badges/").content.decode()
    assert "lars.nilsson@example.com" in page  # passed 3 hours ago, no badge: in the queue
