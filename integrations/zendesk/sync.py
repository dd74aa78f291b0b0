"""Zendesk to EduDesk on the sync driver: the catalog, then the ticket export, then comment events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from django.db import transaction

from integrations import retry, syncdriver
from integrations.models import SyncState
from integrations.syncdriver import LeaseLost, Pass, Progress, Run, RunResult, Step
from tickets.models import Comment, Ticket

from . import catalog, mapping, upstream_history
from .client import ZendeskClient
from .conf import get_client
from .mapping import Lookups, Malformed
from .models import ZendeskUser

__all__ = ["LeaseLost", "RunResult", "call", "request_rerun", "run_sync", "start_full_sync",
           "sync_state", "take_lease"]

SYSTEM = "zendesk"
PER_PAGE = 1000
SHOW_MANY = 100
TICKET_UPDATE_FIELDS = [
    "subject", "description", "requester_name", "requester_email", "status", "priority",
    "form", "group", "tags", "topic", "region", "assignee", "assignee_name", "created_at",
    "updated_at", "upstream_updated_at",
]


def sync_state() -> SyncState:
    return syncdriver.state_of(SYSTEM)


def take_lease(*, force: bool = False) -> str | None:
    return syncdriver.take_lease(SYSTEM, force=force)


def request_rerun() -> None:
    """A webhook arrived while a run was going: it makes one more pass before it stops."""
    syncdriver.request_rerun(SYSTEM)


def start_full_sync() -> None:
    """The admin's button: mark a full sync as wanted and start a worker on it.

    The mark survives a lost task: the next scheduled run sees it and does the full sync.
    """
    from .tasks import sync_full

    syncdriver.request_full_sync(SYSTEM)
    transaction.on_commit(sync_full.delay)


def call[T](fn: Callable[[], T]) -> T:
    """One request under the "sync" retry policy in force: Retry-After honoured, 5xx backed off."""
    return retry.policy("sync").call(fn)


def run_sync(*, full: bool = False, force: bool = False, client: ZendeskClient | None = None,
             progress: Progress | None = None, per_page: int = PER_PAGE) -> RunResult:
    """One sync run (repeated if a webhook asked for more meanwhile); ran=False if one is running."""
    # The client first: without a configuration this raises before any lease is taken.
    source = ZendeskSource(client or get_client(), per_page)
    return syncdriver.run(source, full=full, force=force, progress=progress, call=call)


def _after_tickets(cursor: str | None, page: dict[str, Any]) -> Step[str | None]:
    after = page.get("after_cursor") or cursor
    ended = page.get("end_of_stream") or not page.get("tickets") or after == cursor
    return Step(after, more=not ended)


def _after_events(start: int, page: dict[str, Any]) -> Step[int]:
    end_time = page.get("end_time")
    end = end_time if isinstance(end_time, int) else None
    if page.get("end_of_stream") or not page.get("ticket_events"):
        return Step(start if end is None else max(start, end), more=False)
    # The next page starts at end_time, Zendesk's rule; a page that is all one second must
    # not be asked for again.
    return Step(max(start + 1, start + 1 if end is None else end), more=True)


class ZendeskSource:
    """Zendesk's part of a sync run: its passes and how a page becomes tickets and comments."""

    system = SYSTEM
    run: Run

    def __init__(self, client: ZendeskClient, per_page: int = PER_PAGE) -> None:
        self.client, self.per_page = client, per_page
        self.lookups = Lookups()
        self.people_seen: set[int] = set()

    def full_sync_total(self) -> int:
        return self.client.count_tickets()

    def sweep(self, run: Run) -> Iterator[Pass[Any, dict[str, Any]]]:
        self.run = run
        run.mark("catalog")
        self.lookups = catalog.sync_catalog(self.client, run.counts, call=call)
        # Each pass's prefetch thread gets a session of its own: requests' are not thread-safe.
        yield Pass(phase="tickets", cursor_key="tickets", step=_after_tickets,
                   fetch=partial(self._ticket_page, self.client.fork()),
                   store=lambda page: self.import_tickets(page.get("tickets") or [],
                                                          page.get("users") or []),
                   size=lambda page: len(page.get("tickets") or []))
        yield Pass(phase="comments", cursor_key="ticket_events", initial=0, step=_after_events,
                   fetch=partial(self._event_page, self.client.fork()),
                   store=lambda page: self.import_comments(page.get("ticket_events") or []))

    def _ticket_page(self, reader: ZendeskClient, cursor: str | None) -> dict[str, Any]:
        return reader.incremental_tickets(cursor=cursor, start_time=None if cursor else 0,
                                          per_page=self.per_page, include="users")

    def _event_page(self, reader: ZendeskClient, start: int) -> dict[str, Any]:
        return reader.incremental_ticket_events(start_time=start, per_page=self.per_page)

    def _mapped(self, kind: str, counts: Counter,
                to_fields: Callable[..., tuple[dict[str, Any], list[str]]],
                *args: Any) -> dict[str, Any] | None:
        """Map one upstream item; a malformed one is skipped, a repaired one noted."""
        try:
            values, fixes = to_fields(*args)
        except Malformed as exc:
            self.run.problem(str(exc), counts, "skipped")
            return None
        if fixes:
            self.run.problem(f"{kind} {values['zendesk_id']}: {', '.join(fixes)}", counts,
                             "fixed")
        return values

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
        wanted = {i.get(key) for i in items if isinstance(i, dict)
                  for key in ("requester_id", "assignee_id")} - people.keys()
        wanted = {w for w in wanted if isinstance(w, int)}
        for i, name, email in ZendeskUser.objects.filter(zendesk_id__in=wanted).values_list(
                "zendesk_id", "name", "email"):
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
            known = rows.get(values["zendesk_id"])
            if known is None or values["upstream_updated_at"] >= known["upstream_updated_at"]:
                rows[values["zendesk_id"]] = values
        stored = dict(Ticket.objects.filter(zendesk_id__in=rows).values_list(
            "zendesk_id", "upstream_updated_at"))
        # Only what changed upstream since we last saw it: a repeated item (pages overlap, and
        # our own writes come back) must neither step back nor undo an agent's change that
        # is still on its way to Zendesk.
        newer = [v for ext, v in rows.items()
                 if stored.get(ext) is None or v["upstream_updated_at"] > stored[ext]]
        before = upstream_history.current(v["zendesk_id"] for v in newer
                                          if stored.get(v["zendesk_id"]) is not None)
        Ticket.objects.bulk_create([Ticket(**v) for v in newer], update_conflicts=True,
                                   unique_fields=["zendesk_id"],
                                   update_fields=TICKET_UPDATE_FIELDS, batch_size=500)
        changed = upstream_history.record(before, newer)
        if changed:
            counts["changed_in_zendesk"] += changed
        counts["tickets"] += len(newer)
        return counts

    def _local_tickets(self, ids: set[int], counts: Counter) -> dict[int, int]:
        local = dict(Ticket.objects.filter(zendesk_id__in=ids).values_list("zendesk_id", "pk"))
        missing = sorted(ids - local.keys())
        for n in range(0, len(missing), SHOW_MANY):
            # Comments of a ticket created after the ticket pass ended: fetch it now.
            fetched = call(lambda m=missing[n:n + SHOW_MANY]: self.client.show_many_tickets(m))
            counts.update(self.import_tickets(fetched, []))
        if missing:
            local.update(Ticket.objects.filter(zendesk_id__in=missing).values_list(
                "zendesk_id", "pk"))
        return local

    def import_comments(self, events: list[Any]) -> Counter:
        counts: Counter = Counter()
        found: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for event in events:
            if not isinstance(event, dict) or not isinstance(event.get("ticket_id"), int):
                self.run.problem("ticket event without a ticket id", counts, "skipped")
                continue
            for child in event.get("child_events") or []:
                if isinstance(child, dict) and child.get("event_type") == "Comment":
                    found.append((event["ticket_id"], child, event))
        if not found:
            return counts
        local = self._local_tickets({tid for tid, _, _ in found}, counts)
        authors = {a for _, c, e in found
                   for a in (c.get("author_id"), e.get("updater_id")) if isinstance(a, int)}
        known_people = list(ZendeskUser.objects.filter(zendesk_id__in=authors).values_list(
            "zendesk_id", "name", "role"))
        names = {i: name for i, name, _ in known_people}
        customers = {i for i, _, role in known_people if role == "end-user"}
        unknown = sorted(authors - names.keys())
        for n in range(0, len(unknown), SHOW_MANY):
            users = call(lambda u=unknown[n:n + SHOW_MANY]: self.client.show_many_users(u))
            names.update({i: name for i, (name, _) in self._people(users).items()})
            customers.update(u.get("id") for u in users
                             if isinstance(u, dict) and u.get("role") == "end-user")
        rows: dict[int, Comment] = {}
        wrote: dict[int, Any] = {}  # ticket pk -> the customer's latest public comment here
        for tid, child, event in found:
            if tid not in local:
                self.run.problem(f"comment {child.get('id')}: its ticket {tid} could not be imported",
                              counts, "skipped")
                continue
            values = self._mapped("comment", counts, mapping.comment_fields, child, local[tid],
                                  event, self.lookups, names)
            if values is None:
                continue
            rows[values["zendesk_id"]] = Comment(**values)
            author = child.get("author_id") or event.get("updater_id")
            if values["is_public"] and author in customers:
                wrote[values["ticket_id"]] = max(values["created_at"],
                                                 wrote.get(values["ticket_id"], values["created_at"]))
        # A comment event is only ever about a new comment; seen ones are left as they are.
        known = set(Comment.objects.filter(zendesk_id__in=rows).values_list(
            "zendesk_id", flat=True))
        Comment.objects.bulk_create([c for ext, c in rows.items() if ext not in known],
                                    ignore_conflicts=True, batch_size=500)
        counts["comments"] += len(rows.keys() - known)
        _customer_wrote(wrote)
        return counts


def _customer_wrote(wrote: dict[int, Any]) -> None:
    """Move each ticket's customer_updated_at forward (never back: event pages overlap)."""
    tickets = list(Ticket.objects.filter(pk__in=wrote).only("pk", "customer_updated_at"))
    moved = [t for t in tickets
             if t.customer_updated_at is None or t.customer_updated_at < wrote[t.pk]]
    for ticket in moved:
        ticket.customer_updated_at = wrote[ticket.pk]
    Ticket.objects.bulk_update(moved, ["customer_updated_at"], batch_size=500)
