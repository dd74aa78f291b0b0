"""The fake as its own process, and the client built from settings."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from integrations.errors import PermanentError
from integrations.gmail import conf
from integrations.gmail.client import GmailClient
from integrations.gmail.fake import GROUP, MAILBOX

REPO = Path(__file__).resolve().parents[3]


def test_cli_prints_its_url_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "integrations.gmail.fake", "--port", "0", "--token", "ya29.cli",
         "--messages", "5"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert "5 messages" in proc.stdout.readline()
        with GmailClient(base_url, "ya29.cli") as client:
            assert client.get_profile()["messagesTotal"] == 5
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def gmail_settings(settings, fake_gmail):
    settings.GMAIL_API_URL = fake_gmail.base_url
    settings.GMAIL_MAILBOX = MAILBOX
    settings.GMAIL_GROUP_ADDRESS = GROUP
    settings.GMAIL_OAUTH_TOKEN = fake_gmail.token
    return settings


def test_client_from_settings(gmail_settings):
    assert conf.is_configured()
    client = conf.get_client()
    assert client.get_profile()["emailAddress"] == MAILBOX
    assert conf.get_client() is client  # one per thread: its connections stay open
    assert conf.group_address() == GROUP
    refreshed = conf.get_client(token_provider=lambda: gmail_settings.GMAIL_OAUTH_TOKEN)
    assert refreshed is not client and refreshed.get_profile()["emailAddress"] == MAILBOX


@pytest.mark.parametrize("missing", conf.NAMES)
def test_each_setting_is_required(gmail_settings, missing):
    setattr(gmail_settings, missing, "")
    assert not conf.is_configured()
    with pytest.raises(PermanentError, match="not configured"):
        conf.get_client()


def test_absent_settings_mean_not_configured(settings):
    for name in conf.NAMES:
        if hasattr(settings, name):
            delattr(settings, name)
    assert not conf.is_configured()
