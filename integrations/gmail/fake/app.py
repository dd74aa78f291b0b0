"""FakeGmail: Gmail API v1 routes, auth, paging, rate limits and faults over one seeded mailbox."""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs

from integrations.fakes import FakeService, Request, Response
from integrations.fakes import json_response as ok_json
from integrations.fakes.service import RequestRecord
from integrations.gmail.fake import batch, errors, oauth, seed
from integrations.gmail.fake.mailbox import INBOUND_LABELS, Mailbox
from integrations.gmail.fake.params import Query, message_format, one, page_of
from integrations.gmail.fake.resources import StoredMessage, parse_attachment_id
from integrations.gmail.fake.search import HIDDEN, QueryError, compile_query

PREFIX = re.compile(r"/gmail/v1/users/([^/]+)/(.*)")
# historyTypes values -> the record fields they select.
HISTORY_TYPES = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                 "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}


class FakeGmail(FakeService):
    """One member mailbox receiving the group's mail; knobs may change while it runs.

    Besides the kit's knobs: `rate_limit_status` (429, or 403 as Gmail's older quota errors),
    `retry_after_header` (False: the wait is named only in the message) and `send_as`
    (the aliases Gmail lets the mailbox send from, the group by default, applied when seeding;
    any other From is rewritten to the mailbox's own address).
    """

    name = "fake-gmail"

    def __init__(self, *, mailbox: str = seed.MAILBOX, group: str = seed.GROUP,
                 messages: int = 40, seed_value: int = 0, rate_limit_status: int = 429,
                 send_as: tuple[str, ...] | None = None, retry_after_header: bool = True,
                 **knobs: Any) -> None:
        super().__init__(**knobs)
        self.group = group
        self.send_as = (group,) if send_as is None else send_as
        self.rate_limit_status = rate_limit_status
        self.retry_after_header = retry_after_header
        self._listing_cache: tuple[tuple, list[StoredMessage]] | None = None
        # Google's token endpoint, served here too; the API accepts what it issues.
        self.oauth = oauth.TokenEndpoint()
        self.seed(messages, mailbox, seed_value)

    def seed(self, messages: int = 40, mailbox: str | None = None, seed_value: int = 0) -> None:
        """Replace the mailbox with `messages` seeded ones, the newest an hour ago."""
        address = mailbox or self.mailbox.address
        box = Mailbox(address, self.send_as, seed=seed_value)
        newest = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        script = list(seed.scripted(newest, min(messages, len(seed.SCRIPT)), self.group, address))
        extra = max(0, messages - len(script))
        oldest = script[0][0] if script else newest
        for when, mail, msg in [*seed.generated(extra, oldest, seed_value, self.group, address),
                                *script]:
            box.add(msg.as_bytes(), ["SENT"] if mail.sent else list(INBOUND_LABELS),
                    int(when.timestamp() * 1000))
        with self.lock:
            self.mailbox = box

    # ---- test helpers ----------------------------------------------------------------------
    def deliver(self, message: EmailMessage | bytes, labels: list[str] | None = None
                ) -> dict[str, Any]:
        """A new inbound message (history advances); returns its minimal resource."""
        raw = message.as_bytes() if isinstance(message, EmailMessage) else message
        with self.lock:
            return self.mailbox.add(raw, list(labels or INBOUND_LABELS)).minimal()

    def expire_history(self, before: int | str) -> None:
        with self.lock:
            self.mailbox.expire_history(int(before))

    def sent_messages(self) -> list[StoredMessage]:
        """What was sent through messages.send, oldest first (`.parsed` has the headers)."""
        with self.lock:
            return [self.mailbox.messages[i] for i in self.mailbox.sent]

    # ---- HTTP ------------------------------------------------------------------------------
    def too_many(self, retry_after: float) -> Response:
        at = datetime.now(UTC) + timedelta(seconds=retry_after)
        return errors.rate_limited(self.rate_limit_status,
                                   at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                                   retry_after if self.retry_after_header else None)

    def fault(self) -> Response:
        return errors.backend_error(self.rng.choice((500, 502, 503)))

    def internal_error(self, exc: Exception) -> Response:
        return errors.backend_error(500)

    def respond(self, request: Request) -> Response:
        if request.path == batch.PATH:
            return batch.answer(request, self._respond_logged)
        if request.path == oauth.PATH:
            return self.oauth.answer(request)
        return self._respond_one(request)

    def _respond_logged(self, request: Request) -> Response:
        """One call of a batch, logged as its own request (Google splits batches likewise)."""
        resp = self._respond_one(request)
        self.request_log.append(RequestRecord(time.monotonic(), request.method,
                                              self.log_path(request), resp.status))
        return resp

    def _respond_one(self, request: Request) -> Response:
        try:
            return self._route(request)
        except Exception as exc:  # noqa: BLE001 - inside a batch, one part's bug is one 500
            return self.internal_error(exc)

    def _route(self, request: Request) -> Response:
        m = PREFIX.fullmatch(request.path)
        if not m:
            return errors.no_such_path(request.path)
        token = request.bearer_token()
        if not (self.credential_ok(token) or self.oauth.valid(token)):
            return errors.unauthenticated(missing=token is None)
        user_id, rest = m.groups()
        if user_id != "me" and user_id.lower() != self.mailbox.address:
            return errors.delegation_denied(user_id)
        refused = self.throttle()
        if refused is not None:
            return refused
        for verb, pattern, handler in ROUTES:  # noqa: B007 - handler is used after break
            route = pattern.fullmatch(rest)
            if route and verb == request.method:
                break
        else:
            return errors.no_such_path(request.path)
        if self.fault_due():
            return self.fault()  # before any change is applied
        query = parse_qs(request.query_string)
        try:
            return handler(self, request, query, *route.groups())
        except QueryError as exc:
            return errors.invalid(str(exc))
        except ValueError as exc:
            return errors.invalid(str(exc))

    # ---- handlers ----------------------------------------------------------------------------
    def _profile(self, request: Request, query: Query) -> Response:
        box = self.mailbox
        return ok_json(200, {"emailAddress": box.address, "messagesTotal": len(box.messages),
                             "threadsTotal": len(box.threads), "historyId": str(box.history_id)})

    def _labels(self, request: Request, query: Query) -> Response:
        return ok_json(200, {"labels": list(self.mailbox.labels.values())})

    def _matching(self, query: Query) -> list[StoredMessage]:
        """Messages matching q and labelIds, newest first, as messages.list orders them."""
        box = self.mailbox
        q, label_ids = one(query, "q") or "", query.get("labelIds", [])
        spam_trash = one(query, "includeSpamTrash") == "true"
        # Paging through a large listing would otherwise search the whole mailbox once per
        # page; a search stays valid until the mailbox changes (relative dates: 30 s).
        key = (id(box), box.history_id, len(box.messages), q, tuple(label_ids), spam_trash,
               int(time.time() // 30))
        if self._listing_cache and self._listing_cache[0] == key:
            return self._listing_cache[1]
        pred, anywhere = compile_query(q, time.time(), box.label_index())
        anywhere |= spam_trash
        found = [m for m in box.messages.values()
                 if all(lab in m.labels for lab in label_ids) and pred(m)
                 and (anywhere or not any(h in m.labels for h in HIDDEN))]
        found.sort(key=lambda m: (m.internal_ms, m.id), reverse=True)
        self._listing_cache = (key, found)
        return found

    def _list_messages(self, request: Request, query: Query) -> Response:
        found = self._matching(query)
        page, token = page_of(query, found, lambda m: int(m.id, 16))
        body: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:
            body["messages"] = [m.ref() for m in page]
        if token:
            body["nextPageToken"] = token
        return ok_json(200, body)

    def _get_message(self, request: Request, query: Query, message_id: str) -> Response:
        msg = self.mailbox.messages.get(message_id)
        if msg is None:
            return errors.not_found()
        return ok_json(200, msg.render(message_format(query), query.get("metadataHeaders")))

    def _attachment(self, request: Request, query: Query, message_id: str,
                    attachment_id: str) -> Response:
        ref = parse_attachment_id(attachment_id)
        msg = self.mailbox.messages.get(message_id)
        data = msg.attachment(ref[1]) if msg and ref and ref[0] == message_id else None
        if data is None:
            return errors.not_found()
        return ok_json(200, {"size": len(data),
                             "data": base64.urlsafe_b64encode(data).decode("ascii")})

    def _modify(self, request: Request, query: Query, message_id: str) -> Response:
        msg = self.mailbox.messages.get(message_id)
        if msg is None:
            return errors.not_found()
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            return errors.invalid("Invalid JSON payload received.")
        add, remove = body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        unknown = [lab for lab in [*add, *remove] if lab not in self.mailbox.labels]
        if unknown:
            return errors.invalid(f"Invalid label: {unknown[0]}")
        self.mailbox.modify(msg, add, remove)
        return ok_json(200, {**msg.ref(), "labelIds": msg.labels})

    def _send(self, request: Request, query: Query) -> Response:
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            return errors.invalid("Invalid JSON payload received.")
        raw, thread_id = body.get("raw"), body.get("threadId")
        if not isinstance(raw, str) or not raw:
            return errors.invalid("'raw' RFC822 payload message string or uploading message "
                                  "via /upload/* URL required")
        try:
            data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            return errors.invalid("Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding "
                                  "failed")
        try:
            msg = self.mailbox.send(data, thread_id or None)
        except LookupError:
            return errors.not_found()
        return ok_json(200, {**msg.ref(), "labelIds": msg.labels})

    def _list_threads(self, request: Request, query: Query) -> Response:
        box, seen, threads = self.mailbox, set(), []
        for m in self._matching(query):  # newest first: a thread sorts by its latest match
            if m.thread_id not in seen:
                seen.add(m.thread_id)
                threads.append(box.messages[box.threads[m.thread_id][-1]])
        page, token = page_of(query, threads, lambda m: int(m.id, 16))
        body: dict[str, Any] = {"resultSizeEstimate": len(threads)}
        if page:
            body["threads"] = [{"id": m.thread_id, "snippet": m.snippet,
                                "historyId": str(m.history_id)} for m in page]
        if token:
            body["nextPageToken"] = token
        return ok_json(200, body)

    def _get_thread(self, request: Request, query: Query, thread_id: str) -> Response:
        ids = self.mailbox.threads.get(thread_id)
        if not ids:
            return errors.not_found()
        fmt = message_format(query)
        if fmt == "raw":
            return errors.invalid("Invalid format: raw is not supported for threads")
        messages = [self.mailbox.messages[i] for i in ids]
        return ok_json(200, {"id": thread_id, "historyId": str(max(m.history_id for m in messages)),
                             "messages": [m.render(fmt, query.get("metadataHeaders"))
                                          for m in messages]})

    def _history(self, request: Request, query: Query) -> Response:
        box = self.mailbox
        start = one(query, "startHistoryId") or ""
        if not start.isdigit():
            return errors.invalid("Missing/invalid parameter: startHistoryId")
        if int(start) < box.history_floor:
            return errors.not_found()  # expired: the client must do a full sync
        asked = query.get("historyTypes", [])
        wrong = [t for t in asked if t not in HISTORY_TYPES]
        if wrong:
            return errors.invalid(f"Invalid value for historyTypes: {wrong[0]}")
        types = {HISTORY_TYPES[t] for t in asked}
        label = one(query, "labelId")
        records = []
        for record in box.history:
            if int(record["id"]) <= int(start):
                continue
            kinds = [k for k in record if k not in ("id", "messages")]
            if types and not types.intersection(kinds):
                continue
            if label and not any(label in box.messages[r["id"]].labels for r in record["messages"]
                                 if r["id"] in box.messages):
                continue
            records.append(record)
        page, token = page_of(query, records, lambda r: int(r["id"]))
        body: dict[str, Any] = {"historyId": str(box.history_id)}
        if page:
            body["history"] = page
        if token:
            body["nextPageToken"] = token
        return ok_json(200, body)


ROUTES: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
    (verb, re.compile(rx), handler) for verb, rx, handler in (
        ("GET", r"profile", FakeGmail._profile),
        ("GET", r"labels", FakeGmail._labels),
        ("GET", r"messages", FakeGmail._list_messages),
        ("POST", r"messages/send", FakeGmail._send),
        ("GET", r"messages/([^/]+)", FakeGmail._get_message),
        ("POST", r"messages/([^/]+)/modify", FakeGmail._modify),
        ("GET", r"messages/([^/]+)/attachments/([^/]+)", FakeGmail._attachment),
        ("GET", r"threads", FakeGmail._list_threads),
        ("GET", r"threads/([^/]+)", FakeGmail._get_thread),
        ("GET", r"history", FakeGmail._history),
    )]
