"""What a learner or an agent would notice if the Gmail deliverer went subtly wrong.

Each test here kills mutants of integrations/gmail/delivery.py that the rest of the suite
let live (python -m mutation integrations/gmail/delivery.py): a retry that takes another
message for ours and never sends, a follow-up to a thread the group started that cannot go,
a reply quoting nothing or dated when it finally left, our reply deleted by a sync that
linked it meanwhile.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

from django.utils import timezone

from inbox import services
from inbox.models import Message, Thread
from integrations import outbox
from integrations.gmail import delivery, sync
from integrations.gmail.fake import GROUP
from integrations.models import OutboxMessage


def synced(subject: str) -> Thread:
    sync.run_sync()
    return Thread.objects.get(subject=subject)


def html_part(stored) -> str:
    part = stored.parsed.get_body(preferencelist=("html",))
    return part.get_content()


def test_a_retry_after_a_failed_send_sends_rather_than_taking_another_message(configured,
                                                                              agent):
    thread = synced("Badge expired")
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Renew it here.")
    configured.error_rate = 1.0  # Gmail answers 5xx: nothing was sent
    outbox.drain("gmail", thread.subject_key)
    row = OutboxMessage.objects.get(pk=reply.outbox_id)
    assert row.state == "queued" and row.attempts == 1 and configured.sent_messages() == []

    configured.error_rate = 0.0
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox.drain("gmail", thread.subject_key)

    [stored] = configured.sent_messages()
    reply.refresh_from_db()
    assert reply.gmail_id == stored.id
    assert OutboxMessage.objects.get(pk=row.pk).state == "sent"


def test_a_follow_up_in_a_thread_the_group_started_goes_to_the_learner(configured, agent):
    first = EmailMessage()
    first["From"], first["To"] = f"LevelUp <{GROUP}>", "Lin Chen <lin@contoso.example>"
    first["Subject"], first["Message-ID"] = "Your exam voucher", "<voucher-1@edudesk.example>"
    first.set_content("Here is your voucher code.")
    configured.deliver(first, labels=["SENT"])
    thread = synced("Your exam voucher")
    assert thread.messages.get().direction == Message.Direction.OUTBOUND

    services.reply_to_thread(thread_id=thread.pk, actor=agent, body="A reminder: it expires.")
    outbox.drain("gmail", thread.subject_key)

    [stored] = configured.sent_messages()
    assert getaddresses([str(stored.parsed["To"])]) == [("Lin Chen", "lin@contoso.example")]
    assert stored.thread_id == thread.gmail_thread_id


def test_the_reply_quotes_the_message_in_html_and_is_dated_when_written(configured, agent):
    thread = synced("Demo cloud credits used up")
    question = thread.messages.get()
    Message.objects.filter(pk=question.pk).update(
        body_html="<p>The sandbox says <b>no credits</b>.</p>")
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Added 50.")
    written = timezone.now() - timedelta(hours=3)  # an outage held it back
    Message.objects.filter(pk=reply.pk).update(sent_at=written)

    outbox.drain("gmail", thread.subject_key)

    [stored] = configured.sent_messages()
    assert "<p>The sandbox says <b>no credits</b>.</p>" in html_part(stored)
    assert parsedate_to_datetime(str(stored.parsed["Date"])) == written.replace(microsecond=0)


def test_a_message_without_html_is_quoted_from_its_text(configured, agent):
    thread = synced("Demo cloud credits used up")
    Message.objects.filter(thread=thread).update(body_html="")
    services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Added 50.")

    outbox.drain("gmail", thread.subject_key)

    [stored] = configured.sent_messages()
    assert "The sandbox says I have no credits" in html_part(stored)


def test_a_reply_or_its_question_deleted_meanwhile_fails_with_why(configured, agent):
    thread = synced("Badge expired")
    gone = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="First.")
    orphan = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Second.")
    gone_row, orphan_row = gone.outbox_id, orphan.outbox_id
    Message.objects.filter(pk=gone.pk).delete()
    Message.objects.filter(direction="in").delete()

    outbox.drain("gmail", thread.subject_key)

    assert OutboxMessage.objects.get(pk=gone_row).last_error == \
        "The reply no longer exists in EduDesk."
    assert OutboxMessage.objects.get(pk=orphan_row).last_error == \
        "The message this reply answers no longer exists in EduDesk."
    assert configured.sent_messages() == []


def test_recording_a_send_keeps_our_copy_and_drops_the_syncs(configured, agent, caplog):
    thread = synced("Badge expired")
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Renewed.")
    copy = Message.objects.create(thread=thread, direction="out", gmail_id="g-sent",
                                  from_address=GROUP, sent_at=timezone.now())

    answer = delivery.record_sent(reply, {"id": "g-sent", "threadId": thread.gmail_thread_id})

    assert not Message.objects.filter(pk=copy.pk).exists()
    assert Message.objects.get(pk=reply.pk).gmail_id == "g-sent"
    assert answer["in_thread"] is True and not caplog.records


def test_a_reply_the_sync_linked_meanwhile_is_kept(configured, agent):
    thread = synced("Badge expired")
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Renewed.")
    Message.objects.filter(pk=reply.pk).update(gmail_id="g-sent")  # the sync saw it come back

    delivery.record_sent(reply, {"id": "g-sent", "threadId": thread.gmail_thread_id})

    assert Message.objects.get(pk=reply.pk).gmail_id == "g-sent"


def test_a_reply_gmail_filed_elsewhere_is_logged(configured, agent, caplog):
    thread = synced("Badge expired")
    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Renewed.")

    with caplog.at_level(logging.WARNING, logger="integrations.gmail.delivery"):
        answer = delivery.record_sent(reply, {"id": "g-sent", "threadId": "elsewhere"})

    assert answer["in_thread"] is False
    assert "filed reply" in caplog.text and "elsewhere" in caplog.text
