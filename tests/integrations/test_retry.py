"""RetryPolicy: delays within bounds, Retry-After honoured, giving up after max_attempts."""

from __future__ import annotations

import dataclasses

import pytest

from integrations import retry
from integrations.errors import ConflictError, PermanentError, RateLimited, TransientError
from integrations.retry import RetryPolicy


@pytest.fixture(autouse=True)
def _fresh_policies():
    retry.reset()
    yield
    retry.reset()


def test_delay_is_exponential_with_jitter_between_half_and_full_ceiling_and_capped():
    p = RetryPolicy(base_seconds=2, max_seconds=60, max_attempts=8, jitter=0.5)
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (40, 60), (10_000, 60)]:
        samples = [p.delay(attempt) for _ in range(300)]
        assert all(ceiling / 2 <= d <= ceiling for d in samples), attempt
        assert max(samples) - min(samples) > ceiling / 10  # jittered, not one fixed value


def test_delay_without_jitter_is_exact():
    p = RetryPolicy(base_seconds=1, max_seconds=10, max_attempts=5, jitter=0)
    assert [p.delay(a) for a in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert p.delay(0) == 1  # "no attempt yet" waits the base, never less


@pytest.mark.parametrize(("retry_after", "expected"), [(7, 7), (0, 0), (0.25, 0.25), (-3, 0),
                                                       (86_400, 300)])
def test_delay_honours_retry_after_capped_at_max(retry_after, expected):
    p = RetryPolicy(base_seconds=2, max_seconds=300, max_attempts=8)
    assert p.delay(5, retry_after=retry_after) == expected


def test_call_gives_up_after_max_attempts_and_reraises_the_last_error():
    calls: list[int] = []
    waits: list[float] = []

    def always_down() -> None:
        calls.append(1)
        raise TransientError(f"down {len(calls)}", 503)

    p = RetryPolicy(base_seconds=1, max_seconds=8, max_attempts=4, jitter=0)
    with pytest.raises(TransientError, match="down 4"):
        p.call(always_down, sleep=waits.append)
    assert len(calls) == 4
    assert waits == [1, 2, 4]  # no wait after the last attempt


def test_call_waits_retry_after_on_429_and_503_then_returns():
    answers: list[Exception | str] = [RateLimited("slow down", retry_after=3.5),
                                      TransientError("busy", 503, retry_after=2), "done"]
    waits: list[float] = []

    def fn() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    p = RetryPolicy(base_seconds=100, max_seconds=300, max_attempts=3)
    assert p.call(fn, sleep=waits.append) == "done"
    assert waits == [3.5, 2]


@pytest.mark.parametrize("error", [PermanentError("bad", 422), ConflictError("changed", 409),
                                   ValueError("a bug")])
def test_call_does_not_retry_other_errors(error):
    calls: list[int] = []

    def fn() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        RetryPolicy().call(fn, sleep=lambda s: pytest.fail("must not sleep"))
    assert calls == [1]


def test_single_attempt_policy_never_retries():
    waits: list[float] = []
    with pytest.raises(RateLimited):
        RetryPolicy(max_attempts=1).call(lambda: (_ for _ in ()).throw(RateLimited("x")),
                                         sleep=waits.append)
    assert waits == []


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"jitter": 1.5}, {"base_seconds": -1}])
def test_nonsense_policies_are_refused(bad):
    with pytest.raises(ValueError):
        RetryPolicy(**bad)


def test_named_defaults():
    assert retry.policy("delivery") == RetryPolicy(base_seconds=2, max_seconds=300,
                                                   max_attempts=8, jitter=0.5)
    assert retry.policy("sync") == RetryPolicy(base_seconds=1, max_seconds=60, max_attempts=6,
                                               jitter=0.5)
    with pytest.raises(KeyError, match="nope"):
        retry.policy("nope")  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        retry.policy("sync").max_attempts = 1  # type: ignore[misc]


def test_overridden_sets_every_policy_in_one_place_and_restores():
    with retry.overridden(base_seconds=0.02):
        assert retry.policy("delivery").base_seconds == retry.policy("sync").base_seconds == 0.02
        assert retry.policy("delivery").max_attempts == 8  # other fields kept
        with retry.overridden("sync", max_attempts=2):
            assert retry.policy("sync").max_attempts == 2
            assert retry.policy("delivery").max_attempts == 8
        assert retry.policy("sync").max_attempts == 6
    assert retry.policy("delivery") == retry.DEFAULTS["delivery"]
    assert retry.policy("sync") == retry.DEFAULTS["sync"]


def test_configure_and_reset():
    retry.configure("delivery", max_attempts=3)
    assert retry.policy("delivery").max_attempts == 3
    assert retry.policy("sync") == retry.DEFAULTS["sync"]
    with pytest.raises(TypeError):
        retry.configure(base=1)  # a misspelt field fails loudly
    retry.reset()
    assert retry.policy("delivery") == retry.DEFAULTS["delivery"]
