"""An in-memory Zendesk Support API served over loopback HTTP, with rate limits and faults."""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from integrations.zendesk import fake_data as data
from integrations.zendesk.fake_catalog import CatalogOps
from integrations.zendesk.fake_events import MISSING, EventOps
from integrations.zendesk.fake_http import (
    FakeHTTPServer,
    FakeResponse,
    SlidingWindow,
    error,
    json_response,
    text_response,
)
from integrations.zendesk.fake_tickets import TicketOps

__all__ = ["MISSING", "FakeZendesk"]


class AppliedWrite(NamedTuple):
    idempotency_key: str | None
    ticket_id: int
    payload: dict[str, Any]


class RequestRecord(NamedTuple):
    at: float  # time.monotonic()
    method: str
    path: str
    status: int


class FakeZendesk(TicketOps, EventOps, CatalogOps):
    """Zendesk state plus HTTP behaviour; every public knob may be changed while running."""

    def __init__(self, *, token: str | None = None, rate_limit: int | None = 700,
                 incremental_rate_limit: int | None = 10, rate_limit_window: float = 60.0,
                 rate_limit_rate: float = 0.0, retry_after_seconds: float = 1.0,
                 error_rate: float = 0.0, lost_response_rate: float = 0.0,
                 latency_ms: int = 0, duplicate_overlap: int = 0,
                 exclude_recent: bool = False, fault_seed: int | None = 0) -> None:
        self.token = token
        self.rate_limit = rate_limit
        self.incremental_rate_limit = incremental_rate_limit
        self.rate_limit_window = rate_limit_window
        self.rate_limit_rate = rate_limit_rate
        self.retry_after_seconds = retry_after_seconds
        self.error_rate = error_rate
        self.lost_response_rate = lost_response_rate
        self.latency_ms = latency_ms
        self.duplicate_overlap = duplicate_overlap
        self.exclude_recent = exclude_recent
        self.base_url: str | None = None
        self.applied_writes: list[AppliedWrite] = []
        self.request_log: deque[RequestRecord] = deque(maxlen=200_000)
        self.lock = threading.RLock()
        self._faults = random.Random(fault_seed)
        self._idempotency: dict[str, tuple[str, FakeResponse]] = {}
        self._windows: dict[str, SlidingWindow] = {}
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
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

    def max_requests_in_any_window(self, seconds: float = 60.0,
                                   path_contains: str | None = None) -> int:
        """Most requests received within any `seconds`-long span (429s included: they were
        sent, so a client that gets them has exceeded its budget)."""
        with self.lock:
            times = [r.at for r in self.request_log
                     if path_contains is None or path_contains in r.path]
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # ---- HTTP ------------------------------------------------------------------------------
    def start(self, port: int = 0, host: str = "127.0.0.1") -> str:
        self._server = FakeHTTPServer((host, port), self)
        self.base_url = f"http://{host}:{self._server.server_port}"
        self._rebase(self.base_url)
        # A short poll interval keeps stop() (and so test teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-zendesk", daemon=True)
        self._thread.start()
        return self.base_url

    def _rebase(self, base: str) -> None:
        """Seeding may happen before the port is known; fix the `url` fields afterwards."""
        with self.lock:
            for kind, items in (("users", self.users), ("groups", self.groups),
                                ("ticket_forms", self.ticket_forms), ("macros", self.macros)):
                for oid, item in items.items():
                    item["url"] = f"{base}/api/v2/{kind}/{oid}.json"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes
               ) -> FakeResponse:
        """Answer one request; usable without a socket (headers are lower-cased names)."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        split = urlsplit(target)
        path = split.path.removesuffix(".json")
        query = dict(parse_qsl(split.query))
        base = f"http://{headers['host']}" if headers.get("host") else (self.base_url or "")
        with self.lock:
            try:
                resp = self._dispatch(method, path, query, headers, body, base)
            except Exception as exc:  # noqa: BLE001 - report fake bugs to the client, not stderr
                resp = error(500, "FakeInternalError", repr(exc))
            self.request_log.append(RequestRecord(time.monotonic(), method, path, resp.status))
            return resp

    def _window(self, name: str, limit: int) -> SlidingWindow:
        w = self._windows.get(name)
        if w is None or w.limit != limit or w.window != self.rate_limit_window:
            w = self._windows[name] = SlidingWindow(limit, self.rate_limit_window)
        return w

    def _rate_headers(self, now: float) -> list[tuple[str, str]]:
        w = self._window("account", self.rate_limit or 700)
        return [("X-Rate-Limit", str(w.limit)), ("X-Rate-Limit-Remaining", str(w.remaining(now)))]

    def _limited(self, path: str, now: float) -> FakeResponse | None:
        if self.rate_limit:
            windows = [self._window("account", self.rate_limit)]
            if path.startswith("/api/v2/incremental/") and self.incremental_rate_limit:
                windows.append(self._window("incremental", self.incremental_rate_limit))
            waits = [w for w in (win.retry_after(now) for win in windows) if w is not None]
            if waits:
                return self._too_many(max(waits))
            for w in windows:
                w.add(now)
        if self.rate_limit_rate and self._faults.random() < self.rate_limit_rate:
            return self._too_many(self.retry_after_seconds)
        return None

    def _too_many(self, seconds: float) -> FakeResponse:
        # Real 429s are text/plain, so clients must not assume JSON.
        return text_response(429, f"Rate limited, retry after {seconds:g} seconds",
                             headers=[("Retry-After", f"{seconds:g}")])

    def _fault(self) -> FakeResponse:
        status = self._faults.choice((500, 502, 503))
        if status == 500:
            return error(500, "InternalError", "Something went wrong, please try again")
        return text_response(status, f"<html><body><h1>{status} Service Unavailable</h1>"
                             "</body></html>", "text/html")

    def _authenticate(self, headers: Mapping[str, str]) -> str | None:
        """The caller's email ('' for OAuth), or None when the credentials are refused."""
        scheme, _, cred = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and cred:
            return "" if not self.token or hmac.compare_digest(cred, self.token) else None
        if scheme.lower() != "basic":
            return None
        try:
            user, _, secret = base64.b64decode(cred).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        email, _, kind = user.partition("/")
        if self.token:
            ok = kind == "token" and hmac.compare_digest(secret, self.token)
        else:
            ok = bool(user and secret)
        return email if ok else None

    def _dispatch(self, method: str, path: str, query: dict[str, str],
                  headers: Mapping[str, str], body: bytes, base: str) -> FakeResponse:
        now = time.monotonic()
        if not path.startswith("/api/v2/"):
            return error(404, "InvalidEndpoint", "Not found")
        email = self._authenticate(headers)
        if email is None:
            resp = json_response(401, {"error": "Couldn't authenticate you"})
        else:
            resp = self._limited(path, now) or self._route(
                method, path[len("/api/v2/"):], query, headers, body, base, email)
        return resp._replace(headers=resp.headers + self._rate_headers(now))

    def _route(self, method: str, path: str, query: dict[str, str],
               headers: Mapping[str, str], body: bytes, base: str, email: str
               ) -> FakeResponse:
        for verb, pattern, name in ROUTES:  # noqa: B007 - name is used after break
            m = pattern.fullmatch(path)
            if m and verb == method:
                break
        else:
            return error(404, "InvalidEndpoint", "Not found")
        if self.error_rate and self._faults.random() < self.error_rate:
            return self._fault()  # before any change is applied
        args = [int(g) for g in m.groups()]
        handler: Callable[..., FakeResponse] = getattr(self, name)
        try:
            if method in ("PUT", "POST"):
                return self._write(handler, args, path, headers, body, base, email)
            return handler(*args, query=query, base=base, email=email)
        except ValueError as exc:
            return error(400, "InvalidParameter", str(exc))

    def _write(self, handler: Callable[..., FakeResponse], args: list[int], path: str,
               headers: Mapping[str, str], body: bytes, base: str, email: str) -> FakeResponse:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return error(400, "InvalidJSON", "The request body is not valid JSON")
        key = headers.get("idempotency-key")
        fingerprint = f"{path}:{json.dumps(payload, sort_keys=True)}"
        if key and key in self._idempotency:
            stored_fp, stored = self._idempotency[key]
            if stored_fp != fingerprint:
                return error(400, "IdempotentRequestError",
                             "Idempotency key was already used with a different request")
            return stored._replace(headers=stored.headers + [("x-idempotency-lookup", "hit")])
        resp = handler(*args, payload=payload, base=base, email=email)
        if resp.status >= 300:
            return resp  # only successes are remembered, so a retry after a 4xx/5xx re-applies
        ticket_id = json.loads(resp.body)["ticket"]["id"]
        self.applied_writes.append(AppliedWrite(key, ticket_id, payload))
        if key:
            self._idempotency[key] = (fingerprint, resp)
            resp = resp._replace(headers=resp.headers + [("x-idempotency-lookup", "miss")])
        if self.lost_response_rate and self._faults.random() < self.lost_response_rate:
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Serve a fake Zendesk Support API on loopback.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tickets", type=int, default=1000)
    p.add_argument("--comments-per-ticket", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--token", help="accept only this API/OAuth token")
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--lost-response-rate", type=float, default=0.0)
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--rate-limit", type=int, default=700, help="requests/minute; 0 = off")
    p.add_argument("--incremental-rate-limit", type=int, default=10)
    p.add_argument("--rate-limit-rate", type=float, default=0.0)
    p.add_argument("--retry-after", type=float, default=1.0)
    p.add_argument("--duplicate-overlap", type=int, default=0)
    p.add_argument("--exclude-recent", action="store_true")
    a = p.parse_args(argv)
    fake = FakeZendesk(token=a.token, rate_limit=a.rate_limit or None,
                       incremental_rate_limit=a.incremental_rate_limit or None,
                       rate_limit_rate=a.rate_limit_rate, retry_after_seconds=a.retry_after,
                       error_rate=a.error_rate, lost_response_rate=a.lost_response_rate,
                       latency_ms=a.latency_ms, duplicate_overlap=a.duplicate_overlap,
                       exclude_recent=a.exclude_recent)
    fake.seed(tickets=a.tickets, comments_per_ticket=a.comments_per_ticket, seed=a.seed)
    print(fake.start(port=a.port, host=a.host), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
