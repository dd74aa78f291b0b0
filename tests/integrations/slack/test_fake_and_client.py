"""FakeSlack and SlackClient exercised together over real loopback HTTP."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations.errors import PermanentError, RateLimited, TransientError
from integrations.slack.client import SlackClient
from integrations.slack.fake import FakeSlack

TOKEN = "xoxb-test-token"
CHANNEL = "#field-enablement-team"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(token=TOKEN)
    server.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def client(fake: FakeSlack) -> Iterator[SlackClient]:
    with SlackClient(fake.base_url, TOKEN) as c:
        yield c


def test_post_message_success(fake: FakeSlack, client: SlackClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_post_message(CHANNEL, "hello", blocks=blocks)
    reply = client.chat_post_message(first["channel"], "reply", thread_ts=first["ts"])

    assert first["ok"] is True
    assert first["channel"] == fake.channel_ids[CHANNEL]
    assert re.fullmatch(r"\d+\.\d{6}", first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    assert [(m["channel_name"], m["text"], m["thread_ts"]) for m in fake.messages] == [
        (CHANNEL, "hello", None),
        (CHANNEL, "reply", first["ts"]),
    ]


def test_base_url_may_already_end_in_api(fake: FakeSlack) -> None:
    with SlackClient(fake.base_url + "/api/", TOKEN) as c:
        assert c.chat_post_message("#ld-delegates", "x")["ok"] is True


def test_channel_not_found_is_permanent(client: SlackClient) -> None:
    with pytest.raises(PermanentError) as info:
        client.chat_post_message("#nope", "hello")
    assert info.value.message == "channel_not_found"
    assert info.value.code == "channel_not_found"


def test_archived_channel_is_permanent(fake: FakeSlack, client: SlackClient) -> None:
    fake.archive("#ld-delegates")
    with pytest.raises(PermanentError, match="is_archived"):
        client.chat_post_message("#ld-delegates", "hello")
    assert fake.messages == []


def test_wrong_token_is_invalid_auth(fake: FakeSlack) -> None:
    with SlackClient(fake.base_url, "xoxb-wrong") as c, pytest.raises(PermanentError) as info:
        c.chat_post_message(CHANNEL, "hello")
    assert info.value.message == "invalid_auth"
    assert "xoxb-wrong" not in repr(c)


def test_fake_without_auth_header_says_not_authed(fake: FakeSlack) -> None:
    resp = requests.post(f"{fake.base_url}/api/chat.postMessage",
                         data={"channel": CHANNEL, "text": "x"}, timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"ok": False, "error": "not_authed"}


def test_fake_accepts_form_body_and_requires_text(fake: FakeSlack) -> None:
    url, auth = f"{fake.base_url}/api/chat.postMessage", {"Authorization": f"Bearer {TOKEN}"}
    ok = requests.post(url, data={"channel": "C0002", "text": "form"}, headers=auth, timeout=5)
    empty = requests.post(url, data={"channel": "C0002"}, headers=auth, timeout=5)
    assert ok.json()["ok"] is True and fake.messages[0]["channel_name"] == "#edu_services_team"
    assert empty.json()["error"] == "no_text"


def test_throttle_gives_rate_limited_with_retry_after(fake: FakeSlack) -> None:
    fake.rate_limit_per_second, fake.retry_after_seconds = 1, 7
    with SlackClient(fake.base_url, TOKEN) as c:
        c.chat_post_message(CHANNEL, "first")
        with pytest.raises(RateLimited) as info:
            c.chat_post_message(CHANNEL, "second")
        c.chat_post_message("#ld-delegates", "other channel has its own budget")
    assert info.value.status == 429
    assert info.value.retry_after == 7
    assert len(fake.messages) == 2


def test_injected_server_error_is_transient(fake: FakeSlack, client: SlackClient) -> None:
    fake.error_rate = 1.0
    with pytest.raises(TransientError) as info:
        client.chat_post_message(CHANNEL, "hello")
    assert info.value.status in (500, 503)


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:  # grab a free port, then close it so nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with SlackClient(f"http://127.0.0.1:{port}", TOKEN, timeout=1) as c:
        with pytest.raises(TransientError) as info:
            c.chat_post_message(CHANNEL, "hello")
    assert info.value.status is None


def test_rate_budget_is_acquired_before_each_request(fake: FakeSlack) -> None:
    class Budget:
        calls = 0

        def acquire(self, path: str) -> None:  # the budget protocol every adapter shares
            self.calls += 1

    budget = Budget()
    with SlackClient(fake.base_url, TOKEN, rate_budget=budget) as c:
        c.chat_post_message(CHANNEL, "a")
        c.post_incoming_webhook(fake.add_webhook(CHANNEL), "b")
    assert budget.calls == 2


def test_webhook_ok(fake: FakeSlack, client: SlackClient) -> None:
    path = fake.add_webhook("#edu_services_team")
    assert client.post_incoming_webhook(fake.base_url + path, "deployed") is None
    assert fake.messages[0]["channel_name"] == "#edu_services_team"
    assert fake.messages[0]["text"] == "deployed"


def test_webhook_plain_text_ok_body(fake: FakeSlack) -> None:
    resp = requests.post(fake.base_url + fake.add_webhook(CHANNEL), json={"text": "x"}, timeout=5)
    assert (resp.status_code, resp.text) == (200, "ok")


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("unknown_path", 404, "no_service"),
        ("channel_gone", 404, "channel_not_found"),
        ("archived", 410, "channel_is_archived"),
    ],
)
def test_webhook_errors_are_permanent(
    fake: FakeSlack, client: SlackClient, setup: str, status: int, code: str
) -> None:
    path = fake.add_webhook("#ld-delegates")
    if setup == "unknown_path":
        path = "/services/T0000FAKE/B9999/doesnotexist"
    elif setup == "channel_gone":
        fake.webhooks[path] = "#deleted-channel"
    else:
        fake.archive("#ld-delegates")
    with pytest.raises(PermanentError) as info:
        client.post_incoming_webhook(path, "hello")
    assert (info.value.status, info.value.message, info.value.code) == (status, code, code)


def test_webhook_injected_error_is_transient(fake: FakeSlack, client: SlackClient) -> None:
    fake.error_rate = 1.0
    with pytest.raises(TransientError, match="rollup_error"):
        client.post_incoming_webhook(fake.add_webhook(CHANNEL), "hello")


def test_webhook_bad_payload(fake: FakeSlack) -> None:
    url = fake.base_url + fake.add_webhook(CHANNEL)
    bad = requests.post(url, data=b"{not json", headers={"Content-Type": "application/json"},
                        timeout=5)
    empty = requests.post(url, data=json.dumps({}), timeout=5)
    assert (bad.status_code, bad.text) == (400, "invalid_payload")
    assert (empty.status_code, empty.text) == (400, "no_text")


def test_module_runs_standalone_and_prints_base_url() -> None:
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "integrations.slack.fake", "--port", "0", "--token", TOKEN],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        with SlackClient(base_url, TOKEN) as c:
            assert c.chat_post_message(CHANNEL, "standalone")["ok"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=5)
