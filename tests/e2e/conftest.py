"""Browser and worker fixtures: Debian's chromium, a real Celery worker process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Browser tests need Debian's chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    refused = watch_csp(page)
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"


def watch_csp(page) -> list[str]:
    """What the page's Content-Security-Policy refused (an inline script, an eval in htmx):
    each is a feature broken for users, so a test that saw one fails."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return refused


@pytest.fixture
def celery_worker_process(request):
    """Starts `celery worker` as its own process on the configured broker and database."""
    extra_env = getattr(request, "param", {}) or {}

    # Tasks queued by earlier tests (nothing consumed them) would come first and could take
    # the test's whole wait: the queue is emptied before the test queues its own.
    from edudesk.celery import app

    app.control.purge()

    def start(**env_overrides):
        env = {**os.environ, "DATABASE_URL": database_url(), **extra_env, **env_overrides}
        log = open(Path(settings.VAR_DIR) / "worker.log", "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "celery", "-A", "edudesk", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process

    started: list = []
    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


TEST_PASSWORD = "pw"  # noqa: S105 - the factories' password for test users


def sign_in(page, base_url: str, username: str, password: str = TEST_PASSWORD) -> None:
    """Through the login form, as a person would."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
