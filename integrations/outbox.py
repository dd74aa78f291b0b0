"""Writing to and delivering from the outbox, with one retry policy for every system."""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import ConflictError, PermanentError, RateLimited, TransientError, UpstreamError
from .models import OutboxMessage

log = logging.getLogger(__name__)

# system -> "module.function(message) -> dict"; the function raises integrations.errors.*
DELIVERERS = {
    "slack": "integrations.slack.tasks.deliver",
    "zendesk": "integrations.zendesk.tasks.deliver",
}
MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0
# Longer than any one delivery (a few requests at the client's 30 s timeout, plus waits for
# the rate budget); a claim older than this belongs to a worker that died.
CLAIM_SECONDS = 300


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None


def enqueue(*, system: str, action: str, payload: dict, ticket=None) -> OutboxMessage:
    """Store the message in the caller's transaction; deliver it once that commits."""
    if system not in DELIVERERS:
        raise ValueError(f"No deliverer for system {system!r}")
    message = OutboxMessage.objects.create(
        system=system, action=action, payload=payload, ticket=ticket
    )
    from .tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter, so many failed rows do not retry in step."""
    ceiling = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def deliver(message_id: int) -> Outcome:
    """Try one delivery: claim the row, call upstream outside any transaction, record.

    Holding a row lock across the HTTP call would keep a transaction open for up to the
    client's timeout; on SQLite (IMMEDIATE transactions) that is the whole database's write
    lock. So a short UPDATE claims the row until `claimed_until`, and the outcome is written
    only if that claim still holds. A worker that dies mid-call leaves a claim that expires;
    the next attempt reuses the idempotency key, so the upstream applies the action once.
    """
    message = _claim(message_id)
    if not isinstance(message, OutboxMessage):
        return message
    try:
        response = import_string(DELIVERERS[message.system])(message)
    except RateLimited as exc:
        return _retry(message, exc, exc.retry_after)
    except TransientError as exc:
        if message.attempts >= MAX_ATTEMPTS:
            return _finish(message, OutboxMessage.State.FAILED, exc)
        delay = exc.retry_after if exc.retry_after is not None else None
        return _retry(message, exc, delay or backoff_seconds(message.attempts))
    except ConflictError as exc:
        return _finish(message, OutboxMessage.State.CONFLICT, exc)
    except (PermanentError, UpstreamError) as exc:
        return _finish(message, OutboxMessage.State.FAILED, exc)
    recorded = _record(message, state=OutboxMessage.State.SENT, sent_at=timezone.now(),
                       response=response or {}, last_error="")
    if recorded:
        _kick_next(message)
    return Outcome(OutboxMessage.State.SENT if recorded else "skipped")


def _claim(message_id: int) -> OutboxMessage | Outcome:
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = OutboxMessage.objects.filter(
        free, pk=message_id, state=OutboxMessage.State.QUEUED,
        # a sweep may enqueue a row whose retry is already scheduled
        next_attempt_at__lte=now + timedelta(seconds=1))
    message = due.first()
    if message is None:
        return Outcome("skipped")
    if message.ticket_id is not None and OutboxMessage.objects.filter(
            system=message.system, ticket_id=message.ticket_id,
            state=OutboxMessage.State.QUEUED, pk__lt=message.pk).exists():
        # One ticket's actions reach the upstream in the order agents took them; the earlier
        # row kicks this one when it is done (and the sweep catches any lost kick).
        return Outcome("waiting")
    claim = now + timedelta(seconds=CLAIM_SECONDS)
    if not due.filter(attempts=message.attempts).update(
            attempts=F("attempts") + 1, claimed_until=claim):
        return Outcome("skipped")  # another worker claimed it first
    message.attempts += 1
    message.claimed_until = claim
    return message


def _record(message: OutboxMessage, **fields) -> bool:
    """Write the outcome if our claim still holds (an agent's retry or a newer claim wins)."""
    for name, value in fields.items():
        setattr(message, name, value)
    return bool(OutboxMessage.objects.filter(
        pk=message.pk, state=OutboxMessage.State.QUEUED, claimed_until=message.claimed_until,
    ).update(claimed_until=None, **fields))


def _kick_next(message: OutboxMessage) -> None:
    if message.ticket_id is None:
        return
    following = OutboxMessage.objects.filter(
        system=message.system, ticket_id=message.ticket_id, state=OutboxMessage.State.QUEUED,
        pk__gt=message.pk).order_by("pk").values_list("pk", flat=True).first()
    if following is not None:
        from .tasks import deliver_message

        transaction.on_commit(lambda: deliver_message.delay(following))


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
    if _record(message, **fields):
        _kick_next(message)
    log.warning("outbox %s %s: %s", message.pk, state, message.last_error)
    return Outcome(state)


def retry_now(message: OutboxMessage) -> None:
    """An agent's "retry": back to the queue, attempts counted afresh."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.QUEUED, attempts=0, next_attempt_at=timezone.now(),
            claimed_until=None,
        )
        from .tasks import deliver_message

        transaction.on_commit(lambda: deliver_message.delay(message.pk))


def due_messages(limit: int = 500):
    return OutboxMessage.objects.filter(
        state=OutboxMessage.State.QUEUED, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
