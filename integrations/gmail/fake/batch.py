"""Google's batch endpoint (`POST /batch/gmail/v1`): whole HTTP requests in one multipart/mixed
body, whole HTTP responses in one multipart/mixed answer.

Each part is answered as if it had been sent alone (auth, quota, faults), so n calls in a
batch count as n against the quota, as Google says they do. The outer request's headers apply
to every part except the Content- ones; a part's own header wins. Answers carry
`Content-ID: <response-ID>` for a part sent with `Content-ID: <ID>`, which is how Google's
client libraries pair them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from email.parser import BytesParser
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from integrations.fakes import Request, Response
from integrations.gmail.fake import errors

PATH = "/batch/gmail/v1"
MAX_CALLS = 100  # Google's limit per batch request


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _inner(outer: Request, part_body: bytes) -> Request:
    """The HTTP request inside one part: request line, headers, blank line, body."""
    head, _, body = part_body.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    words = lines[0].split(" ")
    if len(words) < 2 or not words[1].startswith("/"):
        raise ValueError("each part must hold a request line with a path, such as "
                         "'GET /gmail/v1/users/me/messages/ID'")
    headers = {k: v for k, v in outer.headers.items() if not k.startswith("content-")}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    target = urlsplit(words[1])
    return Request(words[0].upper(), unquote(target.path), target.query, headers,
                   body.rstrip(b"\n") if body.strip() else b"")


def _part(content_id: str | None, resp: Response) -> bytes:
    head = ["Content-Type: application/http"]
    if content_id:
        head.append(f"Content-ID: <response-{content_id}>")
    inner = [f"HTTP/1.1 {resp.status} {_reason(resp.status)}",
             *(f"{k}: {v}" for k, v in resp.headers)]
    return ("\r\n".join(head) + "\r\n\r\n" + "\r\n".join(inner) + "\r\n\r\n").encode() + resp.body


def answer(request: Request, respond: Callable[[Request], Response]) -> Response:
    """The batch's answer; `respond` answers one inner request as if it came alone."""
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or request.content_type != "multipart/mixed":
        return errors.invalid("A batch request must be a POST with Content-Type multipart/mixed")
    message = BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
    if not message.get_boundary():
        return errors.invalid("Failed to parse batch request: no multipart boundary found")
    parts = message.get_payload() if message.is_multipart() else []
    if not parts:
        return errors.invalid("Batch request contains no requests")
    if len(parts) > MAX_CALLS:
        return errors.invalid(f"Too many requests in batch: {len(parts)}, at most {MAX_CALLS}")
    chunks = []
    for part in parts:
        if part.get_content_type() != "application/http":
            return errors.invalid("Each part of a batch request must be application/http")
        content_id = (part.get("content-id") or "").strip().strip("<>") or None
        try:
            inner = _inner(request, part.get_payload(decode=True) or b"")
        except ValueError as exc:
            return errors.invalid(f"Failed to parse batch request: {exc}")
        chunks.append(_part(content_id, respond(inner)))
    boundary = f"batch_{secrets.token_hex(12)}"
    body = b"".join(f"--{boundary}\r\n".encode() + c + b"\r\n" for c in chunks)
    return Response(200, [("Content-Type", f"multipart/mixed; boundary={boundary}")],
                    body + f"--{boundary}--\r\n".encode())
