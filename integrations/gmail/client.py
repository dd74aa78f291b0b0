"""Thin Gmail API v1 client: one call per upstream operation, Google's errors mapped, no retries."""

from __future__ import annotations

import base64
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from email.parser import BytesParser
from typing import Any
from urllib.parse import quote

import requests
from requests.auth import AuthBase

from integrations.errors import (
    PermanentError,
    RateLimited,
    TransientError,
    UpstreamError,
    error_from_response,
)
from integrations.http import ApiClient, RateBudget, Timeout

DEFAULT_URL = "https://gmail.googleapis.com"
BATCH_PATH = "/batch/gmail/v1"
# Google allows 100 calls per batch and advises at most 50 to stay clear of rate limiting.
BATCH_MAX = 100
TokenProvider = Callable[[], str]
# Quota errors Gmail answers with 403 rather than 429; waiting lifts them within minutes.
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_RETRY_AT = re.compile(r"Retry after (\d{4}-\d\d-\d\dT[\d:.]+Z)")


class HistoryExpired(PermanentError):
    """history.list refused the startHistoryId as too old (404): do a full sync instead."""


class _GoogleAuth(AuthBase):
    """Bearer token from a provider called per request (google-auth credentials refresh
    there); also notes Google's error reason, which the kit's error mapping does not read."""

    def __init__(self, provider: TokenProvider, errors: threading.local) -> None:
        self._provider, self._errors = provider, errors

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        try:
            token = self._provider()
        except Exception as exc:  # noqa: BLE001 - any provider failure becomes ours
            # google-auth marks refresh failures that may pass (network, 5xx) as retryable.
            kind = TransientError if getattr(exc, "retryable", False) else PermanentError
            # google-auth's first argument is Google's error and description, never a secret.
            said = exc.args[0] if exc.args and isinstance(exc.args[0], str) else ""
            raise kind(f"Gmail token provider failed: {type(exc).__name__}"
                       + (f": {said[:300]}" if said else "")) from None
        if not token:
            raise PermanentError("Gmail token provider returned no token")
        r.headers["Authorization"] = f"Bearer {token}"
        r.register_hook("response", self._note_error)
        return r

    def _note_error(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._errors.last = None
        if resp.status_code < 400:
            return
        try:
            error = resp.json()["error"]
            reason = error["errors"][0]["reason"]
        except (ValueError, KeyError, IndexError, TypeError):
            return
        self._errors.last = (str(reason), "Retry-After" in resp.headers)

    def __repr__(self) -> str:
        return "GoogleAuth(***)"


class HistoryListing(Iterable[dict[str, Any]]):
    """history.list records in increasing id order; after the last page, `history_id` is the
    mailbox's current id, the one to store for the next call."""

    def __init__(self, pages: Callable[[dict[str, Any]], dict[str, Any]],
                 params: dict[str, Any]) -> None:
        self._pages, self._params = pages, params
        self.history_id: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        params = dict(self._params)
        while True:
            body = self._pages(params)
            self.history_id = body.get("historyId") or self.history_id
            yield from body.get("history") or []
            if not body.get("nextPageToken"):
                return
            params["pageToken"] = body["nextPageToken"]


def decode_raw(message: dict[str, Any]) -> bytes:
    """The RFC 822 bytes of a message fetched with format="raw" (padded or not)."""
    raw = message.get("raw") or ""
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


class GmailClient(ApiClient):
    """Calls /gmail/v1/users/{user_id} on `base_url` (DEFAULT_URL in production); the caller
    owns retries.

    `token` is a string or a callable returning a current access token. Single-object
    methods return Gmail's JSON; list methods are generators over every page.
    """

    def __init__(self, base_url: str, token: str | TokenProvider, *,
                 user_id: str = "me", timeout: Timeout = (3.05, 30),
                 session: requests.Session | None = None,
                 rate_budget: RateBudget | None = None) -> None:
        provider: TokenProvider = token if callable(token) else (lambda: token)
        self._errors = threading.local()
        super().__init__(base_url, auth=_GoogleAuth(provider, self._errors), timeout=timeout,
                         session=session, rate_budget=rate_budget)
        self.user_id = user_id

    def _url(self, path: str) -> str:
        user = quote(self.user_id, safe="@")
        return f"{self.base_url}/gmail/v1/users/{user}/{path.lstrip('/')}"

    def _request(self, method: str, path_or_url: str, **kwargs: Any) -> Any:
        """The kit's request, with Google's error reason as `code` and 403 quota errors as
        RateLimited (Gmail uses both 429 and 403 for them)."""
        self._errors.last = None
        try:
            return super()._request(method, path_or_url, **kwargs)
        except UpstreamError as exc:
            noted, self._errors.last = self._errors.last, None
            if noted is None:
                raise
            exc.code, had_header = noted
            if exc.status == 403 and exc.code in RATE_REASONS:
                limited = RateLimited(exc.message, 403, retry_after=_retry_at(exc.message) or 1.0,
                                      code=exc.code)
                pause = getattr(self.rate_budget, "pause", None)
                if pause is not None:
                    pause(limited.retry_after)
                raise limited from None
            stated = _retry_at(exc.message)
            if isinstance(exc, RateLimited) and not had_header and stated:
                # Gmail often names the time only in the message; the kit paused for its default.
                exc.retry_after = stated
                pause = getattr(self.rate_budget, "pause", None)
                if pause is not None:
                    pause(stated)
            raise

    def _pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        params = {k: v for k, v in params.items() if v not in (None, [], "")}
        while True:
            body = self._request("GET", path, params=params)
            yield from body.get(key) or []
            if not body.get("nextPageToken"):
                return
            params["pageToken"] = body["nextPageToken"]

    # ---- operations ------------------------------------------------------------------------
    def get_profile(self) -> dict[str, Any]:
        """{"emailAddress", "messagesTotal", "threadsTotal", "historyId"}."""
        return self._request("GET", "profile")

    def list_labels(self) -> list[dict[str, Any]]:
        return self._request("GET", "labels").get("labels") or []

    def list_messages(self, q: str | None = None, label_ids: list[str] | None = None, *,
                      include_spam_trash: bool = False, page_size: int = 500
                      ) -> Iterator[dict[str, Any]]:
        """{"id", "threadId"} of every matching message, newest first."""
        return self._pages("messages", "messages", {
            "q": q, "labelIds": label_ids or [], "maxResults": page_size,
            "includeSpamTrash": "true" if include_spam_trash else None})

    def messages_page(self, q: str | None = None, label_ids: list[str] | None = None, *,
                      page_token: str | None = None, page_size: int = 500) -> dict[str, Any]:
        """One page of messages.list: {"messages": [{"id", "threadId"}], "nextPageToken",
        "resultSizeEstimate"}, for callers that keep the page token themselves."""
        params = {k: v for k, v in {"q": q, "labelIds": label_ids or [], "maxResults": page_size,
                                    "pageToken": page_token}.items() if v not in (None, [], "")}
        return self._request("GET", "messages", params=params)

    def get_message(self, message_id: str, format: str = "raw",  # noqa: A002 - Gmail's name
                    metadata_headers: list[str] | None = None) -> dict[str, Any]:
        """The message in `format` (raw, full, metadata, minimal); see decode_raw()."""
        params: dict[str, Any] = {"format": format}
        if metadata_headers:
            params["metadataHeaders"] = metadata_headers
        return self._request("GET", f"messages/{quote(message_id, safe='')}", params=params)

    def get_messages(self, message_ids: Sequence[str], format: str = "raw",  # noqa: A002
                     ) -> dict[str, dict[str, Any] | UpstreamError]:
        """Several messages.get in one batch request (at most BATCH_MAX): each id's message,
        or the error Gmail answered for that call alone. Each call counts against the quota
        (and the rate budget) as if sent alone."""
        if not message_ids:
            return {}
        if len(message_ids) > BATCH_MAX:
            raise ValueError(f"at most {BATCH_MAX} calls per batch request")
        user = quote(self.user_id, safe="@")
        boundary = f"batch_{secrets.token_hex(12)}"
        parts = [f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <{i}>\r\n\r\n"
                 f"GET /gmail/v1/users/{user}/messages/{quote(mid, safe='')}?format={format}"
                 " HTTP/1.1\r\n\r\n" for i, mid in enumerate(message_ids)]
        body = ("\r\n".join(parts) + f"\r\n--{boundary}--\r\n").encode()
        if self.rate_budget is not None:
            for _ in range(len(message_ids) - 1):  # the request itself takes the last one
                self.rate_budget.acquire(BATCH_PATH)
        resp = self._request("POST", f"{self.base_url}{BATCH_PATH}", data=body, expect_json=False,
                             headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
        answers = _batch_answers(resp)
        return {mid: answers.get(str(i), TransientError(f"batch answered nothing for call {i}"))
                for i, mid in enumerate(message_ids)}

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        body = self._request("GET", f"messages/{quote(message_id, safe='')}/attachments/"
                             f"{quote(attachment_id, safe='')}")
        return decode_raw({"raw": body.get("data") or ""})

    def modify_message(self, message_id: str, add_label_ids: list[str] | None = None,
                       remove_label_ids: list[str] | None = None) -> dict[str, Any]:
        return self._request("POST", f"messages/{quote(message_id, safe='')}/modify", json={
            "addLabelIds": add_label_ids or [], "removeLabelIds": remove_label_ids or []})

    def list_threads(self, q: str | None = None, label_ids: list[str] | None = None, *,
                     page_size: int = 500) -> Iterator[dict[str, Any]]:
        return self._pages("threads", "threads", {"q": q, "labelIds": label_ids or [],
                                                  "maxResults": page_size})

    def get_thread(self, thread_id: str, format: str = "full") -> dict[str, Any]:  # noqa: A002
        return self._request("GET", f"threads/{quote(thread_id, safe='')}",
                             params={"format": format})

    def list_history(self, start_history_id: str | int, history_types: list[str] | None = None,
                     label_id: str | None = None, page_size: int = 500) -> HistoryListing:
        """Changes after `start_history_id`; iterating raises HistoryExpired on Gmail's 404."""
        params = _history_params(start_history_id, history_types, label_id, page_size)
        return HistoryListing(self._history, params)

    def history_page(self, start_history_id: str | int, *, page_token: str | None = None,
                     history_types: list[str] | None = None, label_id: str | None = None,
                     page_size: int = 500) -> dict[str, Any]:
        """One page of history.list: {"history", "nextPageToken", "historyId"}; raises
        HistoryExpired on Gmail's 404 for a start id it no longer knows."""
        params = _history_params(start_history_id, history_types, label_id, page_size)
        if page_token:
            params["pageToken"] = page_token
        return self._history(params)

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._request("GET", "history", params=params)
        except PermanentError as exc:
            if exc.status == 404:
                raise HistoryExpired(exc.message, 404, code=exc.code) from None
            raise

    def send_message(self, raw: bytes, thread_id: str | None = None) -> dict[str, Any]:
        """Send RFC 822 bytes as they are; with `thread_id` (and a matching Subject and
        References) Gmail files it in that thread. Returns {"id", "threadId", "labelIds"}."""
        payload: dict[str, Any] = {"raw": base64.urlsafe_b64encode(raw).decode("ascii")}
        if thread_id:
            payload["threadId"] = thread_id
        return self._request("POST", "messages/send", json=payload)


def _batch_answers(resp: requests.Response) -> dict[str, dict[str, Any] | UpstreamError]:
    """The parts of a batch response by the Content-ID they answer ("<response-ID>")."""
    content_type = resp.headers.get("Content-Type", "")
    message = BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + resp.content)
    if not message.is_multipart():
        raise TransientError("batch response is not multipart/mixed", resp.status_code)
    answers: dict[str, dict[str, Any] | UpstreamError] = {}
    for part in message.get_payload():
        content_id = (part.get("content-id") or "").strip().strip("<>")
        call_id = content_id.removeprefix("response-")
        answers[call_id] = _one_answer(part.get_payload(decode=True) or b"")
    return answers


def _one_answer(http: bytes) -> dict[str, Any] | UpstreamError:
    head, _, body = http.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    words = lines[0].split(" ", 2)
    status = int(words[1]) if len(words) > 1 and words[1].isdigit() else 502
    inner = requests.Response()
    inner.status_code, inner._content = status, body
    for line in lines[1:]:
        name, _, value = line.partition(":")
        inner.headers[name.strip()] = value.strip()
    if not 200 <= status < 300:
        error = error_from_response(inner)
        try:
            error.code = str(inner.json()["error"]["errors"][0]["reason"])
        except (ValueError, KeyError, IndexError, TypeError):
            return error
        if status == 403 and error.code in RATE_REASONS:
            return RateLimited(error.message, 403, retry_after=_retry_at(error.message) or 1.0,
                               code=error.code)
        return error
    try:
        found = inner.json()
    except ValueError:
        return TransientError("batch part: non-JSON 2xx body", status)
    return found if isinstance(found, dict) else TransientError("batch part: not an object", status)


def _history_params(start_history_id: str | int, history_types: list[str] | None,
                    label_id: str | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {"startHistoryId": str(start_history_id), "maxResults": page_size}
    if history_types:
        params["historyTypes"] = history_types
    if label_id:
        params["labelId"] = label_id
    return params


def _retry_at(message: str) -> float | None:
    """Seconds until the time in Gmail's "Retry after 2024-01-01T00:00:00.000Z"."""
    m = _RETRY_AT.search(message)
    if not m:
        return None
    try:
        when = datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - datetime.now(when.tzinfo).timestamp())
