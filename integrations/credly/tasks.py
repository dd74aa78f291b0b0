"""Credly's Celery tasks: entry points that call one function each."""

from celery import shared_task

from . import sync
from .conf import is_configured


@shared_task(ignore_result=True)
def sync_badges() -> str:
    """Beat: templates, and the badges changed on Credly since the saved cursor."""
    if not is_configured():
        return "not configured"
    return "done" if sync.run_sync().ran else "already running"


@shared_task(ignore_result=True)
def refresh_from_event(event_id: str) -> str:
    """A webhook named this event: Credly's own account of it is what gets stored."""
    if not is_configured():
        return "not configured"
    return sync.refresh_from_event(event_id)
