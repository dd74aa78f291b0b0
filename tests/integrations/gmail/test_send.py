"""Replies built by mapping, sent through GmailClient, found in the thread FakeGmail keeps."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from integrations.errors import PermanentError
from integrations.gmail.client import GmailClient, decode_raw
from integrations.gmail.fake import GROUP, MAILBOX, FakeGmail
from integrations.gmail.mapping import build_reply, parse_message


def original(fake_gmail, gmail, subject: str) -> tuple[dict, dict]:
    """(message resource, parsed values) of the seeded message with `subject`."""
    ref = next(m for m in gmail.list_messages(q=f"to:{GROUP}")
               if fake_gmail.mailbox.messages[m["id"]].parsed["subject"] == subject)
    return ref, parse_message(decode_raw(gmail.get_message(ref["id"])))


def test_reply_lands_in_the_thread_from_the_group(fake_gmail, gmail):
    ref, parsed = original(fake_gmail, gmail, "Demo cloud credits used up")
    reply = build_reply(parsed, text="We added 50 credits to your sandbox.",
                        group_address=GROUP, group_name="LevelUp")

    sent = gmail.send_message(reply.as_bytes(), thread_id=ref["threadId"])
    thread = gmail.get_thread(ref["threadId"], format="metadata")

    assert sent["threadId"] == ref["threadId"] and sent["labelIds"] == ["SENT"]
    assert [m["id"] for m in thread["messages"]] == [ref["id"], sent["id"]]
    back = parse_message(decode_raw(gmail.get_message(sent["id"])))
    assert back["from"] == {"name": "LevelUp", "address": GROUP}
    assert back["to"] == [{"name": "Sofia Rossi", "address": "s.rossi@tailspin.example"}]
    assert back["subject"] == "Re: Demo cloud credits used up"
    assert back["in_reply_to"] == parsed["message_id"]
    assert back["references"] == [parsed["message_id"]]
    assert "> The sandbox says I have no credits left" in back["text"]
    [stored] = fake_gmail.sent_messages()
    assert stored.id == sent["id"] and stored.parsed["Message-ID"] == reply["Message-ID"]


def test_reply_to_a_reply_carries_the_whole_references_chain(fake_gmail, gmail):
    ref, parsed = original(fake_gmail, gmail, "Re: Can't log in to Level Up")
    reply = build_reply(parsed, text="Glad it works.", group_address=GROUP)
    sent = gmail.send_message(reply.as_bytes(), thread_id=ref["threadId"])

    back = parse_message(decode_raw(gmail.get_message(sent["id"])))
    assert len(parsed["references"]) == 2
    assert back["references"] == [*parsed["references"], parsed["message_id"]]
    assert len(fake_gmail.mailbox.threads[ref["threadId"]]) == 4


def test_reply_to_a_group_rewritten_sender_goes_to_the_person(fake_gmail, gmail):
    ref, parsed = original(fake_gmail, gmail, "Course progress reset")
    reply = build_reply(parsed, text="Fixed.", group_address=GROUP)
    gmail.send_message(reply.as_bytes(), thread_id=ref["threadId"])

    [stored] = fake_gmail.sent_messages()
    assert str(stored.parsed["To"]) == "Tomás Álvarez <tomas@alvarez.example>"
    assert "Cc" not in stored.parsed  # the group itself is never copied


def test_a_from_gmail_does_not_allow_is_rewritten_to_the_mailbox(fake_gmail, gmail):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Eve <eve@elsewhere.example>", "a@b.example", "Hi"
    msg.set_content("x")
    sent = gmail.send_message(msg.as_bytes())

    back = parse_message(decode_raw(gmail.get_message(sent["id"])))
    assert back["from"] == {"name": "Eve", "address": MAILBOX}
    assert back["message_id"]  # Gmail adds one when the client sent none


def test_a_subject_that_does_not_match_starts_a_new_thread(fake_gmail, gmail):
    ref, parsed = original(fake_gmail, gmail, "Pricing question")
    reply = build_reply({**parsed, "subject": "Something else"}, text="x", group_address=GROUP)
    sent = gmail.send_message(reply.as_bytes(), thread_id=ref["threadId"])

    assert sent["threadId"] != ref["threadId"]


def test_send_refusals(gmail):
    no_recipient = EmailMessage()
    no_recipient["From"], no_recipient["Subject"] = GROUP, "Hi"
    no_recipient.set_content("x")
    with pytest.raises(PermanentError, match="Recipient address required") as info:
        gmail.send_message(no_recipient.as_bytes())
    assert info.value.status == 400
    ok = EmailMessage()
    ok["From"], ok["To"], ok["Subject"] = GROUP, "a@b.example", "Hi"
    ok.set_content("x")
    with pytest.raises(PermanentError) as info:
        gmail.send_message(ok.as_bytes(), thread_id="ffffffffffffffff")
    assert info.value.status == 404


def test_without_a_send_as_alias_the_group_from_is_rewritten():
    fake = FakeGmail(send_as=())  # the mailbox was never given the group as an alias
    fake.start(port=0)
    try:
        with GmailClient(fake.base_url, "ya29.any") as client:
            ref, parsed = original(fake, client, "Pricing question")
            reply = build_reply(parsed, text="x", group_address=GROUP, group_name="LevelUp")
            sent = client.send_message(reply.as_bytes(), thread_id=ref["threadId"])
            back = parse_message(decode_raw(client.get_message(sent["id"])))
    finally:
        fake.stop()
    assert back["from"] == {"name": "LevelUp", "address": MAILBOX}
