"""Gmail's Celery tasks: entry points that call one function each."""

from celery import shared_task

from integrations.syncdriver import run_if_configured

from . import sync
from .conf import is_configured


@shared_task(ignore_result=True)
def sync_incremental() -> str:
    """Beat: what arrived since the saved history id (the first run lists everything)."""
    return run_if_configured(is_configured, sync.run_sync)


@shared_task(ignore_result=True)
def sync_full() -> str:
    return run_if_configured(is_configured, sync.run_sync, full=True)
