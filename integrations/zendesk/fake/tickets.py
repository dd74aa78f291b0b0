"""Ticket, comment and incremental-export endpoints of the fake Zendesk, mixed into FakeZendesk."""

from __future__ import annotations

import bisect
import html
import json
import re
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from integrations.fakes import Response, decode_cursor, encode_cursor, int_param, json_response
from integrations.zendesk.fake import data
from integrations.zendesk.fake.envelope import error, invalid, not_found, paginate
from integrations.zendesk.fake.validate import FIELDS, detail, tag_list, validate

MAX_KEY = 2**63  # sorts after any real seq/id in an index key


def _parse_stamp(stamp: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


class TicketOps:
    tickets: dict[int, data.TicketRecord]
    users: dict[int, dict[str, Any]]
    groups: dict[int, dict[str, Any]]
    ticket_forms: dict[int, dict[str, Any]]
    macros: dict[int, dict[str, Any]]
    index: list[tuple[int, int, int]]
    lock: threading.RLock
    base_url: str | None
    duplicate_overlap: int
    exclude_recent: bool
    _seq: int
    _audit_id: int

    # ---- helpers for tests -----------------------------------------------------------------
    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        with self.lock:
            return self.tickets[ticket_id].to_api(self.base_url or "")

    def get_comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self.lock:
            t = self.tickets[ticket_id]
            return [self._comment(t, k) for k in range(t.comment_count)]

    def upstream_update(self, ticket_id: int, changes: dict[str, Any] | None = None, *,
                        author_id: int = 1001, **fields: Any) -> dict[str, Any]:
        """Change a ticket as another agent would in Zendesk (not counted in applied_writes).

        Takes the same fields as PUT /tickets/{id}; raises ValueError where the API says 422.
        """
        with self.lock:
            resp = self._apply(self.tickets[ticket_id], {**(changes or {}), **fields},
                               author_id, self.base_url or "")
        if resp.status != 200:
            raise ValueError(resp.body.decode())
        return self.get_ticket(ticket_id)

    # ---- internals -------------------------------------------------------------------------
    def _reindex(self, t: data.TicketRecord, gts: int) -> None:
        """Move a changed ticket to its new place in the export order."""
        old = (t.gts, t.seq, t.id)
        pos = bisect.bisect_left(self.index, old)
        if pos < len(self.index) and self.index[pos] == old:
            del self.index[pos]
        self._seq += 1
        t.gts, t.seq = gts, self._seq
        bisect.insort(self.index, (t.gts, t.seq, t.id))

    def _comment(self, t: data.TicketRecord, k: int) -> dict[str, Any]:
        return data.seed_comment(t, k) if k < t.n_seed else (t.extra or [])[k - t.n_seed]

    def _validate(self, t: data.TicketRecord, ch: dict[str, Any]) -> dict[str, Any]:
        return validate(t, ch, self.users, self.groups, self.ticket_forms)

    def _apply(self, t: data.TicketRecord, ch: dict[str, Any], author_id: int, base: str
               ) -> Response:
        details = self._validate(t, ch)
        if details:
            return invalid(details)
        now = int(time.time())
        self._audit_id += 1
        aid = self._audit_id
        events: list[dict[str, Any]] = []

        def change(field: str, value: Any, previous: Any) -> None:
            events.append({"id": aid * 100 + len(events), "type": "Change",
                           "field_name": field, "value": value, "previous_value": previous})

        for field, attr in FIELDS.items():
            if field in ch and ch[field] != getattr(t, attr):
                change(field, ch[field], getattr(t, attr))
                setattr(t, attr, ch[field])
        tags = tag_list(ch["tags"]) if "tags" in ch else list(t.tags)
        tags += tag_list(ch.get("additional_tags"))
        removed = set(tag_list(ch.get("remove_tags")))
        new_tags = tuple(dict.fromkeys(tag for tag in tags if tag not in removed))
        if new_tags != t.tags:
            change("tags", list(new_tags), list(t.tags))
            t.tags = new_tags
        comment = ch.get("comment") or {}
        html_body = comment.get("html_body")
        body = comment.get("body") or (
            html.unescape(re.sub(r"<[^>]+>", "", html_body)) if html_body else "")
        if body:
            cid = t.id * 10_000 + t.comment_count + 1
            c = data.comment_dict(cid, comment.get("author_id") or author_id, body,
                                  bool(comment.get("public", True)), now, "api", html_body)
            if t.extra is None:
                t.extra = []
            t.extra.append(c)
            self._note_comment(now, cid)
            # In Zendesk a comment is an audit event, and its id is the event's id.
            events.append(c)
        if events:
            # Strictly increasing, so a stale updated_stamp never matches within one second.
            t.updated_at = max(now, t.updated_at + 1)
            self._reindex(t, max(t.updated_at, t.gts))
        audit = {"id": aid, "ticket_id": t.id, "created_at": data.iso(now),
                 "author_id": author_id, "metadata": {"system": {}, "custom": {}},
                 "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
                 "events": events}
        return json_response(200, {"ticket": t.to_api(base), "audit": audit})

    # ---- endpoints -------------------------------------------------------------------------
    def _show_ticket(self, tid: int, *, base: str, **_: Any) -> Response:
        if tid not in self.tickets:
            return not_found()
        return json_response(200, {"ticket": self._render_ticket(tid, base)})

    def _update_ticket(self, tid: int, *, payload: dict[str, Any], base: str, email: str,
                       **_: Any) -> Response:
        t = self.tickets.get(tid)
        if t is None:
            return not_found()
        ch = payload["ticket"]  # its shape was checked by FakeZendesk._write
        if ch.get("safe_update") and ch.get("updated_stamp") is not None:
            if _parse_stamp(ch["updated_stamp"]) != t.updated_at:
                return error(409, "UpdateConflict",
                             "Safe Update prevented the update due to outdated ticket data. "
                             "Please fetch the latest ticket data and try again.")
        return self._apply(t, ch, self._author_id(email), base)

    def _create_ticket(self, *, payload: dict[str, Any], base: str, email: str, **_: Any
                       ) -> Response:
        ch = dict(payload["ticket"])
        comment = ch.get("comment") or {}
        if not isinstance(comment, dict) or not (comment.get("body") or comment.get("html_body")):
            return invalid({"description": detail("Description: cannot be blank", "BlankValue")})
        requester = ch.pop("requester", None)
        if isinstance(requester, dict) and requester.get("email"):
            found = [u for u in self.users.values() if u["email"] == requester["email"]]
            if found:
                ch["requester_id"] = found[0]["id"]
            else:
                uid = max(self.users) + 1
                self.users[uid] = data.user_dict(uid, requester.get("name") or requester["email"],
                                                 requester["email"], "end-user",
                                                 int(time.time()), base)
                ch["requester_id"] = uid
        now = int(time.time())
        tid = max(self.tickets, default=0) + 1
        t = data.TicketRecord(
            id=tid, subject="", description="", status="new", priority=None, type=None,
            requester_id=ch.get("requester_id", self._author_id(email)), assignee_id=None,
            group_id=data.ES, form_id=data.PS, request_type="triage", channel="api", tags=(),
            created_at=now, updated_at=now - 1, gts=now, seq=0, n_seed=0)
        if "status" not in ch and ch.get("assignee_id"):
            ch["status"] = "open"
        details = self._validate(t, ch)
        if details:
            return invalid(details)
        self.tickets[tid] = t
        bisect.insort(self.index, (t.gts, t.seq, t.id))
        resp = self._apply(t, ch, t.requester_id, base)
        t.description = (t.extra or [{}])[0].get("body", "")
        if not t.subject:
            t.subject = t.description[:60]
        return json_response(201, {**json.loads(resp.body), "ticket": t.to_api(base)})

    def _comments(self, tid: int, *, query: dict[str, str], base: str, **_: Any
                  ) -> Response:
        t = self.tickets.get(tid)
        if t is None:
            return not_found()
        n = t.comment_count
        return json_response(200, paginate(
            query, f"{base}/api/v2/tickets/{tid}/comments.json", "comments", n,
            lambda a, b: [self._comment(t, k) for k in range(a, b)],
            # comment ids are ticket_id * 10000 + position + 1, so no lookup table is needed
            lambda cid: min(max(cid - t.id * 10_000, 0), n)))

    def _incremental_cursor(self, *, query: dict[str, str], base: str, **_: Any
                            ) -> Response:
        per_page = int_param(query, "per_page", 1000, 1, 1000)
        if "cursor" in query:
            try:
                gts, seq = decode_cursor(query["cursor"], 2)
            except ValueError:
                return error(400, "InvalidPaginationParameter", "cursor is invalid")
            start = bisect.bisect_right(self.index, (gts, seq, MAX_KEY))
            start = max(start - min(self.duplicate_overlap, per_page - 1), 0)
            resume = query["cursor"]
        elif "start_time" in query:
            start_time = int_param(query, "start_time", 0, 0, 2**40)
            start = bisect.bisect_left(self.index, (start_time, -1, -1))
            resume = encode_cursor(start_time, -1)
        else:
            return error(400, "InvalidPaginationParameter", "start_time or cursor is required")
        end = len(self.index)
        if self.exclude_recent:  # real Zendesk hides the last minute's changes
            end = bisect.bisect_left(self.index, (int(time.time()) - 60, MAX_KEY, MAX_KEY))
        keys = self.index[start:min(start + per_page, end)] if start < end else []
        tickets = [self._render_ticket(tid, base) for _, _, tid in keys]
        after = encode_cursor(keys[-1][0], keys[-1][1]) if keys else resume
        before = encode_cursor(keys[0][0], keys[0][1] - 1) if keys else None
        url = f"{base}/api/v2/incremental/tickets/cursor.json"
        sideloads = self._sideload_users(tickets) if "users" in query.get("include", "") else {}
        return json_response(200, {
            "tickets": tickets, **sideloads, "after_cursor": after,
            "after_url": f"{url}?{urlencode({'cursor': after, 'per_page': per_page})}",
            "before_cursor": before,
            "before_url": f"{url}?{urlencode({'cursor': before})}" if before else None,
            "end_of_stream": start + len(keys) >= end})

    def _incremental_time(self, *, query: dict[str, str], base: str, **_: Any) -> Response:
        if "start_time" not in query:
            return error(400, "InvalidPaginationParameter", "start_time is required")
        start_time = int_param(query, "start_time", 0, 0, 2**40)
        per_page = int_param(query, "per_page", 1000, 1, 1000)
        start = bisect.bisect_left(self.index, (start_time, -1, -1))
        keys = self.index[start:start + per_page]
        end_time = keys[-1][0] if keys else start_time
        # Like Zendesk, the next page starts at the last timestamp seen: duplicates are normal.
        nxt = f"{base}/api/v2/incremental/tickets.json?{urlencode({'start_time': end_time})}"
        return json_response(200, {
            "tickets": [self.tickets[tid].to_api(base) for _, _, tid in keys],
            "count": len(keys), "end_time": end_time, "next_page": nxt,
            "end_of_stream": len(keys) < per_page})
