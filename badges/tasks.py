"""Badges' Celery tasks: entry points that call one service each."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def reconcile_badges() -> int:
    """Beat: passing results still without a badge after the grace period, told on Slack."""
    return len(services.reconcile())


# acks_late: a worker killed mid-run leaves the task on the queue, and the run resumes
# from the last chunk it committed.
@shared_task(acks_late=True, ignore_result=True)
def issue_bulk(bulk_id: int) -> str:
    """A confirmed CSV upload: its rows queued for Credly, a chunk per transaction."""
    bulk = services.run_bulk_issue(bulk_id=bulk_id)
    return bulk.state if bulk else "gone"
