"""The sync driver with a tiny adapter whose upstream is a list of pages of item names."""

from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from integrations import syncdriver
from integrations.models import SyncState, WebhookEvent
from integrations.syncdriver import LeaseLost, Pass, Run, Step

pytestmark = pytest.mark.django_db
SYSTEM = "listed"


class Boom(Exception):
    pass


class ListSource:
    """Pages of item names; an item is stored as a WebhookEvent row, "bad" ones are skipped.

    `on_store(page_number, run)` runs inside a page's transaction after its rows are written,
    where a test can fail the page or do what a concurrent run would.
    """

    system = SYSTEM

    def __init__(self, pages: list[list[str]]) -> None:
        self.pages = pages
        self.fetched: list[int] = []
        self.sweeps = 0
        self.on_store: Callable[[int, Run], None] | None = None

    def full_sync_total(self) -> int:
        return sum(len(p) for p in self.pages)

    def sweep(self, run: Run) -> Iterator[Pass[int, tuple[int, list[str]]]]:
        self.sweeps += 1
        self.run = run
        yield Pass(phase="items", cursor_key="page", initial=0, fetch=self.fetch, step=self.step,
                   store=self.store, size=lambda page: len(page[1]))

    def fetch(self, number: int) -> tuple[int, list[str]]:
        self.fetched.append(number)
        return number, list(self.pages[number]) if number < len(self.pages) else []

    def step(self, number: int, page: tuple[int, list[str]]) -> Step[int]:
        following = number + 1 if page[1] else number
        return Step(following, more=following < len(self.pages))

    def store(self, page: tuple[int, list[str]]) -> Counter:
        counts: Counter = Counter()
        for name in page[1]:
            if name.startswith("bad"):
                self.run.problem(f"item {name} has no body", counts)
                continue
            WebhookEvent.objects.create(system=SYSTEM, event_id=name)
            counts["items"] += 1
        if self.on_store is not None:
            self.on_store(page[0], self.run)
        return counts


def stored() -> list[str]:
    return list(WebhookEvent.objects.filter(system=SYSTEM).order_by("pk")
                .values_list("event_id", flat=True))


def state() -> SyncState:
    return SyncState.objects.get(system=SYSTEM)


def no_retry(fn: Callable[[], object]) -> object:
    return fn()


def run(source: ListSource, **kwargs) -> syncdriver.RunResult:
    return syncdriver.run(source, call=no_retry, **kwargs)


def test_a_run_imports_every_page_and_records_counts_problems_and_full_sync_progress():
    source = ListSource([["a", "b"], ["bad-1", "c"], ["d"]])
    seen: list[tuple[str, int]] = []

    result = run(source, progress=lambda s: seen.append((s.phase, s.full_sync_done)))

    assert result.ran and result.counts == {"items": 4, "skipped": 1}
    assert stored() == ["a", "b", "c", "d"] and source.fetched == [0, 1, 2]
    s = state()
    assert s.cursors == {"page": 3} and s.counts == s.last_run_counts == {"items": 4, "skipped": 1}
    assert s.recent_problems == ["item bad-1 has no body"]
    assert s.full_sync_total == s.full_sync_done == 5 and s.full_sync_finished_at
    assert s.last_success_at == s.last_finished_at and not s.last_error
    assert not s.is_running and not s.lease_token and s.phase == ""
    assert ("items", 2) in seen and ("items", 4) in seen  # progress after every page

    source.pages.append(["e", "bad-2"])
    again = run(source)

    assert again.counts == {"items": 1, "skipped": 1} and stored()[-1] == "e"
    assert source.fetched[3:] == [3]  # from the saved cursor, not a full sync again
    s = state()
    assert s.counts == {"items": 5, "skipped": 2} and s.last_run_counts == {"items": 1, "skipped": 1}
    assert s.recent_problems == ["item bad-2 has no body"]  # the last run's, not all time's


def test_problems_kept_are_capped():
    run(ListSource([[f"bad-{n}" for n in range(syncdriver.MAX_PROBLEMS + 5)]]))
    problems = state().recent_problems
    assert len(problems) == syncdriver.MAX_PROBLEMS and problems[-1].startswith(
        f"item bad-{syncdriver.MAX_PROBLEMS + 4} ")


def test_a_run_that_fails_mid_way_releases_the_lease_and_the_next_resumes_from_its_cursor():
    source = ListSource([["a", "b"], ["c"], ["d", "e"]])

    def fail_on_second_page(number: int, _run: Run) -> None:
        if number == 1:
            raise Boom("killed on page 1")
    source.on_store = fail_on_second_page

    with pytest.raises(Boom):
        run(source)

    s = state()
    assert stored() == ["a", "b"]  # the second page rolled back with its cursor
    assert s.cursors == {"page": 1} and "Boom: killed on page 1" in s.last_error
    assert not s.lease_token and not s.is_running and s.is_full_sync_running
    assert syncdriver.take_lease(SYSTEM) is not None  # nobody is locked out
    syncdriver.release_lease(SYSTEM, state().lease_token)

    source.on_store, source.fetched = None, []
    assert run(source).ran

    assert stored() == ["a", "b", "c", "d", "e"] and source.fetched == [1, 2]
    s = state()
    assert s.full_sync_finished_at and s.full_sync_done == 5 and not s.last_error


def test_a_failing_fetch_or_setup_releases_the_lease_too():
    class Down(ListSource):
        def full_sync_total(self) -> int:
            raise Boom("upstream down")

    with pytest.raises(Boom):
        run(Down([["a"]]))
    assert not state().lease_token and "upstream down" in state().last_error


def test_a_second_run_is_refused_while_one_holds_the_lease_and_asks_for_a_rerun():
    assert syncdriver.take_lease(SYSTEM)
    source = ListSource([["a"]])

    result = run(source)

    assert result.ran is False and source.fetched == [] and stored() == []
    assert state().rerun_requested


def test_a_forced_run_takes_over_and_the_old_one_stops_before_writing_more():
    taken: list[str | None] = []

    class TakenOver(ListSource):
        def step(self, number: int, page: tuple[int, list[str]]) -> Step[int]:
            if number == 1:  # between pages (outside a page's transaction), as another run would
                taken.append(syncdriver.take_lease(SYSTEM, force=True))
            return super().step(number, page)

    result = run(TakenOver([["a"], ["b"], ["c"]]))

    assert result.ran is False and stored() == ["a"]  # page 1 rolled back, page 2 never stored
    s = state()
    assert s.cursors == {"page": 1} and taken[0] and s.lease_token == taken[0]
    assert not s.last_error  # the old run leaves the row to the new holder


def test_a_run_that_lost_its_lease_raises_lease_lost_on_its_next_write():
    source = ListSource([["a"]])
    token = syncdriver.take_lease(SYSTEM)
    current = Run(source, token, call=no_retry)
    syncdriver.take_lease(SYSTEM, force=True)
    with pytest.raises(LeaseLost):
        current.mark("items")


def test_a_rerun_requested_during_a_run_makes_exactly_one_more_sweep():
    source = ListSource([["a"], ["b"]])

    def webhooks_arrive(number: int, _run: Run) -> None:
        if source.sweeps == 1 and number == 1:
            source.pages.append(["c"])  # a change upstream, and two webhooks about it
            assert run(ListSource([])).ran is False
            syncdriver.request_rerun(SYSTEM)
    source.on_store = webhooks_arrive

    result = run(source)

    assert result.ran and source.sweeps == 2 and stored() == ["a", "b", "c"]
    assert result.counts == {"items": 3} and not state().rerun_requested


def test_a_requested_full_sync_starts_over_from_the_beginning():
    source = ListSource([["a"], ["b"]])
    run(source)
    first = state().full_sync_started_at
    WebhookEvent.objects.all().delete()
    syncdriver.request_full_sync(SYSTEM)
    source.fetched = []

    run(source)

    s = state()
    assert source.fetched == [0, 1] and stored() == ["a", "b"]
    assert s.full_sync_requested_at is None and s.full_sync_started_at > first
    assert s.full_sync_finished_at > s.full_sync_started_at and s.full_sync_done == 2
