"""Whether Zendesk is configured, and the client built from settings with the shared budget."""

from __future__ import annotations

import threading
from functools import lru_cache

from django.conf import settings

from integrations.errors import PermanentError
from integrations.ratelimit import SharedBudget, Window, store_for

from .client import ZendeskClient


def is_configured() -> bool:
    return bool(settings.ZENDESK_URL)


def windows_for(path: str) -> list[Window]:
    """Zendesk's account-wide limit for every request, plus the export's own for /incremental/."""
    seconds = settings.ZENDESK_RATE_WINDOW_SECONDS
    windows = []
    if settings.ZENDESK_RATE_LIMIT_PER_MINUTE:
        windows.append(Window("account", settings.ZENDESK_RATE_LIMIT_PER_MINUTE, seconds))
    if "/incremental/" in path and settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE:
        windows.append(Window("incremental", settings.ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE,
                              seconds))
    return windows


@lru_cache(maxsize=4)
def _budget(url: str, redis_url: str, var_dir: str) -> SharedBudget:
    # One store per process (the Redis store holds a connection pool); keyed by the account.
    name = "zendesk-" + "".join(c if c.isalnum() else "_" for c in url)[-60:]
    return SharedBudget(store_for(name, redis_url, var_dir), windows_for)


def budget() -> SharedBudget:
    return _budget(settings.ZENDESK_URL, settings.REDIS_URL, str(settings.VAR_DIR))


_local = threading.local()


def get_client() -> ZendeskClient:
    """One client per thread and configuration, so its session keeps connections alive."""
    if not is_configured():
        raise PermanentError("Zendesk is not configured (ZENDESK_URL and credentials)")
    key = (settings.ZENDESK_URL, settings.ZENDESK_EMAIL, settings.ZENDESK_API_TOKEN,
           settings.ZENDESK_OAUTH_TOKEN, settings.REDIS_URL)
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        client = ZendeskClient(
            settings.ZENDESK_URL, email=settings.ZENDESK_EMAIL or None,
            api_token=settings.ZENDESK_API_TOKEN or None,
            oauth_token=settings.ZENDESK_OAUTH_TOKEN or None,
            rate_budget=budget(),
        )
        cached = _local.client = (key, client)
    return cached[1]
