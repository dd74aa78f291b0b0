"""Ticket event export, bulk ticket reads and injected bad data for the fake Zendesk."""

from __future__ import annotations

import bisect
import threading
from typing import Any

from integrations.fakes import Response, int_param, json_response
from integrations.zendesk.fake import data
from integrations.zendesk.fake.envelope import error

# Comment events are indexed as one int each, ts << 40 | comment id: 300,000 comments cost
# ~10 MB instead of ~40 MB of tuples (comment ids stay below 2**40 for a million tickets).
SHIFT = 40
MISSING = object()  # in a patch: drop the field from the rendered JSON


def _patched(item: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    if not patch:
        return item
    item = {**item, **patch}
    return {k: v for k, v in item.items() if v is not MISSING}


class EventOps:
    tickets: dict[int, data.TicketRecord]
    users: dict[int, dict[str, Any]]
    lock: threading.RLock
    base_url: str | None

    def _reset_events(self, records: list[data.TicketRecord]) -> None:
        self.ticket_patches: dict[int, dict[str, Any]] = {}
        self.comment_patches: dict[int, dict[str, Any]] = {}
        keys = []
        for t in records:
            for k in range(t.n_seed):
                c_ts = t.created_at + (t.updated_at - t.created_at) * k // max(t.n_seed, 1)
                keys.append(c_ts << SHIFT | (t.id * 10_000 + k + 1))
        keys.sort()
        self.comment_index: list[int] = keys

    def _note_comment(self, ts: int, cid: int) -> None:
        bisect.insort(self.comment_index, ts << SHIFT | cid)

    # ---- helpers for tests -----------------------------------------------------------------
    def corrupt_ticket(self, ticket_id: int, **fields: Any) -> None:
        """Serve this ticket with these fields replaced (MISSING drops one), as bad data."""
        with self.lock:
            self.ticket_patches.setdefault(ticket_id, {}).update(fields)

    def corrupt_comment(self, comment_id: int, **fields: Any) -> None:
        with self.lock:
            self.comment_patches.setdefault(comment_id, {}).update(fields)

    # ---- rendering -------------------------------------------------------------------------
    def _render_ticket(self, tid: int, base: str) -> dict[str, Any]:
        return _patched(self.tickets[tid].to_api(base), self.ticket_patches.get(tid))

    def _render_comment(self, cid: int) -> dict[str, Any] | None:
        t = self.tickets.get(cid // 10_000)
        k = cid % 10_000 - 1
        if t is None or not 0 <= k < t.comment_count:
            return None
        c = data.seed_comment(t, k) if k < t.n_seed else (t.extra or [])[k - t.n_seed]
        return _patched(c, self.comment_patches.get(cid))

    def _sideload_users(self, tickets: list[dict[str, Any]]) -> dict[str, Any]:
        ids = {t.get(f) for t in tickets for f in ("requester_id", "submitter_id", "assignee_id")}
        return {"users": [self.users[i] for i in sorted(i for i in ids if i in self.users)]}

    # ---- endpoints -------------------------------------------------------------------------
    def _ticket_events(self, *, query: dict[str, str], base: str, **_: Any) -> Response:
        """GET /incremental/ticket_events: one Audit per comment, time-based pagination."""
        if "start_time" not in query:
            return error(400, "InvalidPaginationParameter", "start_time is required")
        start_time = int_param(query, "start_time", 0, 0, 2**40)
        per_page = int_param(query, "per_page", 1000, 1, 1000)
        with_comments = "comment_events" in query.get("include", "")
        start = bisect.bisect_left(self.comment_index, start_time << SHIFT)
        stop = min(start + per_page, len(self.comment_index))
        if stop > start:
            # Like Zendesk, a page never splits one second: the next page starts at end_time.
            last_ts = self.comment_index[stop - 1] >> SHIFT
            stop = bisect.bisect_left(self.comment_index, (last_ts + 1) << SHIFT)
        events = []
        for key in self.comment_index[start:stop]:
            ts, cid = key >> SHIFT, key & ((1 << SHIFT) - 1)
            c = self._render_comment(cid)
            if c is None:
                continue
            child = {"id": c.get("id"), "event_type": "Comment", "comment_present": True,
                     "comment_public": c.get("public"), "via": c.get("via"),
                     "via_reference_id": None, "audit_id": cid}
            if with_comments:
                child.update({k: c[k] for k in ("body", "html_body", "public", "author_id",
                                                "attachments", "created_at") if k in c})
            events.append({"id": cid, "ticket_id": cid // 10_000, "timestamp": ts,
                           "created_at": data.iso(ts), "updater_id": c.get("author_id"),
                           "via": c.get("via"), "system": {}, "event_type": "Audit",
                           "child_events": [child]})
        end_time = (self.comment_index[stop - 1] >> SHIFT) if stop > start else start_time
        url = f"{base}/api/v2/incremental/ticket_events.json"
        return json_response(200, {
            "ticket_events": events, "count": len(events), "end_time": end_time,
            "next_page": f"{url}?start_time={end_time}",
            "end_of_stream": stop >= len(self.comment_index)})

    def _show_many_tickets(self, *, query: dict[str, str], base: str, **_: Any
                           ) -> Response:
        ids = [int(i) for i in query.get("ids", "").split(",") if i.strip().isdigit()][:100]
        return json_response(200, {"tickets": [self._render_ticket(i, base)
                                               for i in ids if i in self.tickets]})

    def _count_tickets(self, **_: Any) -> Response:
        return json_response(200, {"count": {"value": len(self.tickets),
                                             "refreshed_at": data.iso(0)}})
