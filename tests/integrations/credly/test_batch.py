"""Credly's lanes drained in batches (integrations.batch): the same outcome as lane by lane —
once each, in lane order, Credly's words kept — for a constant number of queries a batch."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from badges import services
from badges.models import Badge, BadgeTemplate
from integrations import batch, outbox, retry
from integrations.credly import sync
from integrations.credly.fake import FakeCredly
from integrations.models import OutboxMessage
from people.models import AuditEvent

pytestmark = pytest.mark.django_db


def issue(template: BadgeTemplate, email: str) -> Badge:
    return services.issue_badge(template=template, recipient_email=email,
                                recipient_first_name="Ada", recipient_last_name="Lovelace")


def drain_batches(seconds: float = 30.0) -> None:
    """What drain_system tasks do, in this process, until nothing is queued."""
    deadline = time.monotonic() + seconds
    while OutboxMessage.objects.filter(system="credly", state="queued").exists():
        assert time.monotonic() < deadline, "outbox did not drain"
        if not batch.drain("credly"):
            time.sleep(0.005)  # rows waiting for their next attempt


def test_a_bulk_of_issues_goes_out_once_each_with_credlys_answers(fake_credly: FakeCredly,
                                                                  template):
    badges = [issue(template, f"earner{i}@example.com") for i in range(120)]
    drain_batches()

    on_credly = {b.issuer_earner_id: b for b in fake_credly.list_badges()}
    assert len(on_credly) == 120
    for badge in badges:
        badge.refresh_from_db()
        upstream = on_credly[badge.issuer_earner_id]
        assert (badge.credly_id, badge.state, badge.recipient_email) == (
            upstream.id, "pending", upstream.recipient_email)
        assert badge.badge_url == f"https://www.credly.com/badges/{upstream.id}"
    sent = OutboxMessage.objects.filter(system="credly")
    assert {(m.state, m.attempts, m.claimed_until, m.last_error) for m in sent} == {
        ("sent", 1, None, "")}
    assert {m.response["credly_id"] for m in sent} == {b.id for b in on_credly.values()}
    assert {m.response["found_after_lost_answer"] for m in sent} == {False}
    lines = AuditEvent.objects.filter(verb="credly", summary__startswith="Issued on Credly")
    assert lines.count() == 120
    assert {tuple(sorted(line.changes)) for line in lines} == {("credly_id", "state")}


def test_a_batch_costs_the_same_queries_for_10_or_50_issues(fake_credly: FakeCredly, template):
    def queries_for(count: int, prefix: str) -> int:
        for i in range(count):
            issue(template, f"{prefix}{i}@example.com")
        with CaptureQueriesContext(connection) as queries:
            outcomes = batch.deliver(batch.claim("credly"))
        assert [o.state for o in outcomes] == ["sent"] * count
        # The test's own transaction turns each transaction of the batch into savepoints.
        return len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])

    # Claim (pick, update, read), the badges (read, lock, one UPDATE sent for all), their
    # audit lines, the sent rows (one UPDATE sent for all).
    assert queries_for(10, "few") == queries_for(50, "many") == 8


def test_a_lane_keeps_its_order_issue_before_revoke(fake_credly: FakeCredly, template):
    ada = issue(template, "ada@example.com")
    services.revoke_badge(badge_id=ada.pk, reason="Issued by mistake")
    others = [issue(template, f"earner{i}@example.com") for i in range(3)]

    first = batch.claim("credly")
    # The revoke waits behind its lane's issue; the other lanes' heads come along.
    assert sorted(m.action for m in first) == ["issue"] * 4
    batch.deliver(first)
    drain_batches()

    ada.refresh_from_db()
    assert (ada.state, ada.revocation_reason) == ("revoked", "Issued by mistake")
    assert [b.state for b in fake_credly.list_badges(recipient_email="ada@example.com")] == [
        "revoked"]
    assert Badge.objects.filter(pk__in=[b.pk for b in others], state="pending").count() == 3


def test_two_claims_never_share_a_row(fake_credly: FakeCredly, template):
    for i in range(70):
        issue(template, f"earner{i}@example.com")
    first, second, third = batch.claim("credly"), batch.claim("credly"), batch.claim("credly")
    assert (len(first), len(second), third) == (50, 20, [])
    assert not {m.pk for m in first} & {m.pk for m in second}


def test_lost_answers_in_a_batch_are_looked_up_not_issued_twice(fake_credly: FakeCredly,
                                                               template):
    fake_credly.lost_responses = 5  # applied on Credly, answered with a gateway 504
    for i in range(30):
        issue(template, f"earner{i}@example.com")
    drain_batches()

    assert len(fake_credly.list_badges()) == 30
    retried = OutboxMessage.objects.filter(attempts=2)
    assert retried.count() == 5
    assert {m.response["found_after_lost_answer"] for m in retried} == {True}
    assert not Badge.objects.filter(credly_id__isnull=True).exists()


def test_credly_down_then_back_issues_everything_once(fake_credly: FakeCredly, template):
    for i in range(60):
        issue(template, f"earner{i}@example.com")
    fake_credly.error_rate = 1.0
    with retry.overridden(base_seconds=60, max_seconds=60):
        for _ in range(3):  # a few rounds of 5xx: every row waits for its next attempt
            batch.drain("credly")
            assert not batch.claim("credly")  # nothing due again before its wait is over
            OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert fake_credly.list_badges() == []
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"queued"}
    assert all(m.last_error and m.claimed_until is None for m in OutboxMessage.objects.all())

    fake_credly.error_rate = 0.0
    drain_batches()
    assert len(fake_credly.list_badges()) == 60
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_a_refusal_is_kept_in_credlys_words_and_fails_only_its_row(fake_credly: FakeCredly,
                                                                  template):
    good = issue(template, "ada@example.com")
    archived = issue(template, "grace@example.com")
    fake_credly.templates[template.credly_id].state = "archived"
    Badge.objects.filter(pk=good.pk).update(template=BadgeTemplate.objects.create(
        credly_id=fake_credly.add_template("Another"), name="Another", state="active"))

    outcomes = batch.deliver(batch.claim("credly"))

    assert sorted(o.state for o in outcomes) == ["failed", "sent"]
    failed = OutboxMessage.objects.get(subject=archived.lane)
    assert failed.state == "failed" and "archived" in failed.last_error.lower()
    assert OutboxMessage.objects.get(subject=good.lane).state == "sent"


def test_a_row_whose_claim_was_taken_over_is_not_recorded_as_ours(fake_credly: FakeCredly,
                                                                 template, caplog):
    issue(template, "ada@example.com")
    [message] = batch.claim("credly")
    # Our claim expired and another worker claimed the row meanwhile.
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=5))

    with caplog.at_level("WARNING", logger="integrations.batch"):
        assert [o.state for o in batch.deliver([message])] == ["skipped"]
    assert OutboxMessage.objects.get(pk=message.pk).state == "queued"
    assert "1 of 1 credly rows lost their claim" in caplog.text


def test_credly_rows_are_dispatched_as_one_task_for_the_system(fake_credly: FakeCredly):
    cache.delete(outbox.system_key("credly"))
    assert outbox.dispatch("credly", "badge:1") is True
    assert outbox.dispatch("credly", "badge:2") is False  # one task drains every lane
    batch.drain("credly")  # the task runs: a new row needs a new task again
    assert outbox.dispatch("credly", "badge:3") is True
    cache.delete(outbox.system_key("credly"))


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_both_get_a_batch(fake_credly: FakeCredly, template):
    """Two drain tasks started together: each takes its own rows, and neither comes away
    empty-handed (which would end its drain and leave the other to do all the work)."""
    for i in range(120):
        issue(template, f"earner{i}@example.com")
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def worker() -> None:
        try:
            start.wait()
            claimed.append([m.pk for m in batch.claim("credly")])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(pks) for pks in claimed] == [50, 50]
    assert not set(claimed[0]) & set(claimed[1])


def test_a_claim_takes_only_free_queued_heads_of_its_own_system(fake_credly: FakeCredly,
                                                                template):
    # Slack's rows are not Credly's to claim, nor do they hold up a Credly lane, even about
    # the same subject and older.
    slack = OutboxMessage.objects.create(system="slack", action="notify", subject="x",
                                         payload={"channel": "#x", "text": "another system"})
    held, expired, free = (issue(template, f"{name}@example.com")
                           for name in ("held", "expired", "free"))
    OutboxMessage.objects.filter(pk=slack.pk).update(subject=free.lane)
    now = timezone.now()
    # Another worker holds one claim; another's claim outlived its worker.
    OutboxMessage.objects.filter(subject=held.lane).update(
        claimed_at=now, claimed_until=now + timedelta(minutes=1))
    OutboxMessage.objects.filter(subject=expired.lane).update(
        claimed_at=now - timedelta(minutes=5), claimed_until=now - timedelta(minutes=3))

    claimed = batch.claim("credly")

    assert sorted(m.subject for m in claimed) == sorted([expired.lane, free.lane])
    assert {m.system for m in claimed} == {"credly"}


def test_a_sent_answer_is_added_to_what_the_row_already_held(fake_credly: FakeCredly,
                                                            template):
    badge = issue(template, "ada@example.com")
    OutboxMessage.objects.filter(subject=badge.lane).update(response={"noted": "earlier"})
    batch.deliver(batch.claim("credly"))
    response = OutboxMessage.objects.get(subject=badge.lane).response
    assert response["noted"] == "earlier" and response["credly_id"]


def test_a_full_batch_calls_in_a_second_worker_and_retries_ask_for_a_later_task(
        fake_credly: FakeCredly, template, monkeypatch):
    now_calls, later_calls = [], []
    monkeypatch.setattr(outbox, "dispatch", lambda *args, **kw: now_calls.append(args))
    monkeypatch.setattr(outbox, "dispatch_later", lambda *args: later_calls.append(args))
    for i in range(110):
        issue(template, f"earner{i}@example.com")

    batch.drain("credly", limit=50)
    assert now_calls == [("credly", "")] * 2  # once for each full batch; not for the 10
    assert later_calls == []

    for i in range(3):
        issue(template, f"later{i}@example.com")
    fake_credly.error_rate = 1.0
    with retry.overridden(base_seconds=60, max_seconds=60):
        batch.drain("credly")
    [(system, wait)] = later_calls
    assert system == "credly" and 30 <= wait <= 60


def test_a_drain_out_of_time_hands_over_to_a_new_task(fake_credly: FakeCredly, template,
                                                      monkeypatch):
    calls = []
    monkeypatch.setattr(outbox, "dispatch", lambda *args, **kw: calls.append(args))
    for i in range(30):
        issue(template, f"earner{i}@example.com")
    batch.drain("credly", seconds=0, limit=10)
    assert calls == [("credly", ""), ("credly", "")]  # the full batch, then time up
    assert OutboxMessage.objects.filter(state="queued").count() == 20


def test_a_head_claimed_by_another_worker_meanwhile_is_not_ours(fake_credly: FakeCredly,
                                                               template, monkeypatch):
    first, second = issue(template, "ada@example.com"), issue(template, "grace@example.com")
    real_heads = batch._heads
    calls = []

    def another_worker_claims_between_pick_and_update(system, now):
        calls.append(1)
        if len(calls) == 1:  # the pick saw both free ...
            free = list(real_heads(system, now).values_list("pk", flat=True))
            # ... then another worker claimed the first before our UPDATE.
            OutboxMessage.objects.filter(subject=first.lane).update(
                attempts=1, claimed_at=now, claimed_until=now + timedelta(minutes=1))
            return OutboxMessage.objects.filter(pk__in=free)
        return real_heads(system, now)

    monkeypatch.setattr(batch, "_heads", another_worker_claims_between_pick_and_update)
    assert [m.subject for m in batch.claim("credly")] == [second.lane]


def test_a_system_without_a_batch_deliverer_fails_its_rows_with_a_reason(fake_credly):
    OutboxMessage.objects.create(system="slack", action="notify", subject="ticket:1",
                                 payload={"channel": "#x", "text": "hello"})
    outcomes = batch.deliver(batch.claim("slack"))
    assert [o.state for o in outcomes] == ["failed"]
    assert "No batch deliverer for system 'slack'" in OutboxMessage.objects.get().last_error


def test_a_deliverer_that_loses_count_is_a_bug_not_a_delivery(fake_credly, template,
                                                              monkeypatch):
    issue(template, "ada@example.com")
    monkeypatch.setitem(outbox._BATCH_DELIVERERS, "credly", lambda messages: [])
    with pytest.raises(RuntimeError, match="answered 0 of 1"):
        batch.deliver(batch.claim("credly"))


def test_an_accepted_badge_moved_to_another_email_goes_out_in_order_in_batches(
        fake_credly: FakeCredly, template):
    old = issue(template, "ada@work.example")
    drain_batches()
    old.refresh_from_db()
    fake_credly.accept(old.credly_id)
    sync.run_sync()  # EduDesk learns that the earner accepted it

    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    drain_batches()  # the revoke, then the reissue, which waits until Credly says revoked

    on_credly = {b.recipient_email: b for b in fake_credly.list_badges()}
    assert (on_credly["ada@work.example"].state, on_credly["ada@home.example"].state) == (
        "revoked", "pending")
    new.refresh_from_db()
    assert new.credly_id == on_credly["ada@home.example"].id


def test_a_badge_the_sync_already_recorded_is_not_issued_again(fake_credly: FakeCredly,
                                                               template):
    badge = issue(template, "ada@example.com")
    Badge.objects.filter(pk=badge.pk).update(credly_id="seen-by-the-sync", state="pending")
    [outcome] = batch.deliver(batch.claim("credly"))
    assert outcome.state == "sent" and fake_credly.list_badges() == []
    assert OutboxMessage.objects.get().response["already"] is True


def test_credly_not_configured_fails_the_batch_with_the_reason(fake_credly, template,
                                                               settings):
    issue(template, "ada@example.com")
    settings.CREDLY_API_TOKEN = ""
    assert [o.state for o in batch.deliver(batch.claim("credly"))] == ["failed"]
    assert "Credly is not configured" in OutboxMessage.objects.get().last_error


def test_an_unreadable_answer_fails_its_row_in_credlys_terms(fake_credly, template,
                                                             monkeypatch):
    from integrations.credly import mapping

    issue(template, "ada@example.com")

    def unreadable(answer):
        raise mapping.Malformed("badge without a usable id: None")

    monkeypatch.setattr(mapping, "badge_fields", unreadable)
    assert [o.state for o in batch.deliver(batch.claim("credly"))] == ["failed"]
    assert "unreadable: badge without a usable id" in OutboxMessage.objects.get().last_error


def test_a_badge_deleted_while_credly_issued_it_is_said_so(fake_credly, template,
                                                           monkeypatch):
    from integrations.credly import store

    badge = issue(template, "ada@example.com")
    real = store.record_badges

    def deleted_meanwhile(answers):
        Badge.objects.filter(pk=badge.pk).delete()
        return real(answers)

    monkeypatch.setattr(store, "record_badges", deleted_meanwhile)
    assert [o.state for o in batch.deliver(batch.claim("credly"))] == ["failed"]
    assert f"Badge {badge.pk} no longer exists" in OutboxMessage.objects.get().last_error
