"""A full sync killed with SIGKILL (no cleanup at all) and started again imports all, once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from integrations.zendesk import sync
from tests.processes import database_url
from tickets.models import Comment, Ticket

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db(transaction=True)
def test_killed_sync_process_resumes_and_imports_everything_once(fake_zendesk, settings,
                                                                tmp_path):
    fake_zendesk.seed(tickets=300, comments_per_ticket=3)
    fake_zendesk.duplicate_overlap = 3
    fake_zendesk.latency_ms = 15
    env = {**os.environ, "DATABASE_URL": database_url(), "EDUDESK_VAR_DIR": str(tmp_path),
           "ZENDESK_URL": settings.ZENDESK_URL, "ZENDESK_EMAIL": "api@edudesk.example",
           "ZENDESK_API_TOKEN": "t", "ZENDESK_RATE_LIMIT_PER_MINUTE": "0",
           "ZENDESK_INCREMENTAL_RATE_LIMIT_PER_MINUTE": "0", "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen(  # noqa: S603 - fixed argv, our own command
        [sys.executable, "manage.py", "zendesk_sync", "--full", "--per-page", "20",
         "--verbosity", "0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and worker.poll() is None:
            exported = [r for r in list(fake_zendesk.request_log)
                        if r.path.endswith("/incremental/tickets/cursor")]
            if len(exported) >= 6:
                break
            time.sleep(0.005)
        assert worker.poll() is None, f"sync ended before it was killed: {worker.stderr.read()}"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert 0 < Ticket.objects.count() < 300

    fake_zendesk.latency_ms = 0
    result = sync.run_sync(full=True, force=True)  # the dead run's lease has not expired yet

    assert result.ran
    assert sorted(Ticket.objects.values_list("zendesk_id", flat=True)) == sorted(
        fake_zendesk.tickets)
    expected = sorted(c["id"] for tid in fake_zendesk.tickets
                      for c in fake_zendesk.get_comments(tid))
    assert sorted(Comment.objects.values_list("zendesk_id", flat=True)) == expected
