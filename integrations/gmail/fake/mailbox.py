"""One Gmail mailbox in memory: messages, threads, labels, and the history of every change."""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from typing import Any

from integrations.gmail.fake.resources import StoredMessage, addresses, header, parse

SYSTEM_LABELS = ("INBOX", "SENT", "UNREAD", "STARRED", "IMPORTANT", "TRASH", "SPAM", "DRAFT",
                 "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS",
                 "CATEGORY_UPDATES", "CATEGORY_FORUMS")
# The filter the handbook suggests: group mail gets its own label. Google Groups mail is
# sorted into the Forums category.
GROUP_LABEL = {"id": "Label_1", "name": "LevelUp"}
INBOUND_LABELS = ("INBOX", "UNREAD", "CATEGORY_FORUMS", GROUP_LABEL["id"])
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def thread_subject(subject: str) -> str:
    """The subject Gmail compares when it threads: without Re:/Fwd: prefixes and case."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).lower()


class Mailbox:
    """Not thread-safe: FakeGmail holds its lock around every call."""

    def __init__(self, address: str, send_as: tuple[str, ...], seed: int = 0,
                 first_history_id: int = 1000) -> None:
        self.address = address.lower()
        self.send_as = {a.lower() for a in (address, *send_as)}
        self.rng = random.Random(seed)
        self.messages: dict[str, StoredMessage] = {}
        self.threads: dict[str, list[str]] = {}
        self.history: list[dict[str, Any]] = []  # records in increasing id order
        self.history_id = first_history_id
        self.history_floor = first_history_id  # start ids below this are expired: 404
        self.sent: list[str] = []
        self._by_rfc_id: dict[str, str] = {}  # Message-ID header -> Gmail thread id
        self._seq = 0
        self.labels: dict[str, dict[str, Any]] = {
            name: {"id": name, "name": name, "type": "system"} for name in SYSTEM_LABELS}
        self.labels[GROUP_LABEL["id"]] = {**GROUP_LABEL, "type": "user",
                                          "messageListVisibility": "show",
                                          "labelListVisibility": "labelShow"}

    def label_index(self) -> dict[str, str]:
        """Lower-case names and ids -> label id, for `label:` in searches."""
        index = {lab["name"].lower(): lab["id"] for lab in self.labels.values()}
        index.update({lab_id.lower(): lab_id for lab_id in self.labels})
        return index

    # ---- history ---------------------------------------------------------------------------
    def _next_history_id(self) -> int:
        # Gmail's ids grow "with random gaps in between valid IDs"; clients must not assume +1.
        self.history_id += self.rng.randint(1, 7)
        return self.history_id

    def _record(self, kind: str, msg: StoredMessage, label_ids: list[str] | None = None) -> None:
        msg.history_id = self._next_history_id()
        entry: dict[str, Any] = {"message": {**msg.ref(), "labelIds": list(msg.labels)}}
        if label_ids is not None:
            entry["labelIds"] = label_ids
        self.history.append({"id": str(msg.history_id), "messages": [msg.ref()], kind: [entry]})

    def expire_history(self, before: int) -> None:
        """Forget records older than `before`: a startHistoryId below it now gets a 404."""
        self.history_floor = max(self.history_floor, before)
        self.history = [r for r in self.history if int(r["id"]) >= before]

    # ---- messages --------------------------------------------------------------------------
    def add(self, raw: bytes, labels: list[str], internal_ms: int | None = None,
            thread_id: str | None = None, by_headers: bool = True) -> StoredMessage:
        """Store a message (a messageAdded record), threading it as Gmail would: mail that
        arrives by its headers, mail sent through the API only into the `thread_id` given."""
        internal_ms = int(time.time() * 1000) if internal_ms is None else internal_ms
        self._seq += 1
        # 16 hex digits that grow with time, like Gmail's own ids.
        msg_id = f"{internal_ms:011x}{self._seq % 0x100000:05x}"
        msg = StoredMessage.create(msg_id, "", raw, list(labels), internal_ms, 0)
        msg.thread_id = thread_id or (self._thread_for(msg) if by_headers else None) or msg_id
        self.messages[msg_id] = msg
        self.threads.setdefault(msg.thread_id, []).append(msg_id)
        rfc_id = header(msg.parsed, "message-id")
        if rfc_id:
            self._by_rfc_id.setdefault(rfc_id, msg.thread_id)
        self._record("messagesAdded", msg)
        return msg

    def _thread_for(self, msg: StoredMessage) -> str | None:
        """The thread an inbound message joins: one of its References, with the same subject."""
        refs = header(msg.parsed, "references").split() + header(msg.parsed, "in-reply-to").split()
        subject = thread_subject(header(msg.parsed, "subject"))
        for ref in reversed(refs):
            tid = self._by_rfc_id.get(ref)
            if tid and thread_subject(self.thread_subject_of(tid)) == subject:
                return tid
        return None

    def thread_subject_of(self, thread_id: str) -> str:
        first = self.messages[self.threads[thread_id][0]]
        return header(first.parsed, "subject")

    def modify(self, msg: StoredMessage, add: list[str], remove: list[str]) -> None:
        """Change labels; one labelsAdded and/or labelsRemoved record, as Gmail writes them."""
        added = [lab for lab in add if lab not in msg.labels]
        removed = [lab for lab in remove if lab in msg.labels and lab not in added]
        msg.labels = [lab for lab in msg.labels if lab not in removed] + added
        if added:
            self._record("labelsAdded", msg, added)
        if removed:
            self._record("labelsRemoved", msg, removed)

    def send(self, raw: bytes, thread_id: str | None) -> StoredMessage:
        """messages.send: Gmail's header fix-ups, then SENT in the given thread if it matches.

        Raises LookupError for an unknown thread and ValueError for a message Gmail refuses.
        """
        parsed = parse(raw)
        if not addresses(parsed, "to", "cc", "bcc"):
            raise ValueError("Recipient address required")
        if thread_id is not None and thread_id not in self.threads:
            raise LookupError(thread_id)
        raw = self._fix_headers(raw, parsed)
        # Gmail files the message in the thread only if the subjects match; else a new one.
        if thread_id and thread_subject(header(parse(raw), "subject")) != thread_subject(
                self.thread_subject_of(thread_id)):
            thread_id = None
        # messages.send threads only with a threadId (Gmail's guide to threads), whatever
        # the References say.
        msg = self.add(raw, ["SENT"], thread_id=thread_id or None, by_headers=False)
        self.sent.append(msg.id)
        return msg

    def _fix_headers(self, raw: bytes, parsed: Any) -> bytes:
        """What Gmail changes in what it sends: a From it may not use becomes the mailbox's
        address; a missing Message-ID or Date is added."""
        senders = getaddresses([str(v) for v in parsed.get_all("from") or []])
        if not senders or senders[0][1].lower() not in self.send_as:
            name = senders[0][0] if senders else ""
            del parsed["From"]
            parsed["From"] = formataddr((name, self.address))
            raw = parsed.as_bytes()
        added = b""
        if not parsed.get("message-id"):
            added += f"Message-ID: {make_msgid(domain='mail.gmail.com')}\r\n".encode()
        if not parsed.get("date"):
            added += f"Date: {format_datetime(datetime.now(UTC))}\r\n".encode()
        return added + raw
