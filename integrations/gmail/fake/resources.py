"""Stored messages and their Gmail JSON in the four formats: minimal, metadata, full and raw."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any

FORMATS = ("minimal", "metadata", "full", "raw")
SNIPPET_CHARS = 200


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[return-value]


def header(msg: Message, name: str) -> str:
    """A header's decoded value ('' if absent); a header too broken to decode stays as sent."""
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # the email package's parser bugs on junk
        value = None
    return " ".join(str(value).split()) if value is not None else ""


def addresses(msg: Message, *names: str) -> list[str]:
    """Lower-case addr-specs of every address in the named headers."""
    found: list[str] = []
    for name in names:
        for value in msg.get_all(name) or []:
            try:
                found += [a.addr_spec.lower() for a in value.addresses]
            except (AttributeError, ValueError, IndexError):
                found.append(str(value).lower())
    return found


def text_of(msg: EmailMessage) -> str:
    """The plain text Gmail would take a snippet from (the HTML's text when there is none)."""
    body = None
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
    except (LookupError, KeyError, ValueError):
        text = ""
    if body is not None and body.get_content_subtype() == "html":
        text = _strip_tags(text)
    return " ".join(text.split())


def _strip_tags(markup: str) -> str:
    out, inside = [], False
    for ch in markup:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return html.unescape("".join(out))


@dataclass
class StoredMessage:
    """One message in the mailbox; `raw` is kept byte for byte, as Gmail returns it."""

    id: str
    thread_id: str
    raw: bytes
    labels: list[str]
    internal_ms: int
    history_id: int
    parsed: EmailMessage = field(repr=False)
    # Gmail snippets are HTML-escaped ("don&#39;t"), which callers must unescape.
    snippet: str = ""
    # Headers never change once stored: each search reads their addresses from here.
    _addresses: dict[tuple[str, ...], tuple[str, ...]] = field(
        default_factory=dict, repr=False, compare=False)

    def addresses(self, *names: str) -> tuple[str, ...]:
        found = self._addresses.get(names)
        if found is None:
            found = self._addresses[names] = tuple(addresses(self.parsed, *names))
        return found

    @classmethod
    def create(cls, id: str, thread_id: str, raw: bytes, labels: list[str],  # noqa: A002
               internal_ms: int, history_id: int) -> StoredMessage:
        parsed = parse(raw)
        snippet = html.escape(text_of(parsed)[:SNIPPET_CHARS]).replace("&#x27;", "&#39;")
        stored = cls(id, thread_id, raw, labels, internal_ms, history_id, parsed, snippet)
        # Indexed on arrival, as Gmail's search is: the addresses searches ask about most.
        stored.addresses("to", "cc", "bcc")
        stored.addresses("from")
        return stored

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "threadId": self.thread_id}

    def minimal(self) -> dict[str, Any]:
        return {**self.ref(), "labelIds": list(self.labels), "snippet": self.snippet,
                "sizeEstimate": len(self.raw), "historyId": str(self.history_id),
                "internalDate": str(self.internal_ms)}

    def render(self, fmt: str, metadata_headers: list[str] | None = None) -> dict[str, Any]:
        """The message resource in `fmt` (one of FORMATS, checked by the caller)."""
        body = self.minimal()
        if fmt == "raw":
            body["raw"] = b64url(self.raw)
        elif fmt == "metadata":
            wanted = {h.lower() for h in metadata_headers or []}
            body["payload"] = {"partId": "", "mimeType": self.parsed.get_content_type(),
                               "filename": "", "headers": [
                                   h for h in _headers(self.parsed)
                                   if not wanted or h["name"].lower() in wanted]}
        elif fmt == "full":
            body["payload"] = self._part(self.parsed, "")
        return body

    def _part(self, part: Message, part_id: str) -> dict[str, Any]:
        filename = part.get_filename() or ""
        out: dict[str, Any] = {"partId": part_id, "mimeType": part.get_content_type(),
                               "filename": filename, "headers": _headers(part)}
        if part.is_multipart():
            out["body"] = {"size": 0}
            children = part.get_payload()
            prefix = f"{part_id}." if part_id else ""
            out["parts"] = [self._part(child, f"{prefix}{i}") for i, child in enumerate(children)]
            return out
        data = part.get_payload(decode=True) or b""
        if filename:
            # Attachments come by reference, fetched with messages.attachments.get.
            out["body"] = {"attachmentId": attachment_id(self.id, part_id), "size": len(data)}
        else:
            out["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
        return out

    def attachment(self, part_id: str) -> bytes | None:
        for pid, part in _leaves(self.parsed, ""):
            if pid == part_id and part.get_filename():
                return part.get_payload(decode=True) or b""
        return None


def _headers(part: Message) -> list[dict[str, str]]:
    return [{"name": name, "value": header(part, name) if name.lower() in _DECODED else
             " ".join(str(value).split())} for name, value in part.raw_items()]


# Headers Gmail hands back decoded from encoded-words; others are returned unfolded as sent.
_DECODED = {"subject", "from", "to", "cc", "bcc", "reply-to", "sender"}


def _leaves(part: Message, part_id: str) -> Iterator[tuple[str, Message]]:
    if not part.is_multipart():
        yield part_id, part
        return
    prefix = f"{part_id}." if part_id else ""
    for i, child in enumerate(part.get_payload()):
        yield from _leaves(child, f"{prefix}{i}")


def attachment_id(message_id: str, part_id: str) -> str:
    # Real ids are long opaque strings; this one only has to lead back to the part.
    return "ANGjdJ" + base64.urlsafe_b64encode(f"{message_id}:{part_id}".encode()).decode().rstrip("=")


def parse_attachment_id(value: str) -> tuple[str, str] | None:
    if not value.startswith("ANGjdJ"):
        return None
    token = value[6:]
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    message_id, sep, part_id = decoded.partition(":")
    return (message_id, part_id) if sep else None
