"""MIME bodies as mail clients read them: text and HTML chosen, attachments reduced to metadata."""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import quopri
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header, make_header
from email.message import Message
from typing import Any

# Bodies past this are cut (and "truncated" set): no ticket needs more, and it bounds memory.
MAX_BODY_CHARS = 1_000_000
_MAX_BODY_BYTES = MAX_BODY_CHARS * 4  # enough for MAX_BODY_CHARS in any charset
# In messages over ELIDE_ABOVE bytes, runs of this many encoded lines are cut out before the
# email package sees them (it holds each line as its own string: ~8x the message in memory);
# only their place in the raw bytes is kept, read again for a text body's first part.
ELIDE_ABOVE = 1024 * 1024
_ENCODED_LINE = re.compile(rb"^[A-Za-z0-9+/=]{40,998}\r?\n", re.MULTILINE)
_RUN_LINES = 1024
_MARK = re.compile(r"EduDeskElided(\d+)")


def decoded(value: Any) -> str:
    """A header value with its RFC 2047 encoded words decoded, unfolded. Raw 8-bit bytes
    (not allowed, but sent) are read as UTF-8, else Latin-1, the way mail clients guess."""
    if isinstance(value, Header):
        value = str(value) if not _has_8bit(value) else _guess(value)
    text = str(value)
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in text):  # bytes the parser could not decode
        text = _guess(text)
    if "=?" in text:
        with contextlib.suppress(Exception):  # a malformed encoded word stays as sent
            text = str(make_header(decode_header(text)))
    return " ".join(text.split())


def _has_8bit(value: Header) -> bool:
    return any(str(charset) == "unknown-8bit" for _, charset in value._chunks)  # noqa: SLF001


def _guess(value: Any) -> str:
    raw = str(value).encode("ascii", "surrogateescape") if not isinstance(value, Header) else \
        b"".join(s.encode("ascii", "surrogateescape") if isinstance(s, str) else s
                 for s, _ in value._chunks)  # noqa: SLF001
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def header(msg: Message, name: str) -> str:
    """A header decoded and unfolded; '' if absent. Messages are parsed with compat32, whose
    headers are plain strings: the standard policy builds a parse tree for every header it
    reads, which was half of a message's parsing time."""
    value = msg.get(name)
    return decoded(value) if value is not None else ""


@dataclass
class Parts:
    """What a walk over a message found; `raw` and `runs` locate the elided blocks."""

    raw: bytes = b""
    runs: list[tuple[int, int]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    def child(self) -> Parts:
        return Parts(self.raw, self.runs)


def elide(raw: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """`raw` with long encoded blocks replaced by a marker line, and where each block was."""
    if len(raw) <= ELIDE_ABOVE:
        return raw, []
    runs, start, end, lines = [], -1, -1, 0
    # Line by line: one regex repeating over a whole block keeps a backtracking mark per line.
    for m in _ENCODED_LINE.finditer(raw):
        if m.start() == end:
            end, lines = m.end(), lines + 1
            continue
        if lines >= _RUN_LINES:
            runs.append((start, end))
        start, end, lines = m.start(), m.end(), 1
    if lines >= _RUN_LINES:
        runs.append((start, end))
    if not runs:
        return raw, []
    pieces, pos = [], 0
    for n, (start, end) in enumerate(runs):
        pieces += [raw[pos:start], b"EduDeskElided%d\n" % n]
        pos = end
    pieces.append(raw[pos:])
    return b"".join(pieces), runs


def collect(part: Message, out: Parts) -> None:
    """Add `part`'s bodies and attachments to `out`."""
    ctype = part.get_content_type()
    if part.get_content_maintype() == "multipart":
        children = part.get_payload()
        if not isinstance(children, list):  # a multipart without parts: a defect
            return
        if ctype == "multipart/alternative":
            _alternative(children, out)
        elif ctype == "multipart/related":
            root = _related_root(part, children)
            for child in children:
                if child is root:
                    collect(child, out)
                else:  # resources the root refers to (cid: images)
                    out.attachments.append(attachment(child, out, inline=True))
        else:  # mixed, signed, report...: every part in order
            for child in children:
                collect(child, out)
        return
    if (ctype in ("text/plain", "text/html") and part.get_content_disposition() != "attachment"
            and not part.get_filename()):
        text, cut = _decode(part, out)
        (out.text if ctype == "text/plain" else out.html).append(text)
        out.truncated |= cut
    else:
        out.attachments.append(attachment(part, out))


def _alternative(children: list[Message], out: Parts) -> None:
    """The richest version of each kind: alternatives are listed plainest first."""
    found = []
    for child in children:
        sub = out.child()
        collect(child, sub)
        found.append(sub)
        out.attachments += sub.attachments
        out.truncated |= sub.truncated
    out.text.append(next((t for f in reversed(found) for t in f.text if t), ""))
    out.html.append(next((h for f in reversed(found) for h in f.html if h), ""))


def _related_root(part: Message, children: list[Message]) -> Message:
    start = part.get_param("start")
    if isinstance(start, str):
        for child in children:
            if header(child, "content-id") == start.strip():
                return child
    return children[0]


def _payload_bytes(part: Message, out: Parts) -> bytes:
    """The decoded body, at most about _MAX_BODY_BYTES of it when blocks were elided."""
    payload = part.get_payload()
    if not out.runs or not isinstance(payload, str) or not _MARK.search(payload):
        return part.get_payload(decode=True) or b""
    encoded = b"".join(_expanded(payload, out))
    cte = header(part, "content-transfer-encoding").lower()
    if cte == "base64":
        encoded = re.sub(rb"[^A-Za-z0-9+/]", b"", encoded)
        try:
            return base64.b64decode(encoded[:len(encoded) // 4 * 4])
        except (binascii.Error, ValueError):
            return b""
    return quopri.decodestring(encoded) if cte == "quoted-printable" else encoded


def _expanded(payload: str, out: Parts) -> list[bytes]:
    """The payload with marker lines put back from the raw bytes, stopping past the cap."""
    pieces, size, limit = [], 0, _MAX_BODY_BYTES * 4 // 3 + 4
    for line in payload.splitlines(keepends=True):
        m = _MARK.fullmatch(line.strip())
        if m and int(m.group(1)) < len(out.runs):
            start, end = out.runs[int(m.group(1))]
            piece = out.raw[start:min(end, start + limit - size)]
        else:
            piece = line.encode("ascii", "surrogateescape")
        pieces.append(piece)
        size += len(piece)
        if size >= limit:
            break
    return pieces


def _decode(part: Message, out: Parts) -> tuple[str, bool]:
    """(text, whether it was cut): the declared charset, else UTF-8, else Windows-1252."""
    data = _payload_bytes(part, out)
    cut = len(data) > _MAX_BODY_BYTES
    data = data[:_MAX_BODY_BYTES]
    declared = part.get_content_charset() or "us-ascii"
    for charset in (declared, "utf-8", "windows-1252"):
        try:
            # Incremental, so a multi-byte character split by the cut is not an error.
            text = codecs.getincrementaldecoder(charset)().decode(data, final=not cut)
        except (LookupError, UnicodeDecodeError):
            continue
        break
    else:
        text = data.decode("utf-8", "replace")
    return text[:MAX_BODY_CHARS], cut or len(text) > MAX_BODY_CHARS


def attachment(part: Message, out: Parts, inline: bool | None = None) -> dict[str, Any]:
    content_id = header(part, "content-id").strip("<> ") or None
    disposition = part.get_content_disposition()
    if inline is None:
        inline = disposition == "inline" or (disposition is None and content_id is not None)
    filename = part.get_filename()
    if not filename and part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        subject = header(inner[0], "subject") if isinstance(inner, list) and inner else ""
        filename = f"{subject or 'message'}.eml"
    return {"filename": filename or None, "content_type": part.get_content_type(),
            "size": _size(part, out), "content_id": content_id,
            "inline": bool(inline) and disposition != "attachment"}


def _size(part: Message, out: Parts) -> int:
    """Decoded size, worked out from the encoded text without decoding the bytes."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return sum(_size(p, out) for p in payload)
    if not isinstance(payload, str):
        return 0
    cte = header(part, "content-transfer-encoding").lower()
    if cte == "quoted-printable":
        return len(_payload_bytes(part, out))
    # Elided blocks count by their place in the raw bytes; the rest of the text as it is.
    chars, last = 0, b""
    for m in _MARK.finditer(payload) if out.runs else ():
        if int(m.group(1)) >= len(out.runs):
            continue
        start, end = out.runs[int(m.group(1))]
        chars += (end - start) - out.raw.count(b"\n", start, end) - out.raw.count(b"\r", start, end)
        last = out.raw[max(start, end - 8):end]
    rest = _MARK.sub("", payload) if out.runs else payload
    if cte != "base64":
        return chars + len(rest.encode("utf-8", "surrogateescape"))
    chars += len(rest) - sum(rest.count(c) for c in " \t\r\n")
    tail = rest.rstrip() or last.decode("ascii").rstrip()
    return max(0, chars * 3 // 4 - (len(tail) - len(tail.rstrip("="))))
