"""An earner's record, the recent results and the reconciliation queue: what they hold, and at what cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from badges import selectors
from integrations.models import OutboxMessage
from tests.factories import BadgeFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def queries(fn):
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, len(captured)


def earner_with(n: int, email: str = "ada@example.com") -> None:
    for _ in range(n):
        submission = SubmissionFactory(earner_email=email)
        BadgeFactory(submission=submission, recipient_email=email,
                     credly_id=f"credly-{submission.pk}", state="pending")


def test_an_earners_record_takes_two_queries_whatever_they_hold():
    earner_with(1)
    small, small_count = queries(lambda: selectors.earner_record("ADA@example.com "))
    earner_with(5)
    big, big_count = queries(lambda: selectors.earner_record("ada@example.com"))
    for badge in big.badges:  # nothing more is loaded while reading them
        assert badge.template.name and badge.delivery_state is None
    assert (len(small.submissions), len(big.submissions), len(big.badges)) == (1, 6, 6)
    assert small_count == big_count == 2


def test_an_earners_record_keeps_badges_moved_to_another_address():
    submission = SubmissionFactory(earner_email="old@example.com")
    moved = BadgeFactory(submission=submission, recipient_email="new@example.com")
    assert [b.pk for b in selectors.earner_record("old@example.com").badges] == [moved.pk]
    assert [b.pk for b in selectors.earner_record("new@example.com").badges] == [moved.pk]
    assert selectors.earner_record("new@example.com").submissions == []


def test_a_badge_shows_how_its_lanes_latest_delivery_fared():
    badge = BadgeFactory()
    OutboxMessage.objects.create(system="credly", action="issue", subject=badge.lane,
                                 payload={"badge_id": badge.pk}, state="sent")
    OutboxMessage.objects.create(system="credly", action="revoke", subject=badge.lane,
                                 payload={"badge_id": badge.pk}, state="failed",
                                 last_error="HTTP 422: Badge x has already been revoked")
    OutboxMessage.objects.create(system="slack", action="x", subject=badge.lane, state="queued")
    [shown] = selectors.badges_of_earner(badge.recipient_email)
    assert (shown.delivery_state, shown.delivery_error) == (
        "failed", "HTTP 422: Badge x has already been revoked")


def test_recent_results_come_with_their_badges_in_two_queries_a_page():
    for _ in range(3):
        BadgeFactory(submission=SubmissionFactory())
    SubmissionFactory(passed=False)
    first, count = queries(lambda: selectors.recent_submissions(size=3))
    assert count == 2
    assert [len(s.badges.all()) for s in first] == [0, 1, 1]
    rest, count = queries(lambda: selectors.recent_submissions(before_id=first[-1].pk, size=3))
    assert count == 2 and len(rest) == 1 and rest[0].pk < first[-1].pk
    assert rest[0].badges.all()[0].template.name  # prefetched with its template


def test_the_reconciliation_queue_is_one_query():
    old = timezone.now() - timedelta(hours=1)
    for _ in range(4):
        SubmissionFactory(received_at=old)
    found, count = queries(lambda: [(s.certification.badge_template.name, s.sender.name)
                                    for s in selectors.reconciliation_queue(
                                        received_before=timezone.now())])
    assert len(found) == 4 and count == 1
