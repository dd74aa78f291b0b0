"""The outbox's promises, each one a mutant of integrations/outbox.py the suite let live.

A scripted deliverer (system "scripted") answers as each test says, in this process, so the
lane's order, the claim, the retry policy and the commit boundary are checked without timing.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import outbox, retry, tasks
from integrations.errors import ConflictError, PermanentError, RateLimited, TransientError
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


class Script:
    """What the deliverer does for each row, by its payload's "do"; records what it saw."""

    def __init__(self):
        self.seen: list[str] = []
        self.during = None  # called mid-delivery: another worker, an agent's click

    def __call__(self, message):
        self.seen.append(message.payload.get("name", ""))
        if self.during:
            self.during(message)
        do = message.payload.get("do", "ok")
        if do == "fail":
            raise PermanentError("refused")
        if do == "conflict":
            error = ConflictError("changed upstream", 409)
            error.record = {"upstream": "v2"}
            raise error
        if do == "transient":
            raise TransientError("down", 503, retry_after=message.payload.get("retry_after"))
        if do == "limited":
            raise RateLimited("slow down", retry_after=message.payload.get("retry_after", 1.0))
        return {"answer": message.payload.get("name", "")}


@pytest.fixture
def script(monkeypatch):
    script = Script()
    monkeypatch.setattr(outbox, "_DELIVERERS", {**outbox._DELIVERERS, "scripted": script,
                                                "other": script})
    monkeypatch.setattr(outbox, "_POLICIES", {**outbox._POLICIES, "scripted": "delivery"})
    return script


@pytest.fixture
def queued_tasks(monkeypatch):
    """The drain tasks handed to the broker, instead of the broker."""
    sent = []
    monkeypatch.setattr(tasks.drain_lane, "apply_async",
                        lambda args, countdown=None: sent.append((args, countdown)))
    return sent


def _row(name="a", subject="ticket:1", system="scripted", **payload):
    return OutboxMessage.objects.create(system=system, action="do", subject=subject,
                                        payload={"name": name, **payload})


def _state(row):
    row.refresh_from_db()
    return row.state


# -- the commit boundary --------------------------------------------------------------


def test_enqueue_dispatches_its_lane_on_commit_and_a_rollback_sends_nothing(
        script, queued_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        outbox.enqueue(system="scripted", action="do", subject="ticket:7", payload={"name": "x"})
        assert queued_tasks == []  # nothing leaves before the action is committed
    assert len(callbacks) == 1
    assert queued_tasks == [(("scripted", "ticket:7"), None)]

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(system="scripted", action="do", subject="ticket:8", payload={})
        raise RuntimeError("the action fails after its outbox row")
    assert not OutboxMessage.objects.filter(subject="ticket:8").exists()
    assert queued_tasks == [(("scripted", "ticket:7"), None)]


def test_enqueue_refuses_a_system_nobody_delivers(script):
    with pytest.raises(ValueError, match="nowhere"):
        outbox.enqueue(system="nowhere", action="do", subject="ticket:1", payload={})
    assert not OutboxMessage.objects.exists()


def test_a_row_keeps_what_enqueue_was_given(script, queued_tasks):
    row = outbox.enqueue(system="scripted", action="reply", subject="ticket:3",
                         payload={"name": "n"}, upstream_version="v7")
    row.refresh_from_db()
    assert (row.system, row.action, row.subject, row.payload, row.upstream_version) == (
        "scripted", "reply", "ticket:3", {"name": "n"}, "v7")


def test_a_broker_outage_is_watched_and_forgotten(script, monkeypatch):
    def down(args, countdown=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.drain_lane, "apply_async", down)
    with outbox.watch_dispatch() as watch:
        assert outbox.dispatch("scripted", "ticket:1") is False
    assert watch.failed and watch.unqueued == ["outbox:lane:scripted:ticket:1"]
    monkeypatch.setattr(tasks.drain_lane, "apply_async", lambda args, countdown=None: None)
    # The dedup key was released: the sweep may send the lane once the broker is back.
    assert outbox.dispatch("scripted", "ticket:1") is True
    assert outbox.dispatch("scripted", "ticket:1") is False
    with outbox.watch_dispatch() as quiet:
        pass
    assert not quiet.failed


# -- the lane -------------------------------------------------------------------------


def test_a_lane_goes_on_after_a_failure_and_a_conflict(script, queued_tasks):
    rows = [_row("first", do="fail"), _row("second", do="conflict"), _row("third")]
    outcomes = outbox.drain("scripted", "ticket:1")
    assert [o.state for o in outcomes] == ["failed", "conflict", "sent"]
    assert script.seen == ["first", "second", "third"]
    assert [_state(r) for r in rows] == ["failed", "conflict", "sent"]
    assert queued_tasks == []  # nothing left to kick


def test_a_ticket_zendesk_row_does_not_wait_behind_its_slack_row(script, queued_tasks):
    other = _row("slack first", system="other")
    OutboxMessage.objects.filter(pk=other.pk).update(
        claimed_at=timezone.now(), claimed_until=timezone.now() + timedelta(minutes=1))
    mine = _row("zendesk")
    assert outbox.deliver(mine.pk).state == "sent"
    assert outbox.deliver(other.pk).state == "busy"


def test_a_later_row_waits_for_an_earlier_one_held_by_a_worker(script):
    first, second = _row("first"), _row("second")
    OutboxMessage.objects.filter(pk=first.pk).update(
        claimed_at=timezone.now(), claimed_until=timezone.now() + timedelta(minutes=1))
    assert outbox.deliver(second.pk).state == "waiting"
    assert script.seen == []


def test_a_row_another_worker_claimed_is_not_delivered_twice(script):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now(), claimed_until=timezone.now() + timedelta(seconds=5))
    assert outbox.deliver(row.pk).state == "busy"
    assert script.seen == [] and _state(row) == "queued"


def test_a_claim_that_expired_is_taken_over(script):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=5), claimed_until=timezone.now())
    assert outbox.deliver(row.pk).state == "sent"


def test_the_claim_holds_for_claim_seconds_while_delivering(script):
    row = _row()
    held = {}

    def look(message):
        fresh = OutboxMessage.objects.get(pk=message.pk)
        held["until"] = fresh.claimed_until - fresh.claimed_at
        held["attempts"] = fresh.attempts
        # A second worker racing this one finds the row busy.
        held["second"] = outbox.deliver(message.pk).state

    script.during = look
    assert outbox.deliver(row.pk).state == "sent"
    assert held == {"until": timedelta(seconds=outbox.CLAIM_SECONDS), "attempts": 1,
                    "second": "busy"}
    assert script.seen == ["a"]
    row.refresh_from_db()
    assert row.claimed_until is None and row.claimed_at is None
    assert row.response == {"answer": "a"} and row.sent_at and row.last_error == ""


def test_a_stale_worker_does_not_overwrite_an_agents_retry(script):
    row = _row(do="fail")

    def agent_retries_meanwhile(message):
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=timezone.now() + timedelta(minutes=9))  # a newer claim

    script.during = agent_retries_meanwhile
    assert outbox.deliver(row.pk).state == "skipped"
    assert _state(row) == "queued"
    row.refresh_from_db()
    assert row.last_error == ""


def test_a_stale_worker_does_not_overwrite_a_newer_success(script):
    row = _row()
    script.during = lambda m: OutboxMessage.objects.filter(pk=m.pk).update(
        state="sent", claimed_until=None)
    assert outbox.deliver(row.pk).state == "skipped"


def test_a_sent_row_keeps_what_was_learned_before(script):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(response={"stamp": "s1"})
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.response == {"stamp": "s1", "answer": "a"}


def test_a_conflict_keeps_what_the_deliverer_learned(script):
    row = _row(do="conflict")
    OutboxMessage.objects.filter(pk=row.pk).update(response={"mine": 1})
    assert outbox.deliver(row.pk).state == "conflict"
    row.refresh_from_db()
    assert row.response == {"mine": 1, "upstream": "v2"}
    assert row.last_error == "HTTP 409: changed upstream"
    assert row.claimed_until is None


def test_a_failure_without_a_record_keeps_the_response(script):
    row = _row(do="fail")
    OutboxMessage.objects.filter(pk=row.pk).update(response={"mine": 1})
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.response == {"mine": 1} and row.last_error == "refused"


def test_an_unregistered_system_fails_visibly(script):
    row = _row(system="gone")
    assert outbox.deliver(row.pk).state == "failed"
    row.refresh_from_db()
    assert "gone" in row.last_error


# -- retries ---------------------------------------------------------------------------


def test_retry_after_is_honoured_and_the_lane_is_kicked_then(script, queued_tasks):
    row = _row(do="limited", retry_after=42)
    later = _row("behind")
    outcomes = outbox.drain("scripted", "ticket:1")
    assert [(o.state, o.retry_in) for o in outcomes] == [("queued", 42)]
    assert queued_tasks == [(("scripted", "ticket:1"), 42)]
    row.refresh_from_db()
    assert 41 <= (row.next_attempt_at - timezone.now()).total_seconds() <= 42
    assert row.last_error == "HTTP 429: slow down" and row.attempts == 1
    assert row.claimed_until is None
    assert _state(later) == "queued" and script.seen == ["a"]


def test_a_transient_failure_honours_its_retry_after(script, queued_tasks):
    row = _row(do="transient", retry_after=30)
    assert outbox.deliver(row.pk).retry_in == 30


def test_a_rate_limit_never_gives_up(script):
    row = _row(do="limited", retry_after=0)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=100)
    assert outbox.deliver(row.pk).state == "queued"


def test_transient_failures_give_up_at_the_policys_last_attempt(script):
    with retry.overridden("delivery", max_attempts=2, jitter=0):
        row = _row(do="transient")
        first = outbox.deliver(row.pk)
        assert first.state == "queued" and first.retry_in == 2.0
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert outbox.deliver(row.pk).state == "failed"
    row.refresh_from_db()
    assert row.attempts == 2 and row.last_error == "HTTP 503: down"


def test_a_system_uses_its_own_retry_policy(script, monkeypatch):
    monkeypatch.setitem(outbox._POLICIES, "scripted", "sync")
    with retry.overridden("sync", max_attempts=1):
        row = _row(do="transient")
        assert outbox.deliver(row.pk).state == "failed"


def test_a_row_not_yet_due_is_later_and_the_lane_waits_for_it(script, queued_tasks):
    elsewhere = _row("elsewhere", subject="ticket:99")  # an older row, due now, another lane
    OutboxMessage.objects.filter(pk=elsewhere.pk).update(state="sent")
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=30))
    outcomes = outbox.drain("scripted", "ticket:1")
    assert [o.state for o in outcomes] == ["later"]
    [(args, countdown)] = queued_tasks
    assert args == ("scripted", "ticket:1") and 28 <= countdown <= 30
    assert script.seen == []


def test_a_row_due_within_a_second_is_delivered(script):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(milliseconds=500))
    assert outbox.deliver(row.pk).state == "sent"


def test_a_long_drain_hands_over_to_a_new_task(script, queued_tasks):
    _row("one"), _row("two")
    outcomes = outbox.drain("scripted", "ticket:1", seconds=-1)
    assert [o.state for o in outcomes] == ["sent"]
    assert queued_tasks == [(("scripted", "ticket:1"), None)]


def test_a_drain_of_a_lane_held_elsewhere_stops(script, queued_tasks):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now(), claimed_until=timezone.now() + timedelta(minutes=1))
    assert [o.state for o in outbox.drain("scripted", "ticket:1")] == ["busy"]
    assert queued_tasks == []


def test_deliver_skips_a_row_that_is_gone_or_done(script):
    assert outbox.deliver(999_999).state == "skipped"
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(state="sent")
    assert outbox.deliver(row.pk).state == "skipped"


# -- an agent's retry, the sweep, stuck rows ------------------------------------------


def test_retry_now_only_for_failed_or_conflicted_rows_of_that_subject(
        script, queued_tasks, django_capture_on_commit_callbacks):
    sent, failed = _row("s"), _row("f", do="fail")
    outbox.drain("scripted", "ticket:1")
    assert not outbox.retry_now(message_id=sent.pk, subject="ticket:1")
    assert not outbox.retry_now(message_id=failed.pk, subject="ticket:2")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.retry_now(message_id=failed.pk, subject="ticket:1")
    assert queued_tasks == [(("scripted", "ticket:1"), None)]
    failed.refresh_from_db()
    assert failed.state == "queued" and failed.attempts == 0 and failed.claimed_until is None
    assert failed.next_attempt_at <= timezone.now()
    assert not outbox.retry_now(message_id=failed.pk, subject="ticket:1")  # a second click


def test_the_sweep_sends_one_task_per_due_lane(script, queued_tasks):
    _row(subject="ticket:1"), _row("again", subject="ticket:1"), _row(subject="ticket:2")
    assert outbox.sweep() == 2
    assert sorted(args for args, _ in queued_tasks) == [("scripted", "ticket:1"),
                                                       ("scripted", "ticket:2")]
    assert outbox.sweep() == 0  # their tasks are on their way
    assert outbox.lanes_to_sweep(limit=1) in ([("scripted", "ticket:1")], [("scripted", "ticket:2")])


def test_a_row_due_later_is_not_swept(script):
    row = _row()
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=5))
    assert outbox.lanes_to_sweep() == []


def test_a_stuck_claim_is_shown_after_a_minute(script):
    row = _row()
    assert not outbox.is_stuck(row)
    row.claimed_at = timezone.now() - timedelta(seconds=outbox.STUCK_AFTER_SECONDS + 5)
    assert outbox.is_stuck(row)
    row.claimed_at = timezone.now() - timedelta(seconds=outbox.STUCK_AFTER_SECONDS - 5)
    assert not outbox.is_stuck(row)
    row.claimed_at = timezone.now() - timedelta(hours=1)
    row.state = "sent"
    assert not outbox.is_stuck(row)


def test_a_broker_outage_outside_a_watch_is_only_logged(script, monkeypatch):
    def down(args, countdown=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.drain_lane, "apply_async", down)
    assert outbox.dispatch("scripted", "ticket:1") is False  # the sweep sends it later


def test_a_registered_deliverer_gets_its_rows_under_its_policy(monkeypatch, queued_tasks):
    monkeypatch.setattr(outbox, "_DELIVERERS", dict(outbox._DELIVERERS))
    monkeypatch.setattr(outbox, "_POLICIES", dict(outbox._POLICIES))
    calls = []

    def deliverer(message):
        calls.append(message.pk)
        raise TransientError("down")

    outbox.register_deliverer("late", deliverer, retry_policy="sync")
    row = outbox.enqueue(system="late", action="do", subject="x:1", payload={})
    with retry.overridden("sync", max_attempts=1):
        assert outbox.deliver(row.pk).state == "failed"
    assert calls == [row.pk]


def test_a_long_upstream_error_is_kept_to_a_thousand_characters(script):
    row = _row(do="transient")
    script.during = lambda m: (_ for _ in ()).throw(TransientError("x" * 1500))
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert len(row.last_error) == 1000


def test_a_watch_ends_with_its_block(script, monkeypatch):
    with outbox.watch_dispatch() as ended:
        pass

    def down(args, countdown=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.drain_lane, "apply_async", down)
    outbox.dispatch("scripted", "ticket:1")  # a later failure, outside any watch
    assert not ended.failed


def test_draining_a_lane_never_delivers_another_systems_row(script, queued_tasks):
    theirs = _row("theirs", system="other")
    _row("mine")
    outbox.drain("scripted", "ticket:1")
    assert script.seen == ["mine"] and _state(theirs) == "queued"


def test_a_long_permanent_error_is_kept_to_a_thousand_characters(script):
    row = _row()
    script.during = lambda m: (_ for _ in ()).throw(PermanentError("z" * 1500))
    outbox.deliver(row.pk)
    row.refresh_from_db()
    assert row.state == "failed" and len(row.last_error) == 1000


def test_an_agents_retry_clears_a_stale_claim_and_is_due_now(script):
    row = _row(do="fail")
    outbox.deliver(row.pk)
    later = timezone.now() + timedelta(hours=1)
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=later, claimed_at=later,
                                                   claimed_until=later)
    assert outbox.retry_now(message_id=row.pk, subject="ticket:1")
    row.refresh_from_db()
    assert row.next_attempt_at <= timezone.now()
    assert row.claimed_at is None and row.claimed_until is None
