"""Celery tasks that deliver outbox rows; they only call integrations.outbox."""

from celery import shared_task

from . import outbox
from .zendesk import tasks as zendesk_tasks  # noqa: F401 - registers Zendesk's tasks with Celery


@shared_task(acks_late=True)
def deliver_message(message_id: int) -> str:
    outcome = outbox.deliver(message_id)
    if outcome.retry_in is not None:
        deliver_message.apply_async((message_id,), countdown=outcome.retry_in)
    return outcome.state


@shared_task
def deliver_pending() -> int:
    """Beat's safety net: re-send whatever is due (a lost task, a worker restart)."""
    ids = list(outbox.due_messages())
    for message_id in ids:
        deliver_message.delay(message_id)
    return len(ids)
