"""Thin Slack client for chat.postMessage and incoming webhooks, raising integrations.errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import requests

from ..errors import (
    DEFAULT_RETRY_AFTER,
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    parse_retry_after,
)
from ..http import ApiClient, BearerAuth, RateBudget, Timeout

# chat.postMessage reports these server-side failures as HTTP 200 ok:false; retrying can succeed.
TRANSIENT_SLACK_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class SlackClient(ApiClient):
    """One requests.Session per client; every call has a timeout and raises an UpstreamError."""

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: Timeout = (3.05, 10),
        session: requests.Session | None = None,
        rate_budget: RateBudget | None = None,
    ) -> None:
        # The bot token goes only to Web API methods (_request), never to webhook hosts.
        super().__init__(base_url, auth=BearerAuth(token), timeout=timeout, session=session,
                         rate_budget=rate_budget)
        # Accept both "https://slack.com" and "https://slack.com/api" as the configured URL.
        base = self.base_url
        self.api_url = base if base.endswith("/api") else f"{base}/api"

    def _url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

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
        resp = self._request("POST", "chat.postMessage", json=payload, expect_json=False)
        body = self._decode(resp, "chat.postMessage")
        if body.get("ok"):
            return body
        # Slack answers most failures with HTTP 200 and ok:false; map them like HTTP errors.
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
            # A configured webhook lives on its own host (hooks.slack.com) and is its own
            # credential: no auth, and a label instead of the secret path in errors and logs.
            self._send("POST", urljoin(self.base_url + "/", url), label="incoming webhook",
                       json=payload)
        except UpstreamError as exc:
            # Webhook error bodies are bare codes ("channel_not_found"); expose them as `code`.
            if exc.status and exc.code is None and exc.message.isidentifier():
                exc.code = exc.message
            raise
