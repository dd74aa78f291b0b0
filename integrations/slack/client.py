"""Thin Slack client for chat.postMessage and incoming webhooks, raising integrations.errors."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from ..errors import (
    DEFAULT_RETRY_AFTER,
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    error_from_response,
    parse_retry_after,
)

# chat.postMessage reports these server-side failures as HTTP 200 ok:false; retrying can succeed.
TRANSIENT_SLACK_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class RateBudget(Protocol):
    def acquire(self) -> Any: ...


class SlackClient:
    """One requests.Session per client; every call has a timeout and raises an UpstreamError."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float | tuple[float, float] = (3.05, 10),
        session: requests.Session | None = None,
        rate_budget: RateBudget | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        # Accept both "https://slack.com" and "https://slack.com/api" as the configured URL.
        self.api_url = base if base.endswith("/api") else f"{base}/api"
        self.base_url = base
        self._token = token
        self.timeout = timeout
        self._owns_session = session is None
        self.session = session or requests.Session()
        self.rate_budget = rate_budget

    def __repr__(self) -> str:
        return f"SlackClient({self.base_url!r}, token=***)"  # keep the token out of logs/tracebacks

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> SlackClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, url: str, what: str, **kwargs: Any) -> requests.Response:
        if self.rate_budget is not None:
            self.rate_budget.acquire()
        try:
            # No redirects: requests would replay a POST as GET and silently drop the message.
            resp = self.session.post(url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except _NETWORK_ERRORS as exc:
            # from None: the exception text holds the URL, and webhook URLs embed their secret.
            raise TransientError(f"{what}: {type(exc).__name__}") from None
        if not 200 <= resp.status_code < 300:
            raise error_from_response(resp)
        return resp

    def chat_post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """Post to a channel (name or ID); returns Slack's body, including `channel` and `ts`."""
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        if thread_ts is not None:
            payload["thread_ts"] = thread_ts
        # Per-request header, not on the session, so the token never goes to webhook hosts.
        headers = {"Authorization": f"Bearer {self._token}"}
        resp = self._post(f"{self.api_url}/chat.postMessage", "chat.postMessage",
                          json=payload, headers=headers)
        try:
            body = resp.json()
        except ValueError:
            # A 2xx that isn't JSON comes from a proxy or maintenance page, not from Slack.
            raise TransientError("chat.postMessage: non-JSON response", resp.status_code) from None
        if not isinstance(body, dict):
            raise TransientError("chat.postMessage: unexpected response", resp.status_code)
        if body.get("ok"):
            return body
        code = str(body.get("error") or "unknown_error")
        details = body.get("response_metadata")
        if code == "ratelimited":
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), DEFAULT_RETRY_AFTER)
            raise RateLimited(code, resp.status_code, retry_after=retry_after, code=code,
                              details=details)
        if code in TRANSIENT_SLACK_ERRORS:
            raise TransientError(code, resp.status_code, code=code, details=details)
        raise PermanentError(code, resp.status_code, code=code, details=details)

    def post_incoming_webhook(
        self, url: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Post via an incoming webhook URL (absolute, or a path relative to base_url)."""
        payload: dict[str, Any] = {"text": text}
        if blocks is not None:
            payload["blocks"] = blocks
        try:
            self._post(urljoin(self.base_url + "/", url), "incoming webhook", json=payload)
        except UpstreamError as exc:
            # Webhook error bodies are bare codes ("channel_not_found"); expose them as `code`.
            if exc.status and exc.code is None and exc.message.isidentifier():
                exc.code = exc.message
            raise
