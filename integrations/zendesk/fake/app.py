"""FakeZendesk: Zendesk Support API state, auth, rate limits, faults and routing on the fakes kit."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from integrations.fakes import FakeService, Request, Response, json_response, text_response
from integrations.zendesk.fake import data
from integrations.zendesk.fake.catalog import CatalogOps
from integrations.zendesk.fake.envelope import error
from integrations.zendesk.fake.events import EventOps
from integrations.zendesk.fake.tickets import TicketOps

API = "/api/v2/"
DEFAULT_RATE_LIMIT = 700  # requests per minute on Zendesk's Professional plan


class AppliedWrite(NamedTuple):
    idempotency_key: str | None
    ticket_id: int
    payload: dict[str, Any]


class FakeZendesk(TicketOps, EventOps, CatalogOps, FakeService):
    """Zendesk state plus HTTP behaviour; every public knob may be changed while running.

    Besides the kit's knobs: `incremental_rate_limit` (the export endpoints' own, smaller
    budget), `rate_limit_rate` (random 429s, Retry-After `retry_after_seconds`),
    `lost_response_rate` (write applied, answer replaced by a 504), `duplicate_overlap`
    (export pages repeat the last N tickets) and `exclude_recent` (the last minute is hidden).
    """

    name = "fake-zendesk"

    def __init__(self, *, token: str | None = None, rate_limit: int | None = DEFAULT_RATE_LIMIT,
                 incremental_rate_limit: int | None = 10, rate_limit_window: float = 60.0,
                 rate_limit_rate: float = 0.0, retry_after_seconds: float = 1.0,
                 error_rate: float = 0.0, lost_response_rate: float = 0.0,
                 latency_ms: int = 0, duplicate_overlap: int = 0,
                 exclude_recent: bool = False, fault_seed: int | None = 0) -> None:
        super().__init__(token=token, error_rate=error_rate, latency_ms=latency_ms,
                         rate_limit=rate_limit, rate_limit_window=rate_limit_window,
                         fault_seed=fault_seed)
        self.incremental_rate_limit = incremental_rate_limit
        self.rate_limit_rate = rate_limit_rate
        self.retry_after_seconds = retry_after_seconds
        self.lost_response_rate = lost_response_rate
        self.duplicate_overlap = duplicate_overlap
        self.exclude_recent = exclude_recent
        self.applied_writes: list[AppliedWrite] = []
        self._idempotency: dict[str, tuple[str, Response]] = {}
        self.seed(tickets=0)

    # ---- state ---------------------------------------------------------------------------
    def seed(self, tickets: int = 100, comments_per_ticket: int = 3, seed: int = 0,
             end_time: int | None = None) -> None:
        """Replace all state with deterministic data; timestamps end at `end_time` (default:
        an hour ago, so that changes made by tests always sort after the seeded tickets)."""
        end = int(time.time()) - 3600 if end_time is None else end_time
        n_req = min(2000, max(20, tickets // 10))
        records = data.make_tickets(tickets, comments_per_ticket, seed, end, n_req)
        base = self.base_url or "http://127.0.0.1"
        with self.lock:
            self.users = data.make_users(n_req, end - 400 * 86_400, base)
            self.tickets = {t.id: t for t in records}
            self._reset_events(records)
            records.sort(key=lambda t: (t.gts, t.id))
            for seq, t in enumerate(records, 1):
                t.seq = seq
            # Sorted (generated_timestamp, seq, id) keys: the incremental export order. seq is
            # a global change counter, so a change made in the same second as a handed-out
            # cursor still sorts after it and is never skipped.
            self.index: list[tuple[int, int, int]] = [(t.gts, t.seq, t.id) for t in records]
            self._seq = len(records)
            self._audit_id = 0
            self.applied_writes.clear()
            self._idempotency.clear()
            self._setup_catalog(end, base)

    def _setup_catalog(self, ts: int, base: str) -> None:
        when = data.iso(ts - 400 * 86_400)
        self.groups = {gid: {"id": gid, "url": f"{base}/api/v2/groups/{gid}.json", "name": name,
                             "description": "", "default": gid == data.ES, "deleted": False,
                             "is_public": True, "created_at": when, "updated_at": when}
                       for gid, name in data.GROUPS.items()}
        self.ticket_forms = {
            fid: {"id": fid, "url": f"{base}/api/v2/ticket_forms/{fid}.json", "name": name,
                  "display_name": name, "raw_name": name, "position": i, "active": True,
                  "end_user_visible": True, "default": fid == data.PS,
                  "ticket_field_ids": [data.REQUEST_TYPE_FIELD_ID], "in_all_brands": True,
                  "restricted_brand_ids": [], "created_at": when, "updated_at": when}
            for i, (fid, name) in enumerate(data.FORMS.items(), 1)}
        self.macros = {
            4001 + i: {"id": 4001 + i, "url": f"{base}/api/v2/macros/{4001 + i}.json",
                       "title": title, "raw_title": title, "active": active, "description": None,
                       "position": i + 1, "restriction": None,
                       "actions": [{"field": f, "value": v} for f, v in actions],
                       "created_at": when, "updated_at": when}
            for i, (title, active, actions) in enumerate(data.MACROS)}

    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        base = super().start(port, host)
        self._rebase(base)
        return base

    def _rebase(self, base: str) -> None:
        """Seeding may happen before the port is known; fix the `url` fields afterwards."""
        with self.lock:
            for kind, items in (("users", self.users), ("groups", self.groups),
                                ("ticket_forms", self.ticket_forms), ("macros", self.macros)):
                for oid, item in items.items():
                    item["url"] = f"{base}/api/v2/{kind}/{oid}.json"

    # ---- HTTP ------------------------------------------------------------------------------
    def log_path(self, request: Request) -> str:
        return request.path.removesuffix(".json")  # Zendesk treats the suffix as optional

    def too_many(self, retry_after: float) -> Response:
        # Real 429s are text/plain, so clients must not assume JSON.
        return text_response(429, f"Rate limited, retry after {retry_after:g} seconds",
                             headers=[("Retry-After", f"{retry_after:g}")])

    def fault(self) -> Response:
        status = self.rng.choice((500, 502, 503))
        if status == 500:
            return error(500, "InternalError", "Something went wrong, please try again")
        return text_response(status, f"<html><body><h1>{status} Service Unavailable</h1>"
                             "</body></html>", "text/html")

    def respond(self, request: Request) -> Response:
        now = time.monotonic()
        path = self.log_path(request)
        if not path.startswith(API):
            return error(404, "InvalidEndpoint", "Not found")
        email = self._authenticate(request)
        if email is None:
            resp = json_response(401, {"error": "Couldn't authenticate you"})
        else:
            resp = self._limited(path, now) or self._route(
                request, path[len(API):], request.host_url or self.base_url or "", email)
        return resp.with_headers(self._rate_headers(now))

    def _authenticate(self, request: Request) -> str | None:
        """The caller's email ('' for OAuth), or None when the credentials are refused."""
        bearer = request.bearer_token()
        if bearer:
            return "" if self.credential_ok(bearer) else None
        basic = request.basic_auth()
        if basic is None:
            return None
        user, secret = basic
        email, _, kind = user.partition("/")
        # With a token configured only API-token auth ("email/token:TOKEN") can match it.
        ok = kind == "token" if self.token else bool(user)
        return email if ok and self.credential_ok(secret) else None

    def _rate_headers(self, now: float) -> list[tuple[str, str]]:
        budget = self.budget()
        limit, left = (budget.limit, budget.remaining(now)) if budget else (
            DEFAULT_RATE_LIMIT, DEFAULT_RATE_LIMIT)
        return [("X-Rate-Limit", str(limit)), ("X-Rate-Limit-Remaining", str(left))]

    def _limited(self, path: str, now: float) -> Response | None:
        extra = []
        if path.startswith(f"{API}incremental/") and self.incremental_rate_limit:
            extra.append(self.window("incremental", self.incremental_rate_limit,
                                     self.rate_limit_window))
        refused = self.throttle(*extra, now=now)
        if refused is not None:
            return refused
        if self.rate_limit_rate and self.rng.random() < self.rate_limit_rate:
            return self.too_many(self.retry_after_seconds)
        return None

    def _route(self, request: Request, path: str, base: str, email: str) -> Response:
        for verb, pattern, name in ROUTES:  # noqa: B007 - name is used after break
            m = pattern.fullmatch(path)
            if m and verb == request.method:
                break
        else:
            return error(404, "InvalidEndpoint", "Not found")
        if self.fault_due():
            return self.fault()  # before any change is applied
        args = [int(g) for g in m.groups()]
        handler: Callable[..., Response] = getattr(self, name)
        try:
            if request.method in ("PUT", "POST"):
                return self._write(handler, args, path, request, base, email)
            return handler(*args, query=request.query, base=base, email=email)
        except ValueError as exc:
            return error(400, "InvalidParameter", str(exc))

    def _write(self, handler: Callable[..., Response], args: list[int], path: str,
               request: Request, base: str, email: str) -> Response:
        try:
            payload = request.json() if request.body else {}
        except ValueError:
            return error(400, "InvalidJSON", "The request body is not valid JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("ticket"), dict):
            return error(400, "InvalidParameter", 'Body must be {"ticket": {...}}')
        key = request.headers.get("idempotency-key")
        fingerprint = f"{path}:{json.dumps(payload, sort_keys=True)}"
        if key and key in self._idempotency:
            stored_fp, stored = self._idempotency[key]
            if stored_fp != fingerprint:
                return error(400, "IdempotentRequestError",
                             "Idempotency key was already used with a different request")
            return stored.with_headers([("x-idempotency-lookup", "hit")])
        resp = handler(*args, payload=payload, base=base, email=email)
        if resp.status >= 300:
            return resp  # only successes are remembered, so a retry after a 4xx/5xx re-applies
        ticket_id = json.loads(resp.body)["ticket"]["id"]
        self.applied_writes.append(AppliedWrite(key, ticket_id, payload))
        if key:
            self._idempotency[key] = (fingerprint, resp)
            resp = resp.with_headers([("x-idempotency-lookup", "miss")])
        if self.lost_response_rate and self.rng.random() < self.lost_response_rate:
            # Applied, but the client never hears so: only an idempotency key saves it.
            return text_response(504, "<html><body><h1>504 Gateway Time-out</h1></body></html>",
                                 "text/html")
        return resp


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (verb, re.compile(rx), name) for verb, rx, name in (
        ("GET", r"incremental/tickets/cursor", "_incremental_cursor"),
        ("GET", r"incremental/tickets", "_incremental_time"),
        ("GET", r"incremental/ticket_events", "_ticket_events"),
        ("GET", r"tickets/show_many", "_show_many_tickets"),
        ("GET", r"tickets/count", "_count_tickets"),
        ("POST", r"tickets", "_create_ticket"),
        ("GET", r"tickets/(\d+)", "_show_ticket"),
        ("PUT", r"tickets/(\d+)", "_update_ticket"),
        ("GET", r"tickets/(\d+)/comments", "_comments"),
        ("GET", r"tickets/(\d+)/macros/(\d+)/apply", "_apply_macro"),
        ("GET", r"macros/(\d+)/apply", "_apply_macro_alone"),
        ("GET", r"users", "_users"), ("GET", r"users/me", "_me"),
        ("GET", r"users/show_many", "_show_many_users"), ("GET", r"users/(\d+)", "_user"),
        ("GET", r"groups", "_groups"), ("GET", r"groups/(\d+)", "_group"),
        ("GET", r"ticket_forms", "_ticket_forms"), ("GET", r"ticket_forms/(\d+)", "_ticket_form"),
        ("GET", r"macros", "_macros"), ("GET", r"macros/active", "_active_macros"),
        ("GET", r"macros/(\d+)", "_macro"),
    )]
