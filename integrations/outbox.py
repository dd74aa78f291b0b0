"""Writing to and delivering from the outbox, with one retry policy for every system."""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .errors import ConflictError, PermanentError, RateLimited, TransientError, UpstreamError
from .models import OutboxMessage

log = logging.getLogger(__name__)

# system -> "module.function(message) -> dict"; the function raises integrations.errors.*
DELIVERERS = {
    "slack": "integrations.slack.tasks.deliver",
}
MAX_ATTEMPTS = 8
BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300.0


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
    """Try one delivery. The row lock makes concurrent workers skip a row in flight."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=OutboxMessage.State.QUEUED,
                    # a sweep may enqueue a row whose retry is already scheduled
                    next_attempt_at__lte=timezone.now() + timedelta(seconds=1))
            .first()
        )
        if message is None:
            return Outcome("skipped")
        message.attempts += 1
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
        message.state = OutboxMessage.State.SENT
        message.sent_at = timezone.now()
        message.response = response or {}
        message.last_error = ""
        message.save()
        return Outcome(message.state)


def _retry(message: OutboxMessage, exc: UpstreamError, delay: float) -> Outcome:
    message.last_error = str(exc)[:1000]
    message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    message.save()
    log.info("outbox %s retry in %.1fs after %s", message.pk, delay, type(exc).__name__)
    return Outcome(message.state, retry_in=delay)


def _finish(message: OutboxMessage, state: str, exc: UpstreamError) -> Outcome:
    message.state = state
    message.last_error = str(exc)[:1000]
    message.save()
    log.warning("outbox %s %s: %s", message.pk, state, message.last_error)
    return Outcome(state)


def retry_now(message: OutboxMessage) -> None:
    """An agent's "retry": back to the queue, attempts counted afresh."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
        from .tasks import deliver_message

        transaction.on_commit(lambda: deliver_message.delay(message.pk))


def due_messages(limit: int = 500):
    return OutboxMessage.objects.filter(
        state=OutboxMessage.State.QUEUED, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)[:limit]
