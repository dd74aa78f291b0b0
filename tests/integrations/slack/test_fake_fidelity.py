"""FakeSlack refuses what Slack refuses, with Slack's codes, checked with the official slack_sdk."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from integrations.slack.fake import FakeSlack

TOKEN = "xoxb-test-token"
CHANNEL = "#field-enablement-team"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack(token=TOKEN)
    server.start(port=0)
    yield server
    server.stop()


def sdk(fake: FakeSlack, token: str = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.base_url + "/api/", timeout=5)


def post(fake: FakeSlack, token: str | None = TOKEN, headers: dict | None = None,
         **kw) -> requests.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{fake.base_url}/api/chat.postMessage",
                         headers={**auth, **(headers or {})}, timeout=5, **kw)


def test_slack_sdk_posts_and_gets_slack_errors(fake):
    client = sdk(fake)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Badge* reissued"}}]
    resp = client.chat_postMessage(channel=CHANNEL, text="Badge reissued", blocks=blocks)
    assert resp["ok"] is True and resp["channel"] == fake.channel_ids[CHANNEL]
    assert fake.messages[-1]["blocks"] == blocks

    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="#no-such-channel", text="hi")
    assert info.value.response["error"] == "channel_not_found"
    assert info.value.response.status_code == 200

    with pytest.raises(SlackApiError) as info:
        sdk(fake, token="xoxb-wrong").chat_postMessage(channel=CHANNEL, text="hi")
    assert info.value.response["error"] == "invalid_auth"
    assert len(fake.messages) == 1


def test_slack_sdk_sees_429_with_retry_after(fake):
    fake.rate_limit_per_second = 1
    client = sdk(fake)
    client.chat_postMessage(channel=CHANNEL, text="first")
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel=CHANNEL, text="second")
    assert info.value.response.status_code == 429
    assert info.value.response["error"] == "ratelimited"
    assert info.value.response.headers["Retry-After"] == "1"


@pytest.mark.parametrize(("kwargs", "token", "error"), [
    ({"json": {"channel": CHANNEL, "text": "x"}}, None, "not_authed"),
    # A JSON body's token does not count: Slack reads it from the Authorization header only.
    ({"json": {"channel": CHANNEL, "text": "x", "token": TOKEN}}, None, "not_authed"),
    ({"json": {"channel": CHANNEL, "text": "x"}}, "xoxb-guess", "invalid_auth"),
    ({"json": {"channel": "#gone", "text": "x"}}, TOKEN, "channel_not_found"),
    ({"json": {"text": "x"}}, TOKEN, "channel_not_found"),
    ({"json": {"channel": CHANNEL}}, TOKEN, "no_text"),
    ({"json": {"channel": CHANNEL, "text": "", "blocks": []}}, TOKEN, "no_text"),
    ({"json": {"channel": CHANNEL, "text": "x" * 40_001}}, TOKEN, "msg_too_long"),
    ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, TOKEN,
     "invalid_json"),
    ({"json": ["channel", CHANNEL]}, TOKEN, "json_not_object"),
    ({"data": {"channel": CHANNEL, "text": "x", "blocks": "[{"}}, TOKEN,
     "invalid_blocks_format"),
    ({"json": {"channel": CHANNEL, "text": "x", "blocks": {"type": "divider"}}}, TOKEN,
     "invalid_blocks_format"),
])
def test_refusals_are_http_200_with_slacks_error_code(fake, kwargs, token, error):
    resp = post(fake, token, **kwargs)
    assert resp.status_code == 200
    assert resp.json()["ok"] is False and resp.json()["error"] == error
    assert fake.messages == []


def test_form_body_and_form_token_are_accepted_like_slack(fake):
    resp = requests.post(f"{fake.base_url}/api/chat.postMessage", timeout=5, data={
        "token": TOKEN, "channel": "C0002", "text": "form",
        "blocks": json.dumps([{"type": "divider"}])})
    assert resp.json()["ok"] is True
    assert fake.messages[0]["channel_name"] == "#edu_services_team"
    assert fake.messages[0]["blocks"] == [{"type": "divider"}]
    # A 40,000-character message is still fine; one more is not (see the refusals above).
    assert post(fake, json={"channel": CHANNEL, "text": "x" * 40_000}).json()["ok"] is True


def test_wrongly_typed_json_fields_are_invalid_arguments(fake):
    body = post(fake, json={"channel": CHANNEL, "text": 42, "unfurl_links": "yes"}).json()
    assert body["error"] == "invalid_arguments"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] must provide a string [json-pointer:/text]",
        "[ERROR] must provide a boolean [json-pointer:/unfurl_links]"]
    assert post(fake, json={"channel": ["C0001"], "text": "x"}).json()["error"] == (
        "invalid_arguments")


@pytest.mark.parametrize(("blocks", "message"), [
    ([{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}],
     "must be a valid enum value [json-pointer:/blocks/0/type]"),
    ([{"text": {"type": "mrkdwn", "text": "x"}}],
     "missing required field: type [json-pointer:/blocks/0]"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
     "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x", "verbatim": True}},
      {"type": "divider", "colour": "red"}],
     "invalid additional property: colour [json-pointer:/blocks/1]"),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}],
     "must be a valid enum value [json-pointer:/blocks/0/text/type]"),
    ([{"type": "divider"}] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
])
def test_malformed_blocks_are_invalid_blocks_with_pointers(fake, blocks, message):
    body = post(fake, json={"channel": CHANNEL, "text": "x", "blocks": blocks}).json()
    assert body["error"] == "invalid_blocks"
    assert message in body["errors"]
    assert f"[ERROR] {message}" in body["response_metadata"]["messages"]
    assert fake.messages == []


def test_archived_channel_and_unknown_method(fake):
    fake.archive(CHANNEL)
    assert post(fake, json={"channel": CHANNEL, "text": "x"}).json()["error"] == "is_archived"
    resp = requests.post(f"{fake.base_url}/api/chat.nope", timeout=5)
    assert (resp.status_code, resp.json()) == (404, {"ok": False, "error": "unknown_method"})


def test_app_wide_rate_limit_is_slacks_429(fake):
    fake.rate_limit, fake.rate_limit_window = 2, 60
    assert [post(fake, json={"channel": CHANNEL, "text": str(i)}).status_code
            for i in range(2)] == [200, 200]
    resp = post(fake, json={"channel": CHANNEL, "text": "3"})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "60"
    assert resp.json() == {"ok": False, "error": "ratelimited"}
