"""The outbox's side of batched systems: registration, one dispatch per system, many rows in
one INSERT."""

import pytest
from django.core.cache import cache

from integrations import outbox, tasks
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_tasks(monkeypatch):
    """The drain tasks handed to the broker: (task name, args, countdown)."""
    sent = []
    for task in (tasks.drain_lane, tasks.drain_system):
        monkeypatch.setattr(task, "apply_async", lambda args, countdown=None, _n=task.name:
                            sent.append((_n.rsplit(".", 1)[1], args, countdown)))
    keys = [outbox.system_key("credly"), outbox._lane_key("slack", "ticket:1"),
            outbox._lane_key("slack", "ticket:2")]
    cache.delete_many(keys)
    yield sent
    cache.delete_many(keys)


def test_a_batch_deliverer_is_registered_and_unregistered_with_its_system():
    def deliver(message):
        return {}

    def deliver_batch(messages):
        return [{} for _ in messages]

    try:
        outbox.register_deliverer("test-batched", deliver, batch=deliver_batch)
        assert outbox.batch_deliverer("test-batched") is deliver_batch
        outbox.register_deliverer("test-batched", deliver)  # registered again, without
        assert outbox.batch_deliverer("test-batched") is None
    finally:
        outbox._DELIVERERS.pop("test-batched", None)
        outbox._POLICIES.pop("test-batched", None)
        outbox._BATCH_DELIVERERS.pop("test-batched", None)


def test_a_batched_system_gets_one_drain_system_task_with_its_countdown(sent_tasks):
    assert outbox.dispatch("credly", "badge:1", countdown=5) is True
    assert outbox.dispatch("credly", "badge:2") is False
    assert sent_tasks == [("drain_system", ("credly",), 5)]
    outbox.dispatch("slack", "ticket:1")
    assert sent_tasks[-1] == ("drain_lane", ("slack", "ticket:1"), None)


def test_a_later_drain_is_sent_beside_the_one_on_its_way(sent_tasks):
    outbox.dispatch("credly", "badge:1")
    outbox.dispatch_later("credly", 12.5)
    outbox.dispatch_later("credly", -3)  # due already: now, not in the past
    assert sent_tasks == [("drain_system", ("credly",), None), ("drain_system", ("credly",), 12.5),
                          ("drain_system", ("credly",), 0.0)]


def test_many_rows_go_in_with_one_insert_and_are_watched(django_capture_on_commit_callbacks,
                                                         sent_tasks):
    with outbox.watch_dispatch() as watch, django_capture_on_commit_callbacks(execute=True):
        rows = outbox.enqueue_many(system="credly", action="issue",
                                   items=[(f"badge:{n}", {"badge_id": n}) for n in range(3)])
    assert watch.enqueued == [row.pk for row in rows]
    assert [(r.system, r.action, r.subject, r.payload, r.state)
            for r in OutboxMessage.objects.order_by("pk")] == [
        ("credly", "issue", f"badge:{n}", {"badge_id": n}, "queued") for n in range(3)]
    assert sent_tasks == [("drain_system", ("credly",), None)]  # one task for the system


def test_many_rows_of_a_lane_system_dispatch_each_lane(django_capture_on_commit_callbacks,
                                                       sent_tasks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_many(system="slack", action="notify",
                            items=[("ticket:1", {}), ("ticket:2", {}), ("ticket:1", {})])
    assert sorted(args for _, args, _ in sent_tasks) == [("slack", "ticket:1"), ("slack", "ticket:2")]


def test_many_rows_for_an_unknown_system_are_refused():
    with pytest.raises(ValueError, match="No deliverer registered"):
        outbox.enqueue_many(system="nowhere", action="x", items=[("a:1", {})])


def test_one_row_enqueued_is_watched_too():
    with outbox.watch_dispatch() as watch:
        row = outbox.enqueue(system="slack", action="notify", subject="ticket:9", payload={})
    assert watch.enqueued == [row.pk]
