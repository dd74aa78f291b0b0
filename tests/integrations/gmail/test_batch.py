"""Gmail's batch endpoint: the fake answers as Google does (Google's own client reads it
unchanged), the client pairs answers by Content-ID, and the sync fetches through it."""

from __future__ import annotations

import google.oauth2.credentials
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from integrations.errors import PermanentError, RateLimited, UpstreamError
from integrations.gmail.client import BATCH_MAX, GmailClient
from integrations.gmail.fake import MAILBOX, FakeGmail

from .conftest import TOKEN


def some_ids(fake: FakeGmail, n: int) -> list[str]:
    return list(fake.mailbox.messages)[:n]


def test_one_request_brings_many_messages_each_logged_as_a_call(fake_gmail, gmail):
    ids = some_ids(fake_gmail, 30)
    before = len(fake_gmail.request_log)

    answers = gmail.get_messages(ids, "raw")

    assert list(answers) == ids
    assert all(answers[i]["id"] == i and answers[i]["raw"] for i in ids)
    calls = list(fake_gmail.request_log)[before:]
    # Google counts a batch of n as n requests: the fake logs each call, then the batch.
    assert [c.path.rsplit("/", 1)[1] for c in calls[:-1]] == ids
    assert calls[-1].path == "/batch/gmail/v1" and len(calls) == 31


def test_each_call_is_answered_alone_a_missing_message_is_its_own_404(fake_gmail, gmail):
    [known] = some_ids(fake_gmail, 1)
    answers = gmail.get_messages([known, "ffffffffffffffff"], "minimal")

    assert answers[known]["id"] == known and "raw" not in answers[known]
    missing = answers["ffffffffffffffff"]
    assert isinstance(missing, PermanentError) and missing.status == 404
    assert missing.message == "Requested entity was not found."


def test_the_quota_counts_every_call_so_a_batch_can_be_partly_refused(fake_gmail, gmail):
    fake_gmail.rate_limit, fake_gmail.rate_limit_window = 5, 60
    answers = gmail.get_messages(some_ids(fake_gmail, 8), "minimal")

    refused = [a for a in answers.values() if isinstance(a, UpstreamError)]
    assert len(refused) == 3 and all(isinstance(a, RateLimited) for a in refused)
    assert all(a.status == 429 and a.code == "rateLimitExceeded" for a in refused)


def test_the_outer_credential_applies_to_every_call(fake_gmail):
    with GmailClient(fake_gmail.base_url, "not-the-token") as stranger:
        answers = stranger.get_messages(some_ids(fake_gmail, 2))
    assert all(isinstance(a, PermanentError) and a.status == 401 for a in answers.values())


def test_more_than_a_hundred_calls_are_refused(fake_gmail, gmail):
    with pytest.raises(ValueError, match="at most 100"):
        gmail.get_messages([f"{i:016x}" for i in range(BATCH_MAX + 1)])


@pytest.mark.parametrize("body,content_type,message", [
    (b"GET /gmail/v1/users/me/profile", "application/http", "multipart/mixed"),
    (b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n", "multipart/mixed; boundary=x",
     "application/http"),
    (b"--x\r\nContent-Type: application/http\r\n\r\nnot a request\r\n--x--\r\n",
     "multipart/mixed; boundary=x", "request line"),
    (b"--x--\r\n", "multipart/mixed; boundary=x", "no requests"),
])
def test_malformed_batches_get_googles_400(fake_gmail, body, content_type, message):
    import requests

    resp = requests.post(f"{fake_gmail.base_url}/batch/gmail/v1", data=body, timeout=5,
                         headers={"Content-Type": content_type,
                                  "Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and message in error["message"]


def test_googles_own_client_reads_the_fake_unchanged(fake_gmail):
    """google-api-python-client, with its bundled discovery document, against the fake:
    plain calls, then a batch whose answers it pairs by Content-ID."""
    credentials = google.oauth2.credentials.Credentials(TOKEN)
    service = build("gmail", "v1", credentials=credentials, static_discovery=True,
                    client_options={"api_endpoint": fake_gmail.base_url})
    users = service.users()
    assert users.getProfile(userId=MAILBOX).execute()["emailAddress"] == MAILBOX
    listed = users.messages().list(userId="me", maxResults=5).execute()["messages"]
    ids = [m["id"] for m in listed]

    got: dict[str, dict] = {}
    failed: dict[str, HttpError] = {}

    def done(request_id, response, exception):
        if exception is not None:
            failed[request_id] = exception
        else:
            got[request_id] = response

    # The discovery document names Google's host for batches; the fake stands in for it.
    batch = BatchHttpRequest(callback=done, batch_uri=f"{fake_gmail.base_url}/batch/gmail/v1")
    for message_id in [*ids, "ffffffffffffffff"]:
        batch.add(users.messages().get(userId="me", id=message_id, format="metadata"),
                  request_id=message_id)
    batch.execute()

    assert sorted(got) == sorted(ids) and all(got[i]["id"] == i for i in ids)
    assert list(failed) == ["ffffffffffffffff"] and failed["ffffffffffffffff"].status_code == 404
