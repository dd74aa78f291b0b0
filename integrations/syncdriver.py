"""The inbound sync every adapter runs on: one run at a time, each page saved with its cursor."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import retry
from integrations.models import SyncState

log = logging.getLogger(__name__)

LEASE_SECONDS = 120
MAX_PROBLEMS = 20
MAX_PROBLEM_CHARS = 300
MAX_ERROR_CHARS = 2000

type Progress = Callable[[SyncState], None]
type Retry = Callable[[Callable[[], Any]], Any]


class LeaseLost(RuntimeError):
    """Another run took over (e.g. a forced one); this one must stop writing."""


@dataclass
class RunResult:
    ran: bool
    counts: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Step[C]:
    """Where a pass stands after a page: `cursor` is saved with it, and the next page (if `more`)
    is fetched from it."""

    cursor: C
    more: bool


@dataclass(frozen=True)
class Pass[C, P]:
    """One paged stream of an upstream, resumable from a cursor kept in SyncState.cursors.

    `fetch(cursor)` gets one page and runs on a prefetch thread, so it must be thread-safe and
    must not touch the database; `store(page)` writes it (inside the transaction that saves its
    cursor) and returns its counts; `size(page)`, when given, is how many of the items a full
    sync counts toward its total.
    """

    phase: str
    cursor_key: str
    fetch: Callable[[C], P]
    step: Callable[[C, P], Step[C]]
    store: Callable[[P], Counter]
    initial: C | None = None
    size: Callable[[P], int] | None = None


class Source(Protocol):
    """What an adapter supplies: its system name, a full sync's size, and its passes."""

    system: str

    def full_sync_total(self) -> int | None:
        """How many items a new full sync will bring in (for its progress), if known."""
        ...

    def sweep(self, run: Run) -> Iterable[Pass[Any, Any]]:
        """The passes of one sweep, in order; unpaged work (e.g. small lists mirrored whole)
        may run between them, reporting itself with run.mark(phase)."""
        ...


# ---- SyncState rows -------------------------------------------------------------------------
def state_of(system: str) -> SyncState:
    return SyncState.objects.get_or_create(system=system)[0]


def take_lease(system: str, *, force: bool = False, seconds: float = LEASE_SECONDS) -> str | None:
    """The lease's token, or None while another run holds an unexpired one (unless `force`)."""
    state_of(system)
    now, token = timezone.now(), uuid.uuid4().hex
    rows = SyncState.objects.filter(system=system)
    if not force:
        rows = rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    taken = rows.update(lease_token=token, lease_expires_at=now + timedelta(seconds=seconds),
                        last_started_at=now, phase="starting", rerun_requested=False)
    return token if taken else None


def release_lease(system: str, token: str) -> None:
    # Filtered by token: a run that lost its lease must not free the new holder's.
    SyncState.objects.filter(system=system, lease_token=token).update(
        lease_token="", lease_expires_at=None, phase="")


def request_rerun(system: str) -> None:
    """Something changed upstream while a run was going: it makes one more sweep before it stops."""
    SyncState.objects.filter(system=system).update(rerun_requested=True)


def request_full_sync(system: str) -> None:
    """Mark a full sync as wanted; whichever run comes next does it, so a lost task costs nothing."""
    state_of(system)
    SyncState.objects.filter(system=system).update(full_sync_requested_at=timezone.now())


# ---- a run ----------------------------------------------------------------------------------
def run(source: Source, *, full: bool = False, force: bool = False,
        progress: Progress | None = None, call: Retry | None = None,
        lease_seconds: float = LEASE_SECONDS) -> RunResult:
    """One run (swept again while reruns are requested); ran=False if another holds the lease."""
    system = source.system
    token = take_lease(system, force=force, seconds=lease_seconds)
    if token is None:
        request_rerun(system)
        return RunResult(ran=False)
    try:
        current = Run(source, token, progress=progress, call=call or retry.policy("sync").call,
                      lease_seconds=lease_seconds)
        try:
            while True:
                current.sweep(full=full or state_of(system).full_sync_requested_at is not None)
                full = False
                if not SyncState.objects.filter(system=system, lease_token=token,
                                                rerun_requested=True).update(rerun_requested=False):
                    break
            current.finish(error="")
        except LeaseLost:
            log.warning("%s sync: another run took over; stopping", system)
            return RunResult(ran=False, counts=current.counts)
        except BaseException as exc:  # KeyboardInterrupt too: the admin page should say it stopped
            current.finish(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS])
            raise
        return RunResult(ran=True, counts=current.counts)
    finally:
        release_lease(system, token)


class Run:
    """The state of one run holding the lease: its counts and problems, and the page loop."""

    def __init__(self, source: Source, token: str, *, progress: Progress | None = None,
                 call: Retry, lease_seconds: float = LEASE_SECONDS) -> None:
        self.source, self.system, self.token = source, source.system, token
        self.progress, self.call, self.lease_seconds = progress, call, lease_seconds
        self.counts: Counter = Counter()
        self.problems: list[str] = []
        self.state = state_of(self.system)

    def save(self, page_counts: Counter | None = None, **fields: Any) -> None:
        """Write the run's position (inside the page's transaction); LeaseLost if not ours."""
        state = self.state
        # The run's counts take the page only once it is written: a run that lost its lease
        # must not report a page that rolled back.
        counts = Counter(self.counts)
        if page_counts:
            counts.update(page_counts)
            totals = Counter(state.counts)
            totals.update(page_counts)
            fields["counts"] = dict(totals)
        fields.update(cursors=state.cursors, last_run_counts=dict(counts),
                      recent_problems=list(self.problems),
                      lease_expires_at=timezone.now() + timedelta(seconds=self.lease_seconds))
        for name, value in fields.items():
            setattr(state, name, value)
        if not SyncState.objects.filter(system=self.system, lease_token=self.token).update(**fields):
            raise LeaseLost()
        self.counts = counts
        if self.progress is not None:
            self.progress(state)

    def mark(self, phase: str) -> None:
        """Say what the run is doing now (and renew the lease) before unpaged work."""
        self.save(phase=phase)

    def problem(self, text: str, counts: Counter, kind: str = "skipped") -> None:
        """An upstream item skipped or repaired: counted with its page, kept for the admin."""
        counts[kind] += 1
        self.problems = (self.problems + [text[:MAX_PROBLEM_CHARS]])[-MAX_PROBLEMS:]
        (log.warning if kind == "skipped" else log.info)("%s sync %s: %s", self.system, kind, text)

    def finish(self, error: str) -> None:
        now = timezone.now()
        fields: dict[str, Any] = {"last_finished_at": now, "last_run_counts": dict(self.counts),
                                  "recent_problems": list(self.problems)}
        if error:
            fields.update(last_error=error, last_error_at=now)
        else:
            fields.update(last_success_at=now, last_error="")
        SyncState.objects.filter(system=self.system, lease_token=self.token).update(**fields)

    def sweep(self, *, full: bool) -> None:
        """Every pass once from its saved cursor; a full sync first clears the cursors."""
        self.state = state = state_of(self.system)
        if (full or not state.cursors) and not state.is_full_sync_running:
            # A new full sync (the first sync is one); an interrupted one is resumed instead.
            total = self.call(self.source.full_sync_total)
            state.cursors = {}
            self.save(full_sync_started_at=timezone.now(), full_sync_finished_at=None,
                      full_sync_requested_at=None, full_sync_total=total, full_sync_done=0)
        else:
            self.save(full_sync_requested_at=None)
        for paged in self.source.sweep(self):
            self._pass(paged)
        if state.is_full_sync_running:
            self.save(full_sync_finished_at=timezone.now(),
                      full_sync_done=state.full_sync_total or state.full_sync_done)

    def _pass[C, P](self, paged: Pass[C, P]) -> None:
        state = self.state
        start = state.cursors.get(paged.cursor_key) or paged.initial
        for step, page in self._pages(paged, start):
            with transaction.atomic():
                page_counts = paged.store(page)
                state.cursors[paged.cursor_key] = step.cursor
                done = state.full_sync_done
                if paged.size is not None and state.is_full_sync_running:
                    # Pages may overlap, so this is an estimate; never past the total.
                    n = paged.size(page)
                    done = min(done + n, state.full_sync_total or done + n)
                self.save(page_counts, phase=paged.phase, full_sync_done=done)

    def _pages[C, P](self, paged: Pass[C, P], start: C) -> Iterator[tuple[Step[C], P]]:
        """(step, page) in order; the next page is fetched on another thread while the caller
        writes this one."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.system}-prefetch")
        try:
            cursor = start
            future: Future[P] | None = pool.submit(self.call, partial(paged.fetch, cursor))
            while future is not None:
                page = future.result()
                step = paged.step(cursor, page)
                future = pool.submit(self.call, partial(paged.fetch, step.cursor)) if step.more else None
                yield step, page
                cursor = step.cursor
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def run_if_configured(is_configured: Callable[[], bool], run_sync: Callable[..., RunResult],
                      **options: Any) -> str:
    """What an adapter's sync task does: nothing without a configuration, else one run."""
    if not is_configured():
        return "not configured"
    return "done" if run_sync(**options).ran else "already running"
