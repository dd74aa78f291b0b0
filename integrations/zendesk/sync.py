"""Zendesk to EduDesk: the catalog, then the ticket export, then comment events, page by page.

Each page is upserted by Zendesk id in one transaction together with the cursor that
follows it, so a run killed anywhere resumes where the last committed page ended and a
page seen twice changes nothing. Only one run at a time holds the lease; it is checked
with every page, so a run that lost it stops before writing anything more.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.errors import RateLimited, TransientError
from integrations.models import SyncState, ZendeskUser
from tickets.models import Comment, Ticket

from . import catalog, mapping
from .client import ZendeskClient
from .connection import get_client
from .mapping import Lookups, Malformed

log = logging.getLogger(__name__)

SYSTEM = "zendesk"
LEASE_SECONDS = 120
PER_PAGE = 1000
MAX_CALL_ATTEMPTS = 6
BACKOFF_SECONDS = 1.0
MAX_PROBLEMS = 20
SHOW_MANY = 100
TICKET_UPDATE_FIELDS = [
    "subject", "description", "requester_name", "requester_email", "status", "priority",
    "form", "group", "tags", "topic", "region", "assignee", "created_at", "updated_at",
    "upstream_updated_at",
]


class LeaseLost(RuntimeError):
    """Another run took over (e.g. `zendesk_sync --force`); this one must stop writing."""


@dataclass
class RunResult:
    ran: bool
    counts: Counter = field(default_factory=Counter)


def sync_state() -> SyncState:
    return SyncState.objects.get_or_create(system=SYSTEM)[0]


def take_lease(*, force: bool = False) -> str | None:
    sync_state()
    now, token = timezone.now(), uuid.uuid4().hex
    rows = SyncState.objects.filter(system=SYSTEM)
    if not force:
        rows = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    taken = rows.update(lease_token=token, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                        last_started_at=now, phase="starting", rerun_requested=False)
    return token if taken else None


def request_rerun() -> None:
    """A webhook arrived while a run was going: it makes one more pass before it stops."""
    SyncState.objects.filter(system=SYSTEM).update(rerun_requested=True)


def start_full_sync() -> None:
    """The admin's button: mark a full sync as wanted and start a worker on it.

    The mark survives a lost task: the next scheduled run sees it and does the full sync.
    """
    from .tasks import sync_full

    sync_state()
    SyncState.objects.filter(system=SYSTEM).update(full_sync_requested_at=timezone.now())
    transaction.on_commit(sync_full.delay)


def call[T](fn: Callable[[], T]) -> T:
    """One request with the sync's retry policy: honour Retry-After, back off on 5xx."""
    for attempt in range(1, MAX_CALL_ATTEMPTS + 1):
        try:
            return fn()
        except RateLimited as exc:
            if attempt == MAX_CALL_ATTEMPTS:
                raise
            time.sleep(exc.retry_after)
        except TransientError as exc:
            if attempt == MAX_CALL_ATTEMPTS:
                raise
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
            log.info("zendesk sync: %s, retrying in %.1fs", exc, delay)
            time.sleep(random.uniform(delay / 2, delay))
    raise AssertionError("unreachable")


def run_sync(*, full: bool = False, force: bool = False, client: ZendeskClient | None = None,
             progress: Callable[[SyncState], None] | None = None,
             per_page: int = PER_PAGE) -> RunResult:
    """One sync run (repeated if a webhook asked for more meanwhile); False if one is running."""
    token = take_lease(force=force)
    if token is None:
        request_rerun()
        return RunResult(ran=False)
    run = _Run(client or get_client(), token, progress, per_page)
    try:
        while True:
            run.once(full=full or sync_state().full_sync_requested_at is not None)
            full = False
            if not SyncState.objects.filter(system=SYSTEM, lease_token=token,
                                            rerun_requested=True).update(rerun_requested=False):
                break
        run.finish(error="")
    except LeaseLost:
        log.warning("zendesk sync: another run took over; stopping")
        return RunResult(ran=False, counts=run.counts)
    except BaseException as exc:  # KeyboardInterrupt too: the admin page should say it stopped
        run.finish(error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finally:
        SyncState.objects.filter(system=SYSTEM, lease_token=token).update(
            lease_token="", lease_expires_at=None, phase="")
    return RunResult(ran=True, counts=run.counts)


class _Run:
    def __init__(self, client: ZendeskClient, token: str,
                 progress: Callable[[SyncState], None] | None, per_page: int) -> None:
        self.client, self.token, self.progress, self.per_page = client, token, progress, per_page
        self.counts: Counter = Counter()
        self.problems: list[str] = []
        self.lookups = Lookups()
        self.people_seen: set[int] = set()

    # ---- state -----------------------------------------------------------------------------
    def _save(self, state: SyncState, page_counts: Counter | None = None, **fields: Any) -> None:
        """Write the run's position (inside the page's transaction); LeaseLost if not ours."""
        if page_counts:
            self.counts.update(page_counts)
            totals = Counter(state.counts)
            totals.update(page_counts)
            state.counts = dict(totals)
            fields["counts"] = state.counts
        fields.update(cursors=state.cursors, last_run_counts=dict(self.counts),
                      recent_problems=self.problems[-MAX_PROBLEMS:],
                      lease_expires_at=timezone.now() + timedelta(seconds=LEASE_SECONDS))
        for name, value in fields.items():
            setattr(state, name, value)
        if not SyncState.objects.filter(system=SYSTEM, lease_token=self.token).update(**fields):
            raise LeaseLost()
        if self.progress is not None:
            self.progress(state)

    def _problem(self, text: str, counts: Counter, kind: str) -> None:
        counts[kind] += 1
        self.problems = (self.problems + [text[:300]])[-MAX_PROBLEMS:]
        (log.warning if kind == "skipped" else log.info)("zendesk sync %s: %s", kind, text)

    def _mapped(self, kind: str, counts: Counter, to_fields, *args) -> dict[str, Any] | None:
        """Map one upstream item; a malformed one is skipped, a repaired one noted."""
        try:
            values, fixes = to_fields(*args)
        except Malformed as exc:
            self._problem(str(exc), counts, "skipped")
            return None
        if fixes:
            self._problem(f"{kind} {values['external_id']}: {', '.join(fixes)}", counts, "fixed")
        return values

    def finish(self, error: str) -> None:
        now = timezone.now()
        fields: dict[str, Any] = {"last_finished_at": now, "last_run_counts": dict(self.counts),
                                  "recent_problems": self.problems[-MAX_PROBLEMS:]}
        if error:
            fields.update(last_error=error, last_error_at=now)
        else:
            fields.update(last_success_at=now, last_error="")
        SyncState.objects.filter(system=SYSTEM, lease_token=self.token).update(**fields)

    # ---- one pass --------------------------------------------------------------------------
    def once(self, *, full: bool) -> None:
        state = sync_state()
        if (full or not state.cursors) and not state.is_full_sync_running:
            # A new full sync (the first sync is one): every ticket from the beginning.
            total = call(self.client.count_tickets)
            state.cursors = {}
            self._save(state, phase="catalog", full_sync_started_at=timezone.now(),
                       full_sync_finished_at=None, full_sync_requested_at=None,
                       full_sync_total=total, full_sync_done=0)
        else:
            self._save(state, phase="catalog", full_sync_requested_at=None)
        self.lookups = catalog.sync_catalog(self.client, self.counts, call=call)
        self._tickets_pass(state)
        self._comments_pass(state)
        if state.is_full_sync_running:
            self._save(state, full_sync_finished_at=timezone.now(),
                       full_sync_done=state.full_sync_total or state.full_sync_done)

    def _pages(self, fetch: Callable[[ZendeskClient, Any], dict[str, Any]], start: Any,
               following: Callable[[Any, dict[str, Any]], Any]) -> Iterator[tuple[Any, Any]]:
        """(next position, page) in order; the next page is fetched on another thread while
        the caller writes this one. `following` returns None once the stream has ended."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zendesk-prefetch")
        reader = self.client.fork()  # a session of its own: requests' are not thread-safe
        try:
            future = pool.submit(call, lambda p=start: fetch(reader, p))
            while future is not None:
                page = future.result()
                position = following(start, page)
                future = None if position is None else pool.submit(
                    call, lambda p=position: fetch(reader, p))
                yield (start if position is None else position), page
                start = position
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _tickets_pass(self, state: SyncState) -> None:
        def fetch(client: ZendeskClient, cursor: str | None) -> dict[str, Any]:
            return client.incremental_tickets(cursor=cursor, start_time=None if cursor else 0,
                                              per_page=self.per_page, include="users")

        def following(cursor: str | None, page: dict[str, Any]) -> str | None:
            after = page.get("after_cursor") or cursor
            ended = page.get("end_of_stream") or not page.get("tickets") or after == cursor
            return None if ended else after

        for after, page in self._pages(fetch, state.cursors.get("tickets"), following):
            items = page.get("tickets") or []
            with transaction.atomic():
                page_counts = self.import_tickets(items, page.get("users") or [])
                state.cursors["tickets"] = page.get("after_cursor") or after
                done = state.full_sync_done
                if state.is_full_sync_running:
                    # Pages overlap a little, so this is an estimate; never past the total.
                    done = min(done + len(items), state.full_sync_total or done + len(items))
                self._save(state, page_counts, phase="tickets", full_sync_done=done)

    def _comments_pass(self, state: SyncState) -> None:
        def fetch(client: ZendeskClient, start: int) -> dict[str, Any]:
            return client.incremental_ticket_events(start_time=start, per_page=self.per_page)

        def following(start: int, page: dict[str, Any]) -> int | None:
            if page.get("end_of_stream") or not page.get("ticket_events"):
                return None
            end_time = page.get("end_time")
            # The next page starts at end_time, Zendesk's rule; a page that is all one
            # second must not be asked for again.
            return max(start + 1, end_time if isinstance(end_time, int) else start + 1)

        start = int(state.cursors.get("ticket_events") or 0)
        for resume, page in self._pages(fetch, start, following):
            with transaction.atomic():
                page_counts = self.import_comments(page.get("ticket_events") or [])
                end_time = page.get("end_time")
                if isinstance(end_time, int):
                    resume = max(resume, end_time)
                state.cursors["ticket_events"] = resume
                self._save(state, page_counts, phase="comments")

    # ---- upserts ---------------------------------------------------------------------------
    def _people(self, users: list[Any]) -> dict[int, tuple[str, str]]:
        people = [p for p in (mapping.person(u) for u in users) if p]
        fresh = [p for p in people if p[0] not in self.people_seen]
        catalog.upsert_people(fresh)
        if len(self.people_seen) > 100_000:
            self.people_seen.clear()  # a memo, not a record: keep memory flat on big accounts
        self.people_seen.update(p[0] for p in fresh)
        return {i: (name, email) for i, name, email, _ in people}

    def import_tickets(self, items: list[Any], users: list[Any]) -> Counter:
        counts: Counter = Counter()
        people = self._people(users)
        wanted = {i.get("requester_id") for i in items if isinstance(i, dict)} - people.keys()
        wanted = {w for w in wanted if isinstance(w, int)}
        for i, name, email in ZendeskUser.objects.filter(external_id__in=wanted).values_list(
                "external_id", "name", "email"):
            people[i] = (name, email)
        unknown = sorted(wanted - people.keys())
        for n in range(0, len(unknown), SHOW_MANY):
            # Requesters the page did not sideload and we have never seen.
            fetched = call(lambda u=unknown[n:n + SHOW_MANY]: self.client.show_many_users(u))
            people.update(self._people(fetched))
        rows: dict[int, dict[str, Any]] = {}
        for item in items:
            values = self._mapped("ticket", counts, mapping.ticket_fields, item, self.lookups,
                                  people)
            if values is None:
                continue
            known = rows.get(values["external_id"])
            if known is None or values["upstream_updated_at"] >= known["upstream_updated_at"]:
                rows[values["external_id"]] = values
        stored = dict(Ticket.objects.filter(external_id__in=rows).values_list(
            "external_id", "upstream_updated_at"))
        # Only what changed upstream since we last saw it: a repeated item (pages overlap, and
        # our own writes come back) must neither step back nor undo an agent's change that
        # is still on its way to Zendesk.
        fresh = [Ticket(**v) for ext, v in rows.items()
                 if stored.get(ext) is None or v["upstream_updated_at"] > stored[ext]]
        Ticket.objects.bulk_create(fresh, update_conflicts=True, unique_fields=["external_id"],
                                   update_fields=TICKET_UPDATE_FIELDS, batch_size=500)
        counts["tickets"] += len(fresh)
        return counts

    def _local_tickets(self, ids: set[int], counts: Counter) -> dict[int, int]:
        local = dict(Ticket.objects.filter(external_id__in=ids).values_list("external_id", "pk"))
        missing = sorted(ids - local.keys())
        for n in range(0, len(missing), SHOW_MANY):
            # Comments of a ticket created after the ticket pass ended: fetch it now.
            fetched = call(lambda m=missing[n:n + SHOW_MANY]: self.client.show_many_tickets(m))
            counts.update(self.import_tickets(fetched, []))
        if missing:
            local.update(Ticket.objects.filter(external_id__in=missing).values_list(
                "external_id", "pk"))
        return local

    def import_comments(self, events: list[Any]) -> Counter:
        counts: Counter = Counter()
        found: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for event in events:
            if not isinstance(event, dict) or not isinstance(event.get("ticket_id"), int):
                self._problem("ticket event without a ticket id", counts, "skipped")
                continue
            for child in event.get("child_events") or []:
                if isinstance(child, dict) and child.get("event_type") == "Comment":
                    found.append((event["ticket_id"], child, event))
        if not found:
            return counts
        local = self._local_tickets({tid for tid, _, _ in found}, counts)
        authors = {a for _, c, e in found
                   for a in (c.get("author_id"), e.get("updater_id")) if isinstance(a, int)}
        names = dict(ZendeskUser.objects.filter(external_id__in=authors).values_list(
            "external_id", "name"))
        unknown = sorted(authors - names.keys())
        for n in range(0, len(unknown), SHOW_MANY):
            users = call(lambda u=unknown[n:n + SHOW_MANY]: self.client.show_many_users(u))
            names.update({i: name for i, (name, _) in self._people(users).items()})
        rows: dict[int, Comment] = {}
        for tid, child, event in found:
            if tid not in local:
                self._problem(f"comment {child.get('id')}: its ticket {tid} could not be imported",
                              counts, "skipped")
                continue
            values = self._mapped("comment", counts, mapping.comment_fields, child, local[tid],
                                  event, self.lookups, names)
            if values is None:
                continue
            rows[values["external_id"]] = Comment(**values)
        # A comment event is only ever about a new comment; seen ones are left as they are.
        known = set(Comment.objects.filter(external_id__in=rows).values_list(
            "external_id", flat=True))
        Comment.objects.bulk_create([c for ext, c in rows.items() if ext not in known],
                                    ignore_conflicts=True, batch_size=500)
        counts["comments"] += len(rows.keys() - known)
        return counts
