"""The file budget's promises that no test pinned (python -m mutation integrations/ratelimit.py)."""

import os
import stat
import threading
import time
import uuid

import pytest

from integrations import ratelimit
from integrations.ratelimit import FileStore, SharedBudget, Window


def test_a_budget_that_is_full_sleeps_instead_of_spinning(monkeypatch):
    answers = iter([5.0, 0.25, 0.0])
    slept = []

    class Store:
        def take(self, windows):
            return next(answers)

    monkeypatch.setattr(ratelimit.time, "sleep", slept.append)
    SharedBudget(Store(), lambda path: [Window("w", 1, 1.0)]).acquire("/x")
    assert slept == [ratelimit.MAX_SLEEP_SECONDS, 0.25]


def test_the_file_store_makes_its_folder_and_keeps_the_file_private(tmp_path):
    path = tmp_path / "deep" / "er" / "budget.json"
    store = FileStore(path)
    FileStore(path)  # a second worker on the same file
    assert store.take([Window("w", 1, 60.0)]) == 0.0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_torn_file_starts_the_windows_afresh(tmp_path):
    path = tmp_path / "budget.json"
    path.write_text('{"windows": {"w": [1')
    assert FileStore(path).take([Window("w", 1, 60.0)]) == 0.0
    assert FileStore(path).take([Window("w", 1, 60.0)]) > 0


def test_a_shrinking_state_leaves_no_stale_bytes_behind(tmp_path):
    store = FileStore(tmp_path / "budget.json")
    full, short = Window("full", 1, 60.0), Window("short", 100, 0.01)
    assert store.take([full, short]) == 0.0
    for _ in range(20):
        store.take([short])
    time.sleep(ratelimit.MIN_MARGIN_SECONDS + 0.05)
    store.take([short])  # the expired times drop out: the file gets shorter
    assert store.take([full]) > 50  # the full window is still remembered


def test_threads_sharing_one_file_never_exceed_the_limit(tmp_path):
    store = FileStore(tmp_path / "budget.json")
    window = Window("w", 40, 60.0)
    granted = []

    def worker():
        for _ in range(30):
            if store.take([window]) == 0.0:
                granted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 40


def test_the_store_follows_the_configuration(tmp_path):
    assert isinstance(ratelimit.store_for("zendesk", "", tmp_path), FileStore)
    # Connecting is lazy: no server is needed to tell which store it is.
    assert isinstance(ratelimit.store_for("zendesk", "redis://127.0.0.1:1/0", tmp_path),
                      ratelimit.RedisStore)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
def test_redis_counts_every_request_in_the_window():
    store = ratelimit.RedisStore(os.environ["REDIS_URL"], f"test:{uuid.uuid4().hex}")
    window = Window("w", 3, 60.0)
    assert [store.take([window]) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert 59 <= store.take([window]) <= 61
    store.block(0.0001)  # a pause shorter than a millisecond still blocks for one
