"""Whether Credly is configured, and the client built from settings (one per thread)."""

from __future__ import annotations

import threading

from django.conf import settings

from integrations.errors import PermanentError

from .client import CredlyClient

SETTINGS = ("CREDLY_API_URL", "CREDLY_ORGANIZATION_ID", "CREDLY_API_TOKEN")


def _values() -> tuple[str, str, str]:
    # getattr with a default: the settings module may not define them yet.
    url, organization_id, token = (str(getattr(settings, name, "") or "") for name in SETTINGS)
    return url, organization_id, token


def is_configured() -> bool:
    return all(_values())


_local = threading.local()


def get_client() -> CredlyClient:
    """One client per thread and configuration, so its session keeps connections alive."""
    values = _values()
    if not all(values):
        raise PermanentError(f"Credly is not configured ({', '.join(SETTINGS)})")
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != values:
        if cached is not None:
            cached[1].close()
        try:
            client = CredlyClient(*values)
        except ValueError as exc:  # a malformed URL or organization id: no retry will help
            raise PermanentError(f"Credly is misconfigured: {exc}") from None
        cached = _local.client = (values, client)
    return cached[1]
