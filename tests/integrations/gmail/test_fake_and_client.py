"""GmailClient against FakeGmail over real loopback HTTP: reading, history, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from integrations.errors import PermanentError, RateLimited, TransientError
from integrations.gmail.client import GmailClient, HistoryExpired, decode_raw
from integrations.gmail.fake import GROUP, MAILBOX, FakeGmail
from integrations.gmail.fake.seed import Mail, build
from integrations.gmail.mapping import parse_message

from .conftest import TOKEN

GROUP_MAIL = f"to:{GROUP}"


def inbound(subject: str, text: str = "Hello") -> Mail:
    return Mail(subject, text, ("Ravi Kumar", "ravi@learner.example"))


def by_subject(fake: FakeGmail, subject: str) -> str:
    return next(m.id for m in fake.mailbox.messages.values()
                if str(m.parsed["subject"]) == subject)


def test_list_pages_through_every_group_message_newest_first(fake_gmail, gmail):
    ids = [m["id"] for m in gmail.list_messages(q=GROUP_MAIL, page_size=7)]

    expected = [m for m in fake_gmail.mailbox.messages.values() if "SENT" not in m.labels]
    assert len(ids) == len(set(ids)) == len(expected) == 38
    dates = [fake_gmail.mailbox.messages[i].internal_ms for i in ids]
    assert dates == sorted(dates, reverse=True)
    paged = [r for r in fake_gmail.request_log if r.path.endswith("/messages")]
    assert len(paged) == 6  # 38 messages at 7 a page


def test_a_delivery_between_pages_neither_repeats_nor_skips(fake_gmail, gmail):
    listing = gmail.list_messages(q=GROUP_MAIL, page_size=5)
    first = [next(listing)["id"] for _ in range(5)]
    fake_gmail.deliver(build(inbound("Course progress reset"), datetime.now(UTC)))
    rest = [m["id"] for m in listing]

    assert len(first + rest) == len(set(first + rest)) == 38


def test_query_operators_the_adapter_uses(fake_gmail, gmail):
    newest = max(m.internal_ms for m in fake_gmail.mailbox.messages.values())
    recent = list(gmail.list_messages(q=f"deliveredto:{MAILBOX} after:{newest // 1000 - 1}"))
    sent = list(gmail.list_messages(label_ids=["SENT"]))
    unread_group = list(gmail.list_messages(q="label:levelup is:unread -from:" + GROUP))

    assert [m["id"] for m in recent] == [by_subject(fake_gmail, "Pricing question")]
    assert {fake_gmail.mailbox.messages[m["id"]].labels[0] for m in sent} == {"SENT"}
    assert len(sent) == 2
    assert len(unread_group) == 37  # all but the one Groups rewrote to come "via LevelUp"


def test_get_message_in_every_format(fake_gmail, gmail):
    mid = by_subject(fake_gmail, "Question about the Security Essentials course")
    raw = gmail.get_message(mid)
    full = gmail.get_message(mid, format="full")
    meta = gmail.get_message(mid, format="metadata", metadata_headers=["Subject", "From"])
    minimal = gmail.get_message(mid, format="minimal")

    assert decode_raw(raw) == fake_gmail.mailbox.messages[mid].raw
    assert "payload" not in raw and "raw" not in full
    parts = full["payload"]["parts"]
    assert full["payload"]["mimeType"] == "multipart/mixed"
    assert [p["partId"] for p in parts[0]["parts"]] == ["0.0", "0.1"]
    assert [p["filename"] for p in parts[1:]] == ["lab-settings.png", "module-4-lab.pdf"]
    attachment = gmail.get_attachment(mid, parts[1]["body"]["attachmentId"])
    assert attachment.startswith(b"\x89PNG") and len(attachment) == parts[1]["body"]["size"]
    assert [h["name"] for h in meta["payload"]["headers"]] == ["From", "Subject"]
    assert "parts" not in meta["payload"]
    assert set(minimal) == {"id", "threadId", "labelIds", "snippet", "sizeEstimate",
                            "historyId", "internalDate"}
    assert minimal["snippet"].startswith("Module 4&#39;s lab")  # Gmail escapes snippets


def test_user_id_may_be_the_mailbox_address_but_no_other(fake_gmail):
    with GmailClient(fake_gmail.base_url, TOKEN, user_id=MAILBOX) as own:
        assert own.get_profile()["emailAddress"] == MAILBOX
    with GmailClient(fake_gmail.base_url, TOKEN, user_id="boss@edudesk.example") as other:
        with pytest.raises(PermanentError) as info:
            other.get_profile()
    assert info.value.status == 403 and info.value.code == "forbidden"


def test_threads_list_and_get(fake_gmail, gmail):
    threads = list(gmail.list_threads(q="subject:\"Can't log in\""))

    box = fake_gmail.mailbox
    expected = {m.thread_id for m in box.messages.values() if "Can't log in" in m.parsed["subject"]}
    assert {t["id"] for t in threads} == expected and len(threads) == len(expected) > 1
    scripted = next(t for t in threads if len(fake_gmail.mailbox.threads[t["id"]]) == 3)
    thread = gmail.get_thread(scripted["id"])
    subjects = [next(h["value"] for h in m["payload"]["headers"] if h["name"] == "Subject")
                for m in thread["messages"]]
    assert subjects == ["Can't log in to Level Up"] + ["Re: Can't log in to Level Up"] * 2
    assert thread["historyId"] == max(m["historyId"] for m in thread["messages"])


def test_history_after_a_delivered_message(fake_gmail, gmail):
    start = gmail.get_profile()["historyId"]
    added = fake_gmail.deliver(build(inbound("Demo cloud credits used up"), datetime.now(UTC)))
    gmail.modify_message(added["id"], remove_label_ids=["UNREAD"])

    listing = gmail.list_history(start)
    records = list(listing)
    only_added = list(gmail.list_history(start, history_types=["messageAdded"]))

    assert [list(r)[-1] for r in records] == ["messagesAdded", "labelsRemoved"]
    assert int(records[0]["id"]) > int(start) and int(records[1]["id"]) > int(records[0]["id"])
    assert records[0]["messagesAdded"][0]["message"]["id"] == added["id"]
    assert records[1]["labelsRemoved"][0]["labelIds"] == ["UNREAD"]
    assert listing.history_id == gmail.get_profile()["historyId"] == records[-1]["id"]
    assert [r["id"] for r in only_added] == [records[0]["id"]]
    assert list(gmail.list_history(listing.history_id)) == []


def test_history_pages_in_increasing_order(fake_gmail, gmail):
    start = gmail.get_profile()["historyId"]
    for n in range(5):
        fake_gmail.deliver(build(inbound(f"Badge expired {n}"), datetime.now(UTC)))
    records = list(gmail.list_history(start, page_size=2))

    assert [int(r["id"]) for r in records] == sorted(int(r["id"]) for r in records)
    assert len(records) == 5


def test_expired_history_raises_history_expired(fake_gmail, gmail):
    start = gmail.get_profile()["historyId"]
    fake_gmail.deliver(build(inbound("Badge expired"), datetime.now(UTC)))
    fake_gmail.expire_history(int(start) + 1)

    with pytest.raises(HistoryExpired) as info:
        list(gmail.list_history(start))
    assert isinstance(info.value, PermanentError)
    assert info.value.status == 404 and info.value.code == "notFound"


def test_a_404_elsewhere_is_not_history_expired(gmail):
    with pytest.raises(PermanentError) as info:
        gmail.get_message("ffffffffffffffff")
    assert info.value.status == 404 and not isinstance(info.value, HistoryExpired)


def test_wrong_or_missing_token_is_401(fake_gmail):
    with GmailClient(fake_gmail.base_url, "ya29.wrong") as c, pytest.raises(PermanentError) as info:
        c.get_profile()
    assert info.value.status == 401 and info.value.code == "authError"
    assert "ya29.wrong" not in repr(c) and "ya29.wrong" not in str(info.value)
    resp = requests.get(f"{fake_gmail.base_url}/gmail/v1/users/me/profile", timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"]["errors"][0]["reason"] == "required"
    assert resp.json()["error"]["status"] == "UNAUTHENTICATED"


def test_the_token_provider_is_asked_on_every_request(fake_gmail):
    tokens = iter(["ya29.first", "ya29.second"])
    fake_gmail.token = "ya29.first"
    with GmailClient(fake_gmail.base_url, lambda: next(tokens)) as c:
        c.get_profile()
        fake_gmail.token = "ya29.second"  # the old token expired; the provider refreshed
        assert c.get_profile()["emailAddress"] == MAILBOX
        with pytest.raises(PermanentError, match="no token|provider failed"):
            c.get_profile()  # the provider is exhausted: no request goes out without a token


def test_429_with_retry_after_is_rate_limited(fake_gmail, gmail):
    fake_gmail.rate_limit, fake_gmail.rate_limit_window = 2, 30
    gmail.get_profile()
    gmail.list_labels()
    with pytest.raises(RateLimited) as info:
        gmail.get_profile()
    assert info.value.status == 429 and info.value.code == "rateLimitExceeded"
    assert 25 <= info.value.retry_after <= 30


def test_gmail_quota_403_is_rate_limited_too(fake_gmail, gmail):
    fake_gmail.rate_limit, fake_gmail.rate_limit_status = 1, 403
    gmail.get_profile()
    with pytest.raises(RateLimited) as info:
        gmail.get_profile()
    assert info.value.status == 403 and info.value.code == "userRateLimitExceeded"
    assert 55 <= info.value.retry_after <= 60


def test_without_retry_after_the_time_named_in_the_message_is_used(fake_gmail, gmail):
    fake_gmail.rate_limit, fake_gmail.retry_after_header = 1, False
    gmail.get_profile()
    with pytest.raises(RateLimited) as info:
        gmail.get_profile()
    assert 55 <= info.value.retry_after <= 60  # not the kit's 1 s default


def test_backend_errors_are_transient(fake_gmail, gmail):
    fake_gmail.error_rate = 1.0
    seen = set()
    for _ in range(12):
        with pytest.raises(TransientError) as info:
            gmail.get_profile()
        seen.add(info.value.status)
    assert seen == {500, 502, 503}


def test_labels(gmail):
    labels = {lab["id"]: lab for lab in gmail.list_labels()}
    assert labels["Label_1"]["name"] == "LevelUp" and labels["Label_1"]["type"] == "user"
    assert labels["INBOX"]["type"] == "system"


def test_bad_parameters_are_400_invalid_argument(fake_gmail, gmail):
    with pytest.raises(PermanentError) as info:
        gmail.get_message(by_subject(fake_gmail, "Pricing question"), format="html")
    assert info.value.status == 400 and info.value.code == "invalidArgument"
    with pytest.raises(PermanentError, match="startHistoryId"):
        list(gmail.list_history("not-a-number"))


def test_seeded_mail_is_what_groups_deliver(fake_gmail, gmail):
    mid = by_subject(fake_gmail, "Course progress reset")
    parsed = parse_message(decode_raw(gmail.get_message(mid)))

    assert parsed["from"] == {"name": "'Tomás Álvarez' via LevelUp", "address": GROUP}
    assert parsed["reply_to"] == [{"name": "Tomás Álvarez", "address": "tomas@alvarez.example"}]
    assert parsed["list_id"] == "<levelup.edudesk.example>"
    assert time.time() - parsed["date"].timestamp() > 3600


def test_a_delivered_reply_joins_its_thread_only_with_the_same_subject(fake_gmail, gmail):
    parent = fake_gmail.mailbox.messages[by_subject(fake_gmail, "Pricing question")]
    reply = fake_gmail.deliver(build(inbound("RE: Pricing question"), datetime.now(UTC),
                                     parent=parent.parsed))
    renamed = fake_gmail.deliver(build(inbound("New question"), datetime.now(UTC),
                                       parent=parent.parsed))

    assert reply["threadId"] == parent.thread_id
    assert renamed["threadId"] == renamed["id"] != parent.thread_id
