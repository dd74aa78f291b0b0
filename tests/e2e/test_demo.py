"""The README's `make run`: the embedded demo starts, its tickets arrive through the
Zendesk sync, an agent's action reaches (fake) Zendesk through the worker, and Ctrl-C
(SIGTERM) stops every process it started."""

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import ROOT
from tests.processes import wait_for

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the embedded default is what `make run` uses; checked in the SQLite run")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,  # noqa: S603
                   capture_output=True, timeout=120)


def test_make_run_demo_end_to_end(tmp_path):
    env = {**os.environ, "EDUDESK_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    _manage("migrate", "--noinput", env=env)
    _manage("seed_demo", "--tickets", "0", env=env)
    web, slack, zendesk = _free_port(), _free_port(), _free_port()
    log = open(tmp_path / "demo.log", "w")  # noqa: SIM115 - closed in finally
    demo = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "run_demo", "--port", str(web), "--slack-port", str(slack),
         "--zendesk-port", str(zendesk)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{web}"
    try:
        assert wait_for(lambda: _answers(web), timeout=90), (tmp_path / "demo.log").read_text()
        assert requests.get(f"{base}/healthz", timeout=20).json()["status"] == "ok"
        token = requests.post(f"{base}/api/v1/auth/token/", timeout=20,
                              data={"username": "ada", "password": "edudesk-demo"}).json()["token"]
        api = requests.Session()
        api.headers["Authorization"] = f"Token {token}"
        triage = api.get(f"{base}/api/v1/views/triage/tickets/", timeout=20).json()["results"]
        assert triage and all(t["zendesk_id"] for t in triage)  # they came from Zendesk
        ticket = triage[0]["id"]
        assert api.post(f"{base}/api/v1/tickets/{ticket}/assign/", timeout=20).status_code == 200

        def delivered():
            deliveries = api.get(f"{base}/api/v1/tickets/{ticket}/", timeout=20).json()["deliveries"]
            return deliveries and deliveries[0]["state"] == "sent"

        assert wait_for(delivered, timeout=60), (tmp_path / "demo.log").read_text()[-3000:]
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        log.close()
    assert not any(_answers(port) for port in (web, slack, zendesk))
