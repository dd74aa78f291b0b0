"""Raw RFC 822 mail to plain values and back: parse what the group receives, build its replies."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import (
    format_datetime,
    formataddr,
    getaddresses,
    make_msgid,
    parsedate_to_datetime,
)
from typing import Any

from integrations.gmail import mime
from integrations.gmail.mime import header

Address = dict[str, str]  # {"name": ..., "address": ...}
# Over Gmail's 36.7 MB message cap, so nothing real is bigger: read only the headers.
MAX_RAW_BYTES = 40 * 1024 * 1024
MAX_QUOTED_CHARS = 20_000
_MSG_ID = re.compile(r"<[^<>\s]+>")
_VIA = re.compile(r"^'?(.*?)'? via .*$")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)


def parse_message(raw: bytes) -> dict[str, Any]:
    """The values of one message; HTML is returned as sent (the caller sanitises it) and of
    attachments only their metadata is kept."""
    oversized = len(raw) > MAX_RAW_BYTES
    if oversized:
        end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0),
                  default=len(raw))
        raw = raw[:min(end, 1024 * 1024)] + b"\n\n"
    reduced, runs = mime.elide(raw)
    msg = BytesParser(policy=compat32).parsebytes(reduced)
    parts = mime.Parts(raw, runs, truncated=oversized)
    if not oversized:
        mime.collect(msg, parts)
    sender = _addresses(msg, "from")
    return {
        "message_id": _first_id(header(msg, "message-id")),
        "in_reply_to": _first_id(header(msg, "in-reply-to")),
        "references": _MSG_ID.findall(header(msg, "references")),
        "from": sender[0] if sender else None,
        "to": _addresses(msg, "to"), "cc": _addresses(msg, "cc"),
        "reply_to": _addresses(msg, "reply-to"),
        "original_sender": header(msg, "x-original-sender") or None,
        "subject": header(msg, "subject"),
        "date": _date(msg),
        "text": "\n".join(t for t in parts.text if t),
        "html": "\n".join(h for h in parts.html if h),
        "attachments": parts.attachments,
        "truncated": parts.truncated,
        "auto_submitted": _is_automatic(msg),
        "list_id": header(msg, "list-id") or None,
    }


# ---- headers -------------------------------------------------------------------------------
def _addresses(msg: Message, name: str) -> list[Address]:
    values = msg.get_all(name) or []
    # Split first, decode after: a decoded display name may hold a comma.
    pairs = getaddresses([_raw(v) for v in values])
    return [{"name": mime.decoded(n) if n else "", "address": a}
            for n, a in pairs if a and "@" in a]


def _raw(value: Any) -> str:
    return " ".join(mime.decoded(value).split()) if not isinstance(value, str) else value


def _first_id(value: str) -> str | None:
    found = _MSG_ID.findall(value)
    return found[0] if found else (value or None)


def _date(msg: Message) -> datetime | None:
    value = header(msg, "date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # "-0000": UTC, origin unknown


def _is_automatic(msg: Message) -> bool:
    """Auto-replies and bulk mail (RFC 3834): a reply to them would start a mail loop."""
    auto = header(msg, "auto-submitted").lower()
    precedence = header(msg, "precedence").lower()
    return (bool(auto) and auto != "no") or precedence in ("bulk", "junk", "auto_reply") or any(
        header(msg, h) for h in ("x-autoreply", "x-autorespond"))


# ---- replies -------------------------------------------------------------------------------
def requester(message: Mapping[str, Any], group_address: str) -> Address | None:
    """Who wrote: From, unless Google Groups rewrote it to the group (then Reply-To or
    X-Original-Sender, the person's own address)."""
    group = group_address.lower()
    sender = message.get("from")
    if sender and sender["address"].lower() != group:
        return sender
    for candidate in message.get("reply_to") or []:
        if candidate["address"].lower() != group:
            return candidate
    original = message.get("original_sender")
    if original and original.lower() != group:
        m = _VIA.match(sender["name"]) if sender else None
        return {"name": m.group(1) if m else "", "address": original}
    return None


def reply_subject(subject: str) -> str:
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".rstrip()


def build_reply(original: Mapping[str, Any], *, text: str, group_address: str,
                group_name: str = "", html_body: str | None = None,
                to: Sequence[Address] | None = None, cc: Sequence[Address] | None = None,
                quoted_html: str | None = None, date: datetime | None = None,
                headers: Mapping[str, str] | None = None) -> EmailMessage:
    """A reply from the group to `original` (parse_message's dict), quoting it.

    Addressed to the requester, Cc everyone else the original went to but the group, unless
    `to`/`cc` say otherwise. `quoted_html` must already be sanitised: without it the HTML
    part quotes the original's text, escaped.
    """
    group = group_address.lower()
    if to is None:
        person = requester(original, group_address)
        to = [person] if person else []
    if not to:
        raise ValueError("nobody to reply to: the original has no sender outside the group")
    if cc is None:
        skip = {group} | {a["address"].lower() for a in to}
        cc = [a for a in [*(original.get("to") or []), *(original.get("cc") or [])]
              if a["address"].lower() not in skip]
    msg = EmailMessage()
    msg["From"] = formataddr((group_name, group_address))
    msg["To"] = ", ".join(formataddr((a["name"], a["address"])) for a in to)
    if cc:
        msg["Cc"] = ", ".join(formataddr((a["name"], a["address"])) for a in cc)
    msg["Subject"] = reply_subject(original.get("subject") or "")
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=group_address.rpartition("@")[2] or None)
    parent = original.get("message_id")
    if parent:
        msg["In-Reply-To"] = parent
        # RFC 5322: the parent's References plus the parent; keep the first and the last few
        # so a long thread's header stays short.
        refs = [*(original.get("references") or []), parent]
        msg["References"] = " ".join(refs if len(refs) <= 10 else [refs[0], *refs[-9:]])
    for key, value in (headers or {}).items():
        msg[key] = value
    attribution = _attribution(original)
    quoted = (original.get("text") or "")[:MAX_QUOTED_CHARS]
    plain = text.rstrip() + f"\n\n{attribution}\n" + "".join(
        f"> {line}\n" if line else ">\n" for line in quoted.splitlines())
    msg.set_content(plain, cte="quoted-printable")
    body_html = html_body if html_body is not None else _text_to_html(text)
    quote_html = quoted_html if quoted_html is not None else _text_to_html(quoted)
    msg.add_alternative(
        f"<div>{body_html}</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">"
        f"{html.escape(attribution)}</div><blockquote class=\"gmail_quote\" style=\"margin:0 0 0 "
        f".8ex;border-left:1px #ccc solid;padding-left:1ex\">{quote_html}</blockquote></div>",
        subtype="html", cte="quoted-printable")
    return msg


def _attribution(original: Mapping[str, Any]) -> str:
    sender = original.get("from") or {}
    who = formataddr((sender.get("name", ""), sender.get("address", ""))) or "someone"
    when = original.get("date")
    return f"On {when:%a, %d %b %Y at %H:%M %Z}, {who} wrote:" if when else f"{who} wrote:"


def _text_to_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>\n")


# ---- the inbox's view of a message -----------------------------------------------------------
def is_group_mail(parsed: Mapping[str, Any], group_address: str) -> bool:
    """Mail to, from or through the group; the member's own mail shares the mailbox."""
    group = group_address.lower()
    sender = parsed.get("from") or {}
    if sender.get("address", "").lower() == group:
        return True
    if any(a["address"].lower() == group
           for a in [*(parsed.get("to") or []), *(parsed.get("cc") or [])]):
        return True
    return group.replace("@", ".") in (parsed.get("list_id") or "").lower()


def search_query(group_address: str) -> str:
    """The messages.list query for the group's mail (Gmail reads OR before the implicit AND)."""
    return f"to:{group_address} OR from:{group_address} OR list:{group_address}"


def incoming_values(resource: Mapping[str, Any], parsed: Mapping[str, Any],
                    group_address: str) -> dict[str, Any] | None:
    """The inbox's values for one message (a messages.get resource and its parsed raw
    bytes), or None when it is not the group's mail.

    Outbound is what this mailbox sent, or what came from the group with no person behind
    it; inbound mail is attributed to the person even when Google Groups rewrote its From.
    """
    if not is_group_mail(parsed, group_address):
        return None
    labels = resource.get("labelIds") or []
    person = requester(parsed, group_address)
    outbound = "SENT" in labels or person is None
    sender = (parsed.get("from") if outbound else person) or {"name": "", "address": ""}
    internal = str(resource.get("internalDate") or "")
    sent_at = (datetime.fromtimestamp(int(internal) / 1000, UTC) if internal.isdigit()
               else parsed.get("date") or datetime.now(UTC))
    return {
        "gmail_id": str(resource["id"]), "gmail_thread_id": str(resource["threadId"]),
        "direction": "out" if outbound else "in", "sender": dict(sender), "sent_at": sent_at,
        "subject": parsed.get("subject") or "", "rfc_message_id": parsed.get("message_id") or "",
        "to": list(parsed.get("to") or []), "cc": list(parsed.get("cc") or []),
        "text": parsed.get("text") or "", "html": parsed.get("html") or "",
        "attachments": list(parsed.get("attachments") or []),
        "headers": {"in_reply_to": parsed.get("in_reply_to"),
                    "references": list(parsed.get("references") or []),
                    "from": parsed.get("from"), "reply_to": list(parsed.get("reply_to") or []),
                    "list_id": parsed.get("list_id"), "labels": list(labels)},
        "is_truncated": bool(parsed.get("truncated")),
        "is_automatic": bool(parsed.get("auto_submitted")),
    }
