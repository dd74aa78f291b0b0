"""Google's JSON error bodies as Gmail sends them: {"error": {code, message, errors, status}}."""

from __future__ import annotations

import html
from typing import Any

from integrations.fakes import Response, json_response, text_response

# Google's canonical status names for the HTTP codes the fake answers with.
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
NOT_FOUND = "Requested entity was not found."
# Google's text for a missing or refused credential, word for word.
_AUTH_HINT = ("Expected OAuth 2 access token, login cookie or other valid authentication "
              "credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")


def gmail_error(code: int, message: str, reason: str, *, domain: str = "global",
                detail: str | None = None, headers: list[tuple[str, str]] | None = None,
                **extra: Any) -> Response:
    """One error in Google's v1 format; `detail` is the errors[] message when it differs."""
    item = {"message": detail or message, "domain": domain, "reason": reason, **extra}
    body = {"error": {"code": code, "message": message, "errors": [item],
                      "status": STATUS.get(code, "UNKNOWN")}}
    return json_response(code, body, headers=headers)


def not_found() -> Response:
    return gmail_error(404, NOT_FOUND, "notFound")


def invalid(message: str) -> Response:
    return gmail_error(400, message, "invalidArgument")


def unauthenticated(missing: bool) -> Response:
    """401 for no credential ("required") or a refused one ("authError"), as Google words them."""
    if missing:
        message = f"Request is missing required authentication credential. {_AUTH_HINT}"
        detail, reason = "Login Required.", "required"
    else:
        message = f"Request had invalid authentication credentials. {_AUTH_HINT}"
        detail, reason = "Invalid Credentials", "authError"
    return gmail_error(401, message, reason, detail=detail, location="Authorization",
                       locationType="header",
                       headers=[("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')])


def delegation_denied(user_id: str) -> Response:
    return gmail_error(403, f"Delegation denied for {user_id}", "forbidden")


def rate_limited(status: int, retry_at: str, retry_after: float | None) -> Response:
    """Gmail's per-user limit: 429 (or the 403 older endpoints give) naming when to retry in
    the message, with a Retry-After header unless `retry_after` is None."""
    message = f"User-rate limit exceeded.  Retry after {retry_at}"
    reason = "rateLimitExceeded" if status == 429 else "userRateLimitExceeded"
    headers = [("Retry-After", f"{retry_after:g}")] if retry_after is not None else []
    return gmail_error(status, message, reason, domain="usageLimits", headers=headers)


def backend_error(status: int) -> Response:
    """The 5xx Google's front ends answer with: JSON from the API, HTML from the GFE (502)."""
    if status == 502:
        return text_response(502, "<!DOCTYPE html><html><title>Error 502 (Server Error)!!1</title>"
                             "<p><b>502.</b> That's an error.</p></html>", "text/html; charset=UTF-8")
    message = ("Internal error encountered." if status == 500
               else "The service is currently unavailable.")
    return gmail_error(status, message, "backendError")


def no_such_path(path: str) -> Response:
    """Google's front end answers an unknown path with an HTML 404 page, not a JSON error."""
    return text_response(404, "<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title>"
                         f"<p>The requested URL <code>{html.escape(path)}</code> was not found "
                         "on this server.</p></html>", "text/html; charset=UTF-8")
