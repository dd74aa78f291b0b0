"""The sync driver's promises that no test pinned (python -m mutation integrations/syncdriver.py):
one system's run never touches another's row, a dead run's lease expires, the admin page's
progress and errors are written as they happen."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import syncdriver
from integrations.models import SyncState
from integrations.syncdriver import Pass, Step
from tests.integrations.test_syncdriver import SYSTEM, Boom, ListSource, run, state, stored

pytestmark = pytest.mark.django_db
OTHER = "other-system"


def other() -> SyncState:
    return SyncState.objects.get(system=OTHER)


def test_a_run_never_touches_another_systems_row():
    syncdriver.state_of("idle-system")
    token = syncdriver.take_lease(OTHER)
    assert run(ListSource([["a"]])).ran
    syncdriver.request_rerun(SYSTEM)
    syncdriver.request_full_sync(SYSTEM)
    o = other()
    assert o.lease_token == token and o.lease_expires_at > timezone.now()
    assert not o.rerun_requested and o.full_sync_requested_at is None
    assert o.phase == "starting" and o.cursors == {}
    idle = SyncState.objects.get(system="idle-system")
    assert idle.lease_token == "" and idle.phase == "" and idle.last_started_at is None


def test_taking_a_lease_shows_the_run_starting():
    syncdriver.state_of(SYSTEM)
    SyncState.objects.filter(system=SYSTEM).update(rerun_requested=True, phase="items")
    before = timezone.now()
    assert syncdriver.take_lease(SYSTEM, seconds=30)
    s = state()
    assert s.phase == "starting" and not s.rerun_requested and s.last_started_at >= before
    assert 25 <= (s.lease_expires_at - timezone.now()).total_seconds() <= 30


def test_the_lease_of_a_run_that_died_expires():
    assert syncdriver.take_lease(SYSTEM)
    SyncState.objects.filter(system=SYSTEM).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert syncdriver.take_lease(SYSTEM) is not None


def test_a_full_sync_request_on_a_system_never_synced_is_kept():
    syncdriver.request_full_sync("brand-new")
    assert SyncState.objects.get(system="brand-new").full_sync_requested_at is not None


def test_a_forced_run_takes_the_lease_from_a_live_holder():
    syncdriver.take_lease(SYSTEM)
    assert run(ListSource([["a"]]), force=True).ran and stored() == ["a"]


def test_the_lease_is_renewed_for_lease_seconds_with_every_page():
    at_start, renewed = [], []

    class Watched(ListSource):
        def full_sync_total(self):
            at_start.append(SyncState.objects.get(system=SYSTEM).lease_expires_at - timezone.now())
            return super().full_sync_total()

    source = Watched([["a"], ["b"]])

    def nearly_expired(number, _run):  # the page took a while
        SyncState.objects.filter(system=SYSTEM).update(
            lease_expires_at=timezone.now() + timedelta(seconds=1))

    source.on_store = nearly_expired

    def progress(state):
        lease = SyncState.objects.get(system=SYSTEM).lease_expires_at
        renewed.append((lease - timezone.now()).total_seconds())

    assert run(source, lease_seconds=7, progress=progress).ran
    assert at_start[0] <= timedelta(seconds=7)
    assert renewed and all(4 <= s <= 7 for s in renewed)


def test_the_admin_sees_each_pages_counts_and_problems_as_they_happen():
    rows = []
    source = ListSource([["a", "bad-1"], ["b"]])
    run(source, progress=lambda s: rows.append(SyncState.objects.get(system=SYSTEM)))
    after_first = next(r for r in rows if r.cursors == {"page": 1})
    assert after_first.last_run_counts == {"items": 1, "skipped": 1}
    assert after_first.recent_problems == ["item bad-1 has no body"]


def test_unpaged_work_shows_its_phase():
    phases = []

    class Marks(ListSource):
        def sweep(self, run_):
            run_.mark("groups")
            phases.append(SyncState.objects.get(system=SYSTEM).phase)
            yield from super().sweep(run_)

    run(Marks([["a"]]))
    assert phases == ["groups"]


def test_the_given_retry_wraps_every_upstream_call():
    calls = []

    def counting(fn):
        calls.append(fn)
        return fn()

    syncdriver.run(ListSource([["a"], ["b"]]), call=counting)
    assert len(calls) == 3  # the full sync's total and two pages


def test_a_rerun_after_a_full_sync_is_incremental():
    source = ListSource([["a"], ["b"]])

    def rerun_once(number, _run):
        if source.sweeps == 1 and number == 1:
            syncdriver.request_rerun(SYSTEM)

    source.on_store = rerun_once
    run(source, full=True)
    assert source.sweeps == 2 and source.fetched == [0, 1, 2]  # the rerun from the cursor


def test_a_run_taken_over_reports_what_it_stored_before():
    class TakenOver(ListSource):
        def step(self, number, page):
            if number == 1:
                syncdriver.take_lease(SYSTEM, force=True)
            return super().step(number, page)

    result = run(TakenOver([["a"], ["b"], ["c"]]))
    assert result.ran is False and result.counts == {"items": 1}


def test_a_failed_run_says_when():
    source = ListSource([["a"]])
    source.on_store = lambda number, _run: (_ for _ in ()).throw(Boom("down"))
    before = timezone.now()
    with pytest.raises(Boom):
        run(source)
    assert state().last_error_at >= before


def test_an_error_after_a_takeover_leaves_the_new_holders_row_alone():
    class TakenOverThenFails(ListSource):
        def step(self, number, page):
            if number == 0:
                syncdriver.take_lease(SYSTEM, force=True)
                raise Boom("after the takeover")
            return super().step(number, page)

    with pytest.raises(Boom):
        run(TakenOverThenFails([["a"], ["b"]]))
    assert state().last_error == ""


def test_a_new_full_sync_counts_from_zero_and_ends_at_its_total():
    source = ListSource([["a"], ["b"]])
    run(source)
    syncdriver.request_full_sync(SYSTEM)
    done = []
    run(source, progress=lambda s: done.append(s.full_sync_done))
    assert done[0] == 0 and state().full_sync_done == 2


def test_a_full_sync_whose_pages_overlap_still_ends_at_its_total():
    class Overlapping(ListSource):
        def sweep(self, run_):
            self.run = run_
            yield Pass(phase="items", cursor_key="page", initial=0, fetch=self.fetch,
                       step=self.step, store=self.store, size=lambda page: 0)

    run(Overlapping([["a"], ["b"]]))
    assert state().full_sync_done == 2


def test_a_full_sync_of_unknown_size_counts_what_it_stored():
    class Unknown(ListSource):
        def full_sync_total(self):
            return None

    run(Unknown([["a", "b"], ["c"]]))
    s = state()
    assert s.full_sync_total is None and s.full_sync_done == 3


def test_an_incremental_run_leaves_the_full_syncs_count_alone():
    source = ListSource([["a"]])
    run(source)
    source.pages.append(["b", "c"])
    run(source)
    assert state().full_sync_done == 1


def test_a_pass_without_initial_cursor_or_size_starts_from_none():
    started = []

    class Bare(ListSource):
        def sweep(self, run_):
            self.run = run_
            yield Pass(phase="items", cursor_key="page", fetch=self.fetch_from, step=self.step_from,
                       store=lambda page: Counter(items=len(page)))

        def fetch_from(self, cursor):
            started.append(cursor)
            return ["x"]

        def step_from(self, cursor, page):
            return Step("end", more=False)

    assert run(Bare([])).ran
    assert started == [None]


def test_run_if_configured():
    assert syncdriver.run_if_configured(lambda: False, lambda: pytest.fail("ran")) == "not configured"
    assert syncdriver.run_if_configured(lambda: True, lambda **o: syncdriver.RunResult(ran=True)) == "done"
    assert syncdriver.run_if_configured(
        lambda: True, lambda **o: syncdriver.RunResult(ran=False)) == "already running"


def test_a_full_sync_requested_while_one_is_interrupted_is_served_by_resuming_it():
    source = ListSource([["a"], ["b"]])
    source.on_store = lambda number, _run: (_ for _ in ()).throw(Boom("x")) if number == 1 else None
    with pytest.raises(Boom):
        run(source)
    syncdriver.request_full_sync(SYSTEM)
    source.on_store, source.fetched = None, []
    run(source)
    s = state()
    assert source.fetched == [1] and s.full_sync_requested_at is None
