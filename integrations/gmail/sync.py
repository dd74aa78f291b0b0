"""The group's mail to EduDesk on the sync driver: a first full listing, then history.

The first run (and any full sync) notes the mailbox's history id, lists every message of
the group and stores them; every later run reads history.list from the id the last one
stored. When Gmail no longer knows that id (404), the run asks the driver for a full sync,
which lists everything again; messages already stored are neither fetched nor stored twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from django.db import transaction

from inbox import services as inbox
from inbox.models import Mailbox, Message
from integrations import retry, syncdriver
from integrations.errors import PermanentError, UpstreamError
from integrations.models import SyncState
from integrations.syncdriver import Pass, Progress, Run, RunResult, Step

from . import conf, mapping
from .client import GmailClient, HistoryExpired, decode_raw

log = logging.getLogger(__name__)

SYSTEM = "gmail"
PAGE_SIZE = 500
BATCH_SIZE = 50  # messages per batch request: Google advises no more, to avoid rate limiting
LISTED = "done"  # the listing cursor once a full listing has finished
Page = dict[str, Any]


def sync_state() -> SyncState:
    return syncdriver.state_of(SYSTEM)


def start_full_sync() -> None:
    """The admin's button: mark a full sync as wanted (a lost task costs nothing) and start it."""
    from .tasks import sync_full

    syncdriver.request_full_sync(SYSTEM)
    transaction.on_commit(sync_full.delay)


def call[T](fn: Callable[[], T]) -> T:
    return retry.policy("sync").call(fn)


def run_sync(*, full: bool = False, force: bool = False, client: GmailClient | None = None,
             group_address: str | None = None, progress: Progress | None = None,
             page_size: int = PAGE_SIZE) -> RunResult:
    """One sync run; ran=False if another holds the lease."""
    client = client or conf.get_client()
    group = (group_address or conf.group_address()).lower()
    source = GmailSource(client, inbox.mailbox_for(group, conf.group_name()), page_size)
    return syncdriver.run(source, full=full, force=force, progress=progress, call=call)


def _after_listing(cursor: str, page: Page) -> Step[str]:
    token = page.get("next")
    return Step(token, more=True) if token else Step(LISTED, more=False)


def _after_history(cursor: dict[str, str], page: Page) -> Step[dict[str, str] | None]:
    if page.get("expired"):
        return Step(None, more=False)
    if page.get("next"):
        return Step({"start": cursor["start"], "page": page["next"]}, more=True)
    return Step({"start": str(page.get("history_id") or cursor["start"]), "page": ""}, more=False)


class GmailSource:
    """The group's part of a sync run: its passes, and how a page becomes threads."""

    system = SYSTEM
    run: Run

    def __init__(self, client: GmailClient, mailbox: Mailbox, page_size: int = PAGE_SIZE) -> None:
        self.client, self.mailbox, self.page_size = client, mailbox, page_size
        self.group = mailbox.address.lower()
        # Gmail ids already stored, read before a full listing so that a resync (after an
        # expired history id) fetches only what is missing. Empty on a first sync.
        self.known: frozenset[str] = frozenset()
        self.listed = False  # whether this run has listed everything already

    def full_sync_total(self) -> int | None:
        total = self.client.get_profile().get("messagesTotal")
        return int(total) if isinstance(total, int | str) and str(total).isdigit() else None

    def sweep(self, run: Run) -> Iterator[Pass[Any, Page]]:
        self.run = run
        cursors = run.state.cursors
        if cursors.get("listing") != LISTED:
            if not cursors.get("history_start"):
                # Noted before listing: whatever arrives meanwhile comes in through history.
                cursors["history_start"] = str(call(self.client.get_profile)["historyId"])
                run.mark("profile")
            self.listed = True
            self.known = frozenset(Message.objects.filter(
                thread__mailbox=self.mailbox, gmail_id__isnull=False).values_list(
                    "gmail_id", flat=True).iterator())
            yield Pass(phase="messages", cursor_key="listing", initial="",
                       fetch=partial(self._listing_page, self.client.fork()),
                       step=_after_listing, store=self._store,
                       size=lambda page: page.get("listed", 0))
            self.known = frozenset()
        yield Pass(phase="history", cursor_key="history",
                   initial={"start": cursors.get("history_start"), "page": ""},
                   fetch=partial(self._history_page, self.client.fork()),
                   step=_after_history, store=self._store)

    # ---- on the prefetch thread: HTTP and parsing only -------------------------------------
    def _listing_page(self, reader: GmailClient, token: str) -> Page:
        body = reader.messages_page(q=mapping.search_query(self.group), page_token=token or None,
                                    page_size=self.page_size)
        refs = [r["id"] for r in body.get("messages") or [] if isinstance(r, dict) and r.get("id")]
        page = self._fetch(reader, [i for i in refs if i not in self.known])
        page.update(next=body.get("nextPageToken"), listed=len(refs))
        return page

    def _history_page(self, reader: GmailClient, cursor: dict[str, str]) -> Page:
        try:
            body = reader.history_page(cursor["start"], page_token=cursor.get("page") or None,
                                       history_types=["messageAdded"], page_size=self.page_size)
        except HistoryExpired:
            return {"expired": True, "start": cursor["start"]}
        ids: dict[str, None] = {}  # in order, once each
        for record in body.get("history") or []:
            for added in record.get("messagesAdded") or []:
                message_id = (added.get("message") or {}).get("id")
                if message_id:
                    ids[message_id] = None
        page = self._fetch(reader, list(ids))
        page.update(next=body.get("nextPageToken"), history_id=body.get("historyId"))
        return page

    def _fetch(self, reader: GmailClient, ids: list[str]) -> Page:
        values, problems, gone = [], [], 0
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            answers = call(partial(reader.get_messages, chunk, "raw"))
            for message_id in chunk:
                resource = answers[message_id]
                if isinstance(resource, UpstreamError) and resource.status != 404:
                    # Refused alone (quota, a 5xx): asked again alone, with the policy's waits.
                    try:
                        resource = call(partial(reader.get_message, message_id, "raw"))
                    except PermanentError as exc:
                        resource = exc
                if isinstance(resource, UpstreamError):
                    if resource.status == 404:  # deleted since it was listed
                        gone += 1
                        continue
                    raise resource
                try:
                    parsed = mapping.parse_message(decode_raw(resource))
                    mapped = mapping.incoming_values(resource, parsed, self.group)
                except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop it
                    problems.append(f"message {message_id}: {type(exc).__name__}: {exc}")
                    continue
                if mapped is not None:
                    values.append(mapped)
        return {"messages": values, "problems": problems, "gone": gone,
                "not_group": len(ids) - gone - len(problems) - len(values)}

    # ---- on the run's thread, inside the page's transaction --------------------------------
    def _store(self, page: Page) -> Counter:
        counts: Counter = Counter()
        if page.get("expired"):
            if self.listed:
                # The id was noted just before this run's listing: asking again would loop.
                raise PermanentError(f"Gmail refused history id {page['start']} right after a "
                                     "full listing; try again later")
            self.run.problem(f"history id {page['start']} is no longer known to Gmail; "
                             "listing everything again", counts, "fixed")
            counts["history_expired"] += 1
            # The driver sweeps again once this pass ends, as a full sync.
            syncdriver.request_full_sync(SYSTEM)
            syncdriver.request_rerun(SYSTEM)
            return counts
        for text in page.get("problems") or []:
            self.run.problem(text, counts, "skipped")
        counts["not_group_mail"] += page.get("not_group", 0)
        counts["deleted_upstream"] += page.get("gone", 0)
        messages = [inbox.IncomingMessage(**values) for values in page.get("messages") or []]
        if messages:
            counts.update(inbox.store_messages(mailbox=self.mailbox, messages=messages))
        return +counts
