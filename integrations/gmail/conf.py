"""Whether Gmail is configured, and the client built from settings (one per thread)."""

from __future__ import annotations

import json
import threading

from django.conf import settings

from integrations.errors import PermanentError

from .client import GmailClient, TokenProvider

NAMES = ("GMAIL_API_URL", "GMAIL_MAILBOX", "GMAIL_GROUP_ADDRESS")
# Any one of these: a service account with domain-wide delegation, an OAuth client's refresh
# token, or (tests, the demo) a fixed access token.
SERVICE_ACCOUNT = "GMAIL_SERVICE_ACCOUNT_FILE"
REFRESH = ("GMAIL_CLIENT_ID", "GMAIL_CLIENT_SECRET", "GMAIL_REFRESH_TOKEN")
STATIC = "GMAIL_OAUTH_TOKEN"
SCOPES = ("https://www.googleapis.com/auth/gmail.modify",)


def _setting(name: str) -> str:
    # Read with a default: the settings module may not define them until the inbox ships.
    return str(getattr(settings, name, "") or "")


def credential_kind() -> str | None:
    """Which credential the settings give: "service_account", "refresh_token", "token"."""
    if _setting(SERVICE_ACCOUNT):
        return "service_account"
    if all(_setting(name) for name in REFRESH):
        return "refresh_token"
    return "token" if _setting(STATIC) else None


def is_configured() -> bool:
    """An API URL, the member mailbox, the group address and a credential are all set."""
    return all(_setting(name) for name in NAMES) and credential_kind() is not None


def mailbox() -> str:
    return _setting("GMAIL_MAILBOX")


def group_address() -> str:
    return _setting("GMAIL_GROUP_ADDRESS")


def group_name() -> str:
    """The name replies are signed with in From ("LevelUp <levelup@…>")."""
    return _setting("GMAIL_GROUP_NAME")


_local = threading.local()


def get_client(token_provider: TokenProvider | None = None) -> GmailClient:
    """The client for the configured mailbox, one per thread and configuration so its session
    keeps connections alive; `token_provider` replaces the configured credential (uncached)."""
    if not is_configured():
        raise PermanentError(f"Gmail is not configured ({', '.join(NAMES)} and a credential: "
                             f"{SERVICE_ACCOUNT}, {' + '.join(REFRESH)} or {STATIC})")
    if token_provider is not None:
        return GmailClient(_setting("GMAIL_API_URL"), token_provider, user_id=mailbox())
    names = (*NAMES, SERVICE_ACCOUNT, *REFRESH, STATIC, "GMAIL_TOKEN_URI")
    key = tuple(_setting(name) for name in names)
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        if cached is not None:
            cached[1].close()
        client = GmailClient(_setting("GMAIL_API_URL"), _credential(), user_id=mailbox())
        cached = _local.client = (key, client)
    return cached[1]


def _credential() -> str | TokenProvider:
    kind = credential_kind()
    if kind == "token":
        return _setting(STATIC)
    token_uri = _setting("GMAIL_TOKEN_URI") or None
    if kind == "service_account":
        from google.oauth2 import service_account

        with open(_setting(SERVICE_ACCOUNT), encoding="utf-8") as key_file:
            info = json.load(key_file)
        if token_uri:
            info["token_uri"] = token_uri
        credentials = service_account.Credentials.from_service_account_info(
            info, scopes=SCOPES, subject=mailbox())
    else:
        from google.oauth2.credentials import Credentials

        client_id, client_secret, refresh_token = (_setting(name) for name in REFRESH)
        credentials = Credentials(None, refresh_token=refresh_token, client_id=client_id,
                                  client_secret=client_secret, scopes=SCOPES,
                                  token_uri=token_uri or "https://oauth2.googleapis.com/token")
    return RefreshingToken(credentials)


class RefreshingToken:
    """google-auth credentials as the client's token provider: a fresh access token per
    request, refreshed (once, under a lock) shortly before it expires. google-auth marks a
    refresh failure that may pass as retryable; the client maps it to a TransientError."""

    def __init__(self, credentials) -> None:
        self.credentials = credentials
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if not self.credentials.valid:
                from google.auth.transport.requests import Request

                self.credentials.refresh(Request())
            return self.credentials.token

    def __repr__(self) -> str:
        return f"RefreshingToken({type(self.credentials).__module__})"
