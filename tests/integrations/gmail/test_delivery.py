"""Replies written in EduDesk reach the fake Gmail through the outbox: in the right thread,
from the group, with In-Reply-To and References, quoting; failures show on the message."""

from __future__ import annotations

from email.utils import getaddresses

from inbox import services
from inbox.models import Message, Thread
from integrations import outbox
from integrations.gmail import delivery, sync
from integrations.gmail.fake import GROUP
from integrations.gmail.mapping import parse_message
from integrations.models import OutboxMessage


def synced(subject: str) -> Thread:
    sync.run_sync()
    return Thread.objects.get(subject=subject)


def send(thread: Thread, agent, body: str) -> Message:
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body=body)
    outbox.drain("gmail", thread.subject_key)
    reply.refresh_from_db()
    return reply


def test_the_reply_lands_in_the_thread_from_the_group_with_the_right_headers(configured, agent):
    thread = synced("Demo cloud credits used up")
    question = thread.messages.get()

    reply = send(thread, agent, "Hi Sofia,\n\nWe added 50 credits to your sandbox.")

    [stored] = configured.sent_messages()
    assert stored.thread_id == thread.gmail_thread_id
    assert configured.mailbox.threads[thread.gmail_thread_id][-1] == stored.id
    headers = stored.parsed
    assert getaddresses([str(headers["From"])]) == [("LevelUp", GROUP)]
    assert getaddresses([str(headers["To"])]) == [("Sofia Rossi", "s.rossi@tailspin.example")]
    assert str(headers["Subject"]) == "Re: Demo cloud credits used up"
    assert str(headers["In-Reply-To"]) == question.rfc_message_id
    assert str(headers["References"]) == question.rfc_message_id
    assert str(headers["Message-ID"]) == reply.rfc_message_id
    text = parse_message(stored.raw)["text"]
    assert "We added 50 credits" in text and "> The sandbox says I have no credits" in text
    row = OutboxMessage.objects.get(pk=reply.outbox_id)
    assert row.state == "sent" and row.response["in_thread"] is True
    assert reply.gmail_id == stored.id
    # The sync sees our reply come back and keeps one copy of it.
    sync.run_sync()
    assert Message.objects.filter(thread=thread).count() == 2
    thread.refresh_from_db()
    assert thread.status == Thread.Status.WAITING


def test_a_reply_deep_in_a_conversation_carries_the_references_chain(configured, agent):
    thread = synced("Can't log in to Level Up")
    last = thread.messages.filter(direction="in").order_by("-sent_at").first()

    send(thread, agent, "Glad it works now.")

    [stored] = configured.sent_messages()
    assert stored.thread_id == thread.gmail_thread_id
    assert str(stored.parsed["In-Reply-To"]) == last.rfc_message_id
    assert str(stored.parsed["References"]).split() == [*last.headers["references"],
                                                        last.rfc_message_id]
    assert len(configured.mailbox.threads[thread.gmail_thread_id]) == 4


def test_a_reply_to_a_rewritten_sender_goes_to_the_person_not_the_group(configured, agent):
    thread = synced("Course progress reset")
    send(thread, agent, "Restored.")
    [stored] = configured.sent_messages()
    assert getaddresses([str(stored.parsed["To"])]) == [("Tomás Álvarez",
                                                         "tomas@alvarez.example")]
    assert "Cc" not in stored.parsed


def test_a_refused_send_is_visible_on_the_message(configured, agent, settings, client):
    thread = synced("Pricing question")
    settings.GMAIL_OAUTH_TOKEN = "ya29.revoked"  # the fake only takes its own token

    reply = send(thread, agent, "See the pricing page.")

    row = OutboxMessage.objects.get(pk=reply.outbox_id)
    assert row.state == "failed" and "401" in row.last_error
    assert reply.gmail_id is None and configured.sent_messages() == []
    client.force_login(agent)
    page = client.get(f"/inbox/threads/{thread.pk}/").content.decode()
    assert "Not sent. Gmail said: HTTP 401" in page


def test_a_retry_after_a_lost_answer_does_not_send_twice(configured, agent):
    thread = synced("Badge expired")
    reply = send(thread, agent, "Renew by taking the current exam.")
    # As if the worker died after Gmail sent it but before the outcome was recorded.
    Message.objects.filter(pk=reply.pk).update(gmail_id=None)
    row = OutboxMessage.objects.get(pk=reply.outbox_id)
    row.attempts = 2

    answer = delivery.deliver(row)

    assert len(configured.sent_messages()) == 1
    assert answer["gmail_id"] == configured.sent_messages()[0].id
    reply.refresh_from_db()
    assert reply.gmail_id == answer["gmail_id"]
