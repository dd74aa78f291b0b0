"""Error hierarchy shared by every external adapter, so callers can decide retry vs. give up."""

from __future__ import annotations

import email.utils
import json
import re
import time
from typing import Any

import requests

MAX_MESSAGE_CHARS = 500
DEFAULT_RETRY_AFTER = 1.0


class UpstreamError(Exception):
    """A call to an external service failed; `status` is None when no HTTP response arrived."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        *,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        # Machine-readable error name from the body (Zendesk: "RecordInvalid", "UpdateConflict").
        self.code = code
        self.details = details
        # What a deliverer learned while failing (e.g. the upstream version behind a 409);
        # the outbox keeps it in the row's response for the ticket page.
        self.record: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status else self.message


class TransientError(UpstreamError):
    """5xx, timeouts and connection errors: the same request may succeed later."""

    def __init__(self, message: str, status: int | None = None, *,
                 retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, status, **kwargs)
        # Some 503s carry Retry-After too; None means "use your own backoff".
        self.retry_after = retry_after


class RateLimited(UpstreamError):
    """429: wait `retry_after` seconds before the next request."""

    def __init__(self, message: str, status: int | None = 429, *,
                 retry_after: float = DEFAULT_RETRY_AFTER, **kwargs: Any) -> None:
        super().__init__(message, status, **kwargs)
        self.retry_after = retry_after


class PermanentError(UpstreamError):
    """4xx other than 409/429: retrying the same request will fail the same way."""


class ConflictError(UpstreamError):
    """409: the resource changed underneath us; re-read it before deciding again."""


def parse_retry_after(value: str | None, default: float = DEFAULT_RETRY_AFTER, *,
                      body: str | None = None) -> float:
    """Read Retry-After as seconds or an HTTP date, else a wait stated in a plain-text `body`
    ("retry after 7 seconds"); missing or garbage gives `default`."""
    value = (value or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    seconds = _seconds_in_text(body) if body else None
    return default if seconds is None else seconds


# A bare number, or one said to be a wait ("retry after 7", "7 seconds"); other numbers in a
# body ("429 Too Many Requests") are not waits.
_WAIT_IN_TEXT = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*$"
    r"|retry[- ]after\D{0,3}?(\d+(?:\.\d+)?)"
    r"|(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)\b",
    re.IGNORECASE,
)


def _seconds_in_text(text: str) -> float | None:
    if text.lstrip().startswith(("{", "[", "<")):
        return None  # JSON or HTML: not a plain-text body
    match = _WAIT_IN_TEXT.search(text[:MAX_MESSAGE_CHARS])
    if match is None:
        return None
    return float(next(g for g in match.groups() if g is not None))


def _message_from_body(resp: requests.Response) -> tuple[str, str | None, Any]:
    text = resp.text or ""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"]:
        # {"data": {"message": ...}, "metadata": ...} (Credly): its words, verbatim.
        return data["message"], None, data
    if isinstance(body, dict) and ("error" in body or "description" in body):
        error, description = body.get("error"), body.get("description")
        if isinstance(error, dict):
            # Some Zendesk endpoints nest it: {"error": {"title": ..., "message": ...}}.
            description = description or error.get("message")
            error = error.get("title")
        code = str(error) if error is not None else None
        parts = [str(p) for p in (error, description) if p]
        details = body.get("details")
        if isinstance(details, dict) and details:
            # 422 RecordInvalid says what was wrong only in details: {"field": [{description}]}.
            parts.append("; ".join(
                str(d.get("description", d)) if isinstance(d, dict) else str(d)
                for items in details.values()
                for d in (items if isinstance(items, list) else [items])))
        return ": ".join(parts), code, details
    message = " ".join(text.split())  # collapse HTML/plain-text whitespace onto one line
    return message or resp.reason or f"HTTP {resp.status_code}", None, None


def error_from_response(resp: requests.Response) -> UpstreamError:
    """Map a non-2xx response to the matching UpstreamError subclass."""
    status = resp.status_code
    message, code, details = _message_from_body(resp)
    message = message[:MAX_MESSAGE_CHARS]
    kwargs: dict[str, Any] = {"code": code, "details": details}
    if status == 429:
        retry_after = parse_retry_after(resp.headers.get("Retry-After"), body=resp.text)
        return RateLimited(message, status, retry_after=retry_after, **kwargs)
    if status == 409:
        return ConflictError(message, status, **kwargs)
    # 408 is the server giving up on a slow request, which is as transient as a 504.
    if status >= 500 or status == 408:
        header = resp.headers.get("Retry-After")
        retry_after = parse_retry_after(header) if header else None
        return TransientError(message, status, retry_after=retry_after, **kwargs)
    return PermanentError(message, status, **kwargs)
