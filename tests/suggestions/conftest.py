"""Suggestions fixtures: a small desk history, a trained model, tasks run in place."""

import pytest

from suggestions import selectors, services
from suggestions.synthetic import seed_history


@pytest.fixture(autouse=True)
def _no_model_kept_between_tests():
    selectors.forget_loaded_model()
    yield
    selectors.forget_loaded_model()


@pytest.fixture
def eager_tasks():
    """Tasks queued on commit run at once, in this process (no worker in the tests)."""
    from edudesk.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def history(db, agent):
    """Four hundred tickets and two hundred threads of agents' work, as the desk keeps it."""
    seed_history(tickets=400, threads=200, actor=agent)


@pytest.fixture
def trained(history):
    return services.train_model()
