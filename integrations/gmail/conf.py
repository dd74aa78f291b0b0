"""Whether Gmail is configured, and the client built from settings (one per thread)."""

from __future__ import annotations

import threading

from django.conf import settings

from integrations.errors import PermanentError

from .client import GmailClient, TokenProvider

NAMES = ("GMAIL_API_URL", "GMAIL_MAILBOX", "GMAIL_GROUP_ADDRESS", "GMAIL_OAUTH_TOKEN")


def _setting(name: str) -> str:
    # Read with a default: the settings module may not define them until the inbox ships.
    return str(getattr(settings, name, "") or "")


def is_configured() -> bool:
    """An API URL, the member mailbox, the group address and a token are all set."""
    return all(_setting(name) for name in NAMES)


def mailbox() -> str:
    return _setting("GMAIL_MAILBOX")


def group_address() -> str:
    return _setting("GMAIL_GROUP_ADDRESS")


def group_name() -> str:
    """The name replies are signed with in From ("LevelUp <levelup@…>")."""
    return _setting("GMAIL_GROUP_NAME")


_local = threading.local()


def get_client(token_provider: TokenProvider | None = None) -> GmailClient:
    """The client for the configured mailbox; `token_provider` (e.g. refreshing google-auth
    credentials) replaces the static GMAIL_OAUTH_TOKEN, and such a client is not cached."""
    if not is_configured():
        raise PermanentError(f"Gmail is not configured ({', '.join(NAMES)})")
    if token_provider is not None:
        return GmailClient(_setting("GMAIL_API_URL"), token_provider, user_id=mailbox())
    key = tuple(_setting(name) for name in NAMES)
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        if cached is not None:
            cached[1].close()
        # One per thread and configuration, so its session keeps connections alive.
        client = GmailClient(_setting("GMAIL_API_URL"), _setting("GMAIL_OAUTH_TOKEN"),
                             user_id=mailbox())
        cached = _local.client = (key, client)
    return cached[1]
