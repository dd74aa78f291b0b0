"""The group's mail from the fake Gmail into threads, over real HTTP: the first full listing,
history afterwards, and a full resync without duplicates when the history id has expired."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from inbox.models import Message, Thread
from integrations.errors import PermanentError
from integrations.gmail import sync, tasks
from integrations.gmail.fake import MAILBOX, FakeGmail
from integrations.gmail.fake.resources import header
from integrations.gmail.fake.seed import Mail, build
from integrations.models import SyncState


def group_threads(fake: FakeGmail) -> set[str]:
    return {m.thread_id for m in fake.mailbox.messages.values()}


def by_subject(subject: str) -> Thread:
    return Thread.objects.get(subject=subject)


def personal_mail() -> EmailMessage:
    """Mail to the member herself: it shares the mailbox but is none of the inbox's business."""
    msg = EmailMessage()
    msg["From"], msg["To"] = "HR <hr@edudesk.example>", MAILBOX
    msg["Subject"], msg["Message-ID"] = "Your payslip", "<payslip@edudesk.example>"
    msg.set_content("Private.")
    return msg


def reply_from_requester(fake: FakeGmail, subject: str, text: str) -> EmailMessage:
    """The requester answers in an existing thread (References to its last message)."""
    last = fake.mailbox.messages[fake.mailbox.threads[next(
        tid for tid in fake.mailbox.threads
        if fake.mailbox.thread_subject_of(tid) == subject)][-1]]
    msg = build(Mail(f"Re: {subject}", text, ("Kenji Watanabe", "kenji@wingtip.example")),
                datetime.now(UTC))
    msg.replace_header("In-Reply-To", header(last.parsed, "message-id")) \
        if msg["In-Reply-To"] else msg.add_header("In-Reply-To",
                                                  header(last.parsed, "message-id"))
    msg["References"] = header(last.parsed, "message-id")
    return msg


def message_gets(fake: FakeGmail) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in fake.request_log
            if r.method == "GET" and "/messages/" in r.path]


def test_the_first_sync_lists_the_group_mail_into_threads(configured, db):
    personal = configured.deliver(personal_mail())
    result = sync.run_sync()

    assert result.ran
    group_ids = {m.id for m in configured.mailbox.messages.values() if m.id != personal["id"]}
    assert set(Message.objects.values_list("gmail_id", flat=True)) == group_ids
    assert result.counts["messages"] == 40
    # The listing asks Gmail for the group's mail only: the member's own is never fetched.
    assert personal["id"] not in message_gets(configured)
    # One thread per Gmail thread id, each holding exactly that thread's messages.
    threads = {m.thread_id for m in configured.mailbox.messages.values() if m.id in group_ids}
    assert set(Thread.objects.values_list("gmail_thread_id", flat=True)) == threads
    for thread in Thread.objects.all():
        expected = {i for i in configured.mailbox.threads[thread.gmail_thread_id] if i in group_ids}
        assert set(thread.messages.values_list("gmail_id", flat=True)) == expected
        assert thread.message_count == len(expected)
    state = SyncState.objects.get(system="gmail")
    assert state.cursors["listing"] == "done" and state.cursors["history"]["start"]
    assert state.full_sync_finished_at is not None


def test_what_the_first_sync_makes_of_the_seeded_mail(configured, db):
    sync.run_sync()

    login = by_subject("Can't log in to Level Up")
    assert login.message_count == 3 and login.status == Thread.Status.OPEN  # she wrote last
    assert login.responded_at is not None and login.requester_name == "Priya Raman"
    assert login.category.slug == "platform-support"
    assert [m.direction for m in login.messages.order_by("sent_at")] == ["in", "out", "in"]
    # Google Groups rewrote From to the group: the requester is the person behind it.
    progress = by_subject("Course progress reset")
    assert progress.requester_email == "tomas@alvarez.example"
    assert progress.messages.get().direction == Message.Direction.INBOUND
    # ISO-8859-1 without a transfer encoding, decoded.
    assert "Grüße, Jürgen Weiß" in by_subject("Badge expired").messages.get().body_text
    badge = by_subject("Passed the exam but no badge — Certified Associate")
    first = badge.messages.order_by("sent_at").first()
    assert "<i>Certified Associate</i>" in first.body_html
    assert "script" not in first.body_html and "onerror" not in first.body_html
    assert badge.responded_at is None and badge.category.slug == "certification"
    lab = by_subject("Question about the Security Essentials course").messages.get()
    assert [(a["filename"], a["content_type"]) for a in lab.attachments] == [
        ("lab-settings.png", "image/png"), ("module-4-lab.pdf", "application/pdf")]
    screenshot = by_subject("Demo cloud environment not provisioning").messages.get()
    assert screenshot.attachments[0]["inline"] and screenshot.attachments[0]["content_id"]
    assert by_subject("Pricing question").category.slug == "other"


def test_later_runs_read_history_only_and_join_existing_threads(configured, db):
    sync.run_sync()
    pricing = by_subject("Pricing question")
    configured.request_log.clear()
    added = configured.deliver(reply_from_requester(configured, "Pricing question",
                                                    "Any news on the price?"))
    configured.deliver(personal_mail())

    result = sync.run_sync()

    assert result.counts["messages"] == 1 and result.counts["not_group_mail"] == 1
    paths = [r.path for r in configured.request_log]
    assert not any(p.endswith("/messages") for p in paths)  # no listing
    assert any(p.endswith("/history") for p in paths)
    pricing.refresh_from_db()
    assert pricing.message_count == 2 and added["threadId"] == pricing.gmail_thread_id
    assert pricing.messages.filter(gmail_id=added["id"]).exists()
    assert Message.objects.count() == 41
    again = sync.run_sync()
    assert again.counts["messages"] == 0 and Message.objects.count() == 41


def test_an_expired_history_id_falls_back_to_a_full_resync_without_duplicates(configured, db):
    sync.run_sync()
    before = SyncState.objects.get(system="gmail").cursors["history"]["start"]
    fresh = configured.deliver(build(Mail("Demo cloud credits used up", "No credits again.",
                                          ("Lucas Martin", "lucas.martin@adatum.example")),
                                     datetime.now(UTC)))
    configured.expire_history(configured.mailbox.history_id)  # only the newest id still works
    configured.request_log.clear()

    result = sync.run_sync()

    assert result.ran and result.counts["history_expired"] == 1
    ids = list(Message.objects.values_list("gmail_id", flat=True))
    assert len(ids) == len(set(ids)) == 41 and fresh["id"] in ids
    # Only the message it did not have was fetched again.
    assert message_gets(configured) == [fresh["id"]]
    state = SyncState.objects.get(system="gmail")
    assert any("no longer known" in p for p in state.recent_problems)
    assert state.cursors["history"]["start"] != before
    assert state.full_sync_finished_at >= state.full_sync_started_at
    # And the next run is incremental again.
    configured.request_log.clear()
    assert sync.run_sync().counts["history_expired"] == 0
    assert not any(r.path.endswith("/messages") for r in configured.request_log)


def test_a_full_sync_on_request_stores_nothing_twice(configured, db):
    sync.run_sync()
    threads = Counter(Thread.objects.values_list("gmail_thread_id", flat=True))
    result = sync.run_sync(full=True)
    assert result.counts["messages"] == 0 and Message.objects.count() == 40
    assert Counter(Thread.objects.values_list("gmail_thread_id", flat=True)) == threads


def test_a_history_id_refused_right_after_a_full_listing_stops_the_run(configured, db):
    """A Gmail that refuses even the id it just gave must not send the sync round forever."""
    configured.expire_history(10**12)
    with pytest.raises(PermanentError, match="right after a full listing"):
        sync.run_sync()
    assert Message.objects.count() == 40  # what it listed is kept
    assert "right after a full listing" in SyncState.objects.get(system="gmail").last_error


def test_tasks_do_nothing_until_configured(settings, db):
    settings.GMAIL_API_URL = ""
    assert tasks.sync_incremental() == "not configured"
    assert tasks.sync_full() == "not configured"
