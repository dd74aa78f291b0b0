"""The retry policies' promises that no test pinned (python -m mutation integrations/retry.py)."""

import pytest

from integrations import retry
from integrations.errors import TransientError


def test_unattended_deliveries_keep_trying_for_hours():
    """A badge issued while Credly is down for an hour must not become a failure to chase."""
    policy = retry.policy("unattended")
    assert policy.max_attempts == 36
    worst_case = sum(min(policy.max_seconds, policy.base_seconds * 2 ** (n - 1)) * (1 - policy.jitter)
                     for n in range(1, policy.max_attempts))
    assert worst_case > 60 * 60


def test_the_named_policies_in_force():
    assert (retry.policy("delivery").max_attempts, retry.policy("delivery").max_seconds) == (8, 300.0)
    assert retry.policy("sync").max_attempts == 6 and retry.policy("sync").max_seconds == 60.0


def test_a_policy_makes_exactly_max_attempts_calls_then_raises():
    calls, waits = [], []

    def fails():
        calls.append(1)
        raise TransientError("down", 503)

    policy = retry.RetryPolicy(base_seconds=1.0, max_attempts=3, jitter=0)
    with pytest.raises(TransientError):
        policy.call(fails, sleep=waits.append)
    assert len(calls) == 3 and waits == [1.0, 2.0]


def test_the_default_policy_tries_eight_times():
    assert retry.RetryPolicy().max_attempts == 8


@pytest.mark.parametrize("field", ["base_seconds", "max_seconds"])
def test_fractions_of_a_second_are_valid_delays(field):
    assert getattr(retry.RetryPolicy(**{field: 0.5}), field) == 0.5
    with pytest.raises(ValueError):
        retry.RetryPolicy(**{field: -0.5})
