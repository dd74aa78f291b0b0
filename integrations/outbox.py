"""Writing to and delivering from the outbox: one lane per system and subject, in order.

Every outbound action is a row written in the caller's transaction. After commit, one
Celery task drains the row's lane (same system, same subject): it claims the oldest queued
row, delivers it, records the outcome and moves on to the next, so a delivery always
starts from what its predecessor left (Zendesk's updated_stamp, say). Adapters register
their deliverer from their app config; this module names none of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, Q
from django.utils import timezone

from . import retry
from .errors import ConflictError, PermanentError, RateLimited, TransientError, UpstreamError
from .models import OutboxMessage

log = logging.getLogger(__name__)

Deliverer = Callable[[OutboxMessage], dict[str, Any] | None]
# Many lanes' heads at once (integrations.batch): an answer or the error, one per message.
BatchDeliverer = Callable[[list[OutboxMessage]], list[dict[str, Any] | UpstreamError]]
_DELIVERERS: dict[str, Deliverer] = {}
_BATCH_DELIVERERS: dict[str, BatchDeliverer] = {}
_POLICIES: dict[str, str] = {}

# Longer than any one delivery (a few requests at the client's 30 s timeout, plus waits for
# the rate budget); a claim older than this belongs to a worker that died, and the next
# sweep hands its lane to another worker.
CLAIM_SECONDS = 120
# A claim held this long is shown to agents as a stuck delivery.
STUCK_AFTER_SECONDS = 60
# How long "a task for this lane is on its way" holds before the sweep may send another.
DISPATCH_TTL_SECONDS = 300
# One task drains a lane for at most this long, then hands over so other lanes get a turn.
DRAIN_SECONDS = 20.0
SWEEP_LIMIT = 500


@dataclass
class DispatchWatch:
    """What happened to the drain tasks queued while it was open (see watch_dispatch)."""

    unqueued: list[str] = field(default_factory=list)
    # Rows written while it was open: a bulk action links each ticket to its deliveries.
    enqueued: list[int] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.unqueued)


_watch: ContextVar[DispatchWatch | None] = ContextVar("outbox_dispatch_watch", default=None)


@contextmanager
def watch_dispatch() -> Iterator[DispatchWatch]:
    """Lets a view tell the agent "saved; delivery queued" when the broker was unreachable
    after its action committed (the sweep sends the rows once it is back)."""
    watch = DispatchWatch()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None


def register_deliverer(system: str, deliverer: Deliverer, *, retry_policy: str = "delivery",
                       batch: BatchDeliverer | None = None) -> None:
    """Called by an adapter's AppConfig.ready(): rows of `system` go through `deliverer`,
    which returns what to keep of the answer and raises integrations.errors.*; transient
    failures are retried under the named policy of integrations.retry. With `batch`, the
    system's lanes are drained many heads at a time by one task (integrations.batch)."""
    _DELIVERERS[system] = deliverer
    _POLICIES[system] = retry_policy
    if batch is None:
        _BATCH_DELIVERERS.pop(system, None)
    else:
        _BATCH_DELIVERERS[system] = batch


def batch_deliverer(system: str) -> BatchDeliverer | None:
    return _BATCH_DELIVERERS.get(system)


def enqueue(*, system: str, action: str, subject: str, payload: dict,
            upstream_version: str = "") -> OutboxMessage:
    """Store the message in the caller's transaction; its lane is drained once that commits."""
    if system not in _DELIVERERS:
        raise ValueError(f"No deliverer registered for system {system!r}")
    message = OutboxMessage.objects.create(system=system, action=action, subject=subject,
                                           payload=payload, upstream_version=upstream_version)
    if (watch := _watch.get()) is not None:
        watch.enqueued.append(message.pk)
    # robust: the action is committed by then; a broker that is down must not turn it into
    # an error for the agent. The sweep delivers the row later.
    transaction.on_commit(lambda: dispatch(system, subject), robust=True)
    return message


def enqueue_many(*, system: str, action: str, items: list[tuple[str, dict]]) -> list[OutboxMessage]:
    """enqueue() for many (subject, payload) pairs in one INSERT: a bulk upload's chunk. Each
    lane is dispatched after commit; a batch system's are one task."""
    if system not in _DELIVERERS:
        raise ValueError(f"No deliverer registered for system {system!r}")
    messages = OutboxMessage.objects.bulk_create([
        OutboxMessage(system=system, action=action, subject=subject, payload=payload)
        for subject, payload in items])
    if (watch := _watch.get()) is not None:
        watch.enqueued.extend(m.pk for m in messages)
    subjects = [""] if system in _BATCH_DELIVERERS else list(dict.fromkeys(s for s, _ in items))
    for subject in subjects:
        transaction.on_commit(lambda subject=subject: dispatch(system, subject), robust=True)
    return messages


def _lane_key(system: str, subject: str) -> str:
    return f"outbox:lane:{system}:{subject}"


def system_key(system: str) -> str:
    return f"outbox:system:{system}"


def dispatch(system: str, subject: str, *, countdown: float | None = None) -> bool:
    """Send one drain task for the lane unless one is already on its way; for a system
    drained in batches, one task for the whole system."""
    batched = system in _BATCH_DELIVERERS
    key = system_key(system) if batched else _lane_key(system, subject)
    ttl = DISPATCH_TTL_SECONDS + int(countdown or 0)
    try:
        if not cache.add(key, 1, ttl):
            return False
    except Exception:  # noqa: BLE001 - a cache outage must not stop delivery
        log.warning("outbox: cache unavailable; dispatching lane %s without dedup", key)
    from .tasks import drain_lane, drain_system

    try:
        if batched:
            drain_system.apply_async((system,), countdown=countdown)
        else:
            drain_lane.apply_async((system, subject), countdown=countdown)
    except Exception:
        log.exception("outbox: could not queue lane %s; the sweep will", key)
        _forget(key)
        if (watch := _watch.get()) is not None:
            watch.unqueued.append(key)
        return False
    return True


def dispatch_later(system: str, countdown: float) -> None:
    """A batch system's task for rows due in `countdown` seconds, beside any already queued
    (the sweep catches it if the broker is down)."""
    from .tasks import drain_system

    try:
        drain_system.apply_async((system,), countdown=max(0.0, countdown))
    except Exception:
        log.exception("outbox: could not queue a later drain of %s; the sweep will", system)


def forget_dispatch(key: str) -> None:
    """From here on, a new row needs a new task: called as a drain task starts."""
    _forget(key)


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001
        log.warning("outbox: cache unavailable while releasing %s", key)


def drain(system: str, subject: str, *, seconds: float = DRAIN_SECONDS) -> list[Outcome]:
    """Deliver the lane's due rows in order until it is empty, waiting, or time is up."""
    _forget(_lane_key(system, subject))  # from here on, a new row needs a new task
    started = time.monotonic()
    outcomes: list[Outcome] = []
    while True:
        head = _head(system, subject)
        if head is None:
            return outcomes
        outcome = deliver(head)
        outcomes.append(outcome)
        if outcome.state in ("busy", "skipped"):
            return outcomes  # another worker holds the lane
        if outcome.state == "later" or outcome.retry_in is not None:
            wait = outcome.retry_in if outcome.retry_in is not None else _seconds_until(head)
            dispatch(system, subject, countdown=max(0.0, wait))
            return outcomes
        if time.monotonic() - started > seconds:
            dispatch(system, subject)
            return outcomes


def _head(system: str, subject: str) -> int | None:
    return OutboxMessage.objects.filter(
        system=system, subject=subject, state=OutboxMessage.State.QUEUED,
    ).order_by("pk").values_list("pk", flat=True).first()


def _seconds_until(message_id: int) -> float:
    when = OutboxMessage.objects.filter(pk=message_id).values_list(
        "next_attempt_at", flat=True).first()
    return max(0.0, (when - timezone.now()).total_seconds()) if when else 0.0


def deliver(message_id: int) -> Outcome:
    """Try one delivery of a row at the head of its lane: claim, call upstream, record.

    Holding a row lock across the HTTP call would keep a transaction open for up to the
    client's timeout; on SQLite (IMMEDIATE transactions) that is the whole database's write
    lock. So a short UPDATE claims the row until `claimed_until`, the row is read again
    after the claim (its payload as the predecessor's delivery left it), and the outcome is
    written only if the claim still holds. The next attempt reuses the idempotency key, so
    the upstream applies the action once.
    """
    message = _claim(message_id)
    if not isinstance(message, OutboxMessage):
        return message
    deliverer = _DELIVERERS.get(message.system)
    policy = policy_of(message.system)
    try:
        if deliverer is None:
            raise PermanentError(f"No deliverer registered for system {message.system!r}")
        response = deliverer(message)
    except UpstreamError as exc:
        return settle(message, exc, policy)
    recorded = _record(message, state=OutboxMessage.State.SENT, sent_at=timezone.now(),
                       response={**(message.response or {}), **(response or {})},
                       last_error="")
    return Outcome(OutboxMessage.State.SENT if recorded else "skipped")


def settle(message: OutboxMessage, exc: UpstreamError, policy: retry.RetryPolicy) -> Outcome:
    """Record a claimed row's failed delivery: a retry later, or failed / conflict for good."""
    if isinstance(exc, RateLimited):
        return _retry(message, exc, policy.delay(message.attempts, exc.retry_after))
    if isinstance(exc, TransientError):
        if message.attempts >= policy.max_attempts:
            return _finish(message, OutboxMessage.State.FAILED, exc)
        return _retry(message, exc, policy.delay(message.attempts, exc.retry_after))
    if isinstance(exc, ConflictError):
        return _finish(message, OutboxMessage.State.CONFLICT, exc)
    return _finish(message, OutboxMessage.State.FAILED, exc)


def policy_of(system: str) -> retry.RetryPolicy:
    return retry.policy(_POLICIES.get(system, "delivery"))


def _claim(message_id: int) -> OutboxMessage | Outcome:
    now = timezone.now()
    row = OutboxMessage.objects.filter(pk=message_id).values(
        "system", "subject", "state", "attempts", "next_attempt_at", "claimed_until").first()
    if row is None or row["state"] != OutboxMessage.State.QUEUED:
        return Outcome("skipped")
    if row["claimed_until"] is not None and row["claimed_until"] > now:
        return Outcome("busy")
    # A sweep may start a lane a moment before its head's retry is due.
    if row["next_attempt_at"] > now + timedelta(seconds=1):
        return Outcome("later")
    earlier = OutboxMessage.objects.filter(
        system=row["system"], subject=row["subject"], state=OutboxMessage.State.QUEUED,
        pk__lt=message_id)
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    # One statement decides: still queued, still unclaimed, nothing queued before it.
    claimed = OutboxMessage.objects.filter(
        free, pk=message_id, state=OutboxMessage.State.QUEUED, attempts=row["attempts"],
    ).filter(~Exists(earlier)).update(
        attempts=F("attempts") + 1, claimed_at=now,
        claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return Outcome("waiting" if earlier.exists() else "busy")
    # Read after the claim: what the predecessor's delivery wrote (a rebased stamp) is here.
    return OutboxMessage.objects.get(pk=message_id)


def _record(message: OutboxMessage, **fields) -> bool:
    """Write the outcome if our claim still holds (an agent's retry or a newer claim wins)."""
    for name, value in fields.items():
        setattr(message, name, value)
    return bool(OutboxMessage.objects.filter(
        pk=message.pk, state=OutboxMessage.State.QUEUED, claimed_until=message.claimed_until,
    ).update(claimed_until=None, claimed_at=None, **fields))


def _retry(message: OutboxMessage, exc: UpstreamError, delay: float) -> Outcome:
    _record(message, last_error=str(exc)[:1000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay))
    log.info("outbox %s retry in %.1fs after %s", message.pk, delay, type(exc).__name__)
    return Outcome(message.state, retry_in=delay)


def _finish(message: OutboxMessage, state: str, exc: UpstreamError) -> Outcome:
    fields: dict = {"state": state, "last_error": str(exc)[:1000]}
    if exc.record is not None:
        # What the deliverer learned (e.g. the upstream version behind a conflict).
        fields["response"] = {**(message.response or {}), **exc.record}
    recorded = _record(message, **fields)
    log.warning("outbox %s %s: %s", message.pk, state, message.last_error)
    return Outcome(state if recorded else "skipped")


def retry_now(*, message_id: int, subject: str) -> bool:
    """An agent's "retry" of a failed or conflicted row: back to its lane, attempts afresh.

    Only those two states qualify (a sent row is never sent again) and the state change is
    one conditional UPDATE, so two clicks at once queue it once.
    """
    with transaction.atomic():
        row = OutboxMessage.objects.filter(
            pk=message_id, subject=subject,
            state__in=[OutboxMessage.State.FAILED, OutboxMessage.State.CONFLICT])
        system = row.values_list("system", flat=True).first()
        if system is None or not row.update(
                state=OutboxMessage.State.QUEUED, attempts=0, next_attempt_at=timezone.now(),
                claimed_at=None, claimed_until=None):
            return False
        transaction.on_commit(lambda: dispatch(system, subject), robust=True)
    return True


def lanes_to_sweep(limit: int = SWEEP_LIMIT) -> list[tuple[str, str]]:
    """Lanes with a due queued row that no worker holds (a lost task, a dead worker)."""
    now = timezone.now()
    return list(OutboxMessage.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        state=OutboxMessage.State.QUEUED, next_attempt_at__lte=now,
    ).order_by().values_list("system", "subject").distinct()[:limit])


def sweep() -> int:
    """Beat's safety net: one drain task per lane that needs one and has none on its way."""
    return sum(dispatch(system, subject) for system, subject in lanes_to_sweep())


def is_stuck(message: OutboxMessage) -> bool:
    """Claimed for longer than any delivery should take: its worker is likely gone."""
    return bool(message.state == OutboxMessage.State.QUEUED and message.claimed_at
                and timezone.now() - message.claimed_at > timedelta(seconds=STUCK_AFTER_SECONDS))
