"""Credly to EduDesk on the sync driver: the badge templates, then issued badges changed since last time."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.db import transaction

from integrations import retry, syncdriver
from integrations.errors import PermanentError
from integrations.models import SyncState
from integrations.syncdriver import Pass, Progress, Run, RunResult, Step

from . import mapping, store
from .client import CredlyClient
from .conf import get_client

log = logging.getLogger(__name__)
SYSTEM = "credly"
PER_PAGE = 100
# Page numbers shift while badges change, and Credly filters changes by date only: each run
# starts a day before the newest change the last one saw, and the upserts absorb repeats.
OVERLAP = timedelta(days=1)
START: dict[str, Any] = {"since": None, "page": 1, "newest": None}

type Cursor = dict[str, Any]
type Page = tuple[list[Any], bool]


def sync_state() -> SyncState:
    return syncdriver.state_of(SYSTEM)


def call[T](fn: Callable[[], T]) -> T:
    """One request under the "sync" retry policy: Retry-After honoured, 5xx backed off."""
    return retry.policy("sync").call(fn)


def run_sync(*, full: bool = False, force: bool = False, client: CredlyClient | None = None,
             progress: Progress | None = None, per_page: int = PER_PAGE) -> RunResult:
    """One sync run; ran=False if another is running (it then sweeps once more)."""
    source = CredlySource(client or get_client(), per_page)
    return syncdriver.run(source, full=full, force=force, progress=progress, call=call)


def after_badges(cursor: Cursor, page: Page) -> Step[Cursor]:
    """The next page of this run, or (at the end) where the next run starts."""
    items, more = page
    newest = mapping.parse_time(cursor.get("newest"))
    for item in items:
        changed = mapping.parse_time(item.get("updated_at")) if isinstance(item, dict) else None
        if changed is not None and (newest is None or changed > newest):
            newest = changed
    newest_text = newest.isoformat() if newest else None
    if more:
        return Step({**cursor, "page": cursor["page"] + 1, "newest": newest_text}, more=True)
    since = (newest - OVERLAP).date().isoformat() if newest else cursor.get("since")
    return Step({"since": since, "page": 1, "newest": newest_text}, more=False)


class CredlySource:
    """Credly's part of a sync run: its templates mirrored whole, then a pass over badges."""

    system = SYSTEM
    run: Run

    def __init__(self, client: CredlyClient, per_page: int = PER_PAGE) -> None:
        self.client, self.per_page = client, per_page

    def full_sync_total(self) -> int | None:
        return None  # Credly's total_count would cost a request; progress shows counts instead

    def sweep(self, run: Run) -> Iterator[Pass[Cursor, Page]]:
        self.run = run
        run.mark("templates")
        templates = call(lambda: list(self.client.list_templates()))
        with transaction.atomic():
            run.save(store.upsert_templates(templates, self._problem), phase="templates")
        # The prefetch thread gets a session of its own: requests' are not thread-safe.
        yield Pass(phase="badges", cursor_key="badges", initial=dict(START), step=after_badges,
                   fetch=partial(self._badge_page, self.client.fork()),
                   store=lambda page: store.upsert_badges(page[0], self._problem),
                   size=lambda page: len(page[0]))

    def _problem(self, text: str, counts) -> None:
        self.run.problem(text, counts)

    def _badge_page(self, reader: CredlyClient, cursor: Cursor) -> Page:
        since = date.fromisoformat(cursor["since"]) if cursor.get("since") else None
        return reader.badges_page(cursor["page"], updated_since=since, sort="updated_at",
                                  per=self.per_page)


def refresh_from_event(event_id: str, client: CredlyClient | None = None) -> str:
    """What a webhook said happened, read again through the authenticated API and stored;
    an event Credly does not know (a forged hint) changes nothing."""
    client = client or get_client()
    try:
        event = call(lambda: client.get_event(event_id))
    except PermanentError as exc:
        log.warning("credly webhook named event %s, which Credly does not confirm: %s",
                    event_id, exc)
        return "unconfirmed"
    with transaction.atomic():
        if isinstance(event.get("badge"), dict):
            store.upsert_badges([event["badge"]])
        if isinstance(event.get("badge_template"), dict):
            store.upsert_templates([event["badge_template"]])
    return str(event.get("event_type") or "stored")
