"""Celery entry points of the outbox; each calls one function of integrations.outbox."""

from celery import shared_task

from . import batch, outbox


@shared_task(acks_late=True, ignore_result=True)
def drain_lane(system: str, subject: str) -> list[str]:
    return [o.state for o in outbox.drain(system, subject)]


@shared_task(acks_late=True, ignore_result=True)
def drain_system(system: str) -> int:
    """A system drained in batches (integrations.batch): rows delivered."""
    return len(batch.drain(system))


@shared_task(ignore_result=True)
def sweep_outbox() -> int:
    """Beat's safety net: lanes with due rows and no task on its way (lost, worker died)."""
    return outbox.sweep()
