"""What an agent or a learner would notice if a thread service went subtly wrong.

Each test here kills mutants of inbox/services/threads.py that the rest of the suite let
live (python -m mutation inbox/services/threads.py): a stored message missing its
addressees or its time, a thread's subject, snippet or status not following its mail, our
reply answering our own last message, audit lines without their before and after, a
correction counted against the wrong rule, an escalation quoting another thread.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inbox import services
from inbox.models import Category, CategoryRule, Mailbox, Message, PreparedResponse, Rotation, Thread
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.factories import UserFactory
from tests.inbox.factories import GROUP, MessageFactory, ThreadFactory, incoming

DENVER = ZoneInfo("America/Denver")
pytestmark = pytest.mark.django_db


def denver(*args) -> datetime:
    return datetime(*args, tzinfo=DENVER)


def stored(mailbox, *messages):
    return services.store_messages(mailbox=mailbox, messages=list(messages))


def line(verb, subject):
    return AuditEvent.objects.get(verb=verb, subject=subject)


# ---- mail in ---------------------------------------------------------------------------------
def test_a_stored_message_keeps_what_gmail_said(group_mailbox):
    message = services.IncomingMessage(
        gmail_id="g1", gmail_thread_id="T1", direction="in",
        sender={"name": "N" * 300, "address": "a" * 300}, sent_at=denver(2024, 5, 13, 10),
        subject="S" * 300, rfc_message_id="<" + "r" * 300 + ">",
        to=[{"name": "LevelUp", "address": GROUP}],
        cc=[{"name": "Boss", "address": "boss@fabrikam.example"}],
        text="  I passed the exam\n\n yesterday  " + "x" * 300,
        attachments=[{"filename": "score.pdf", "size": 1200}])  # not truncated, not automatic

    stored(group_mailbox, message)

    row = Message.objects.get()
    assert (row.from_address, row.to, row.cc) == ("a" * 254, message.to, message.cc)
    assert (row.from_name, row.subject, row.rfc_message_id) == ("N" * 200, "S" * 255,
                                                                ("<" + "r" * 300)[:255])
    assert (row.attachments, row.is_truncated, row.is_automatic) == (message.attachments, False,
                                                                     False)
    assert row.sent_at == denver(2024, 5, 13, 10)
    thread = row.thread
    assert thread.subject == "S" * 255 and thread.status == Thread.Status.OPEN
    assert (thread.requester_name, thread.requester_email) == ("N" * 200, "a" * 254)
    assert thread.snippet == ("I passed the exam yesterday " + "x" * 300)[:200]


def test_a_message_gmail_cut_short_says_so(group_mailbox):
    stored(group_mailbox, replace(incoming("T1"), is_truncated=True))
    assert Message.objects.get().is_truncated


def test_a_later_page_counts_only_what_it_already_had(group_mailbox):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)),
           incoming("T2", at=denver(2024, 5, 13, 11)))

    counts = stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 12)))

    assert (counts["already_stored"], counts["messages"]) == (0, 1)


def test_two_groups_threads_with_one_gmail_thread_id_stay_apart(group_mailbox):
    other = Mailbox.objects.create(address="partners@edudesk.example", name="Partners")
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)))

    stored(other, incoming("T1", at=denver(2024, 5, 13, 11)))

    assert Thread.objects.get(mailbox=other).message_count == 1
    assert Thread.objects.get(mailbox=group_mailbox).message_count == 1


def test_a_new_groups_mailbox_is_named_after_its_address_and_found_again(group_mailbox):
    rotation = Rotation.objects.order_by("pk").first()

    support = services.mailbox_for("support@academy.example")

    assert (support.name, support.rotation) == ("Support", rotation)
    assert services.mailbox_for("  LevelUp@EduDesk.example ") == group_mailbox
    assert services.mailbox_for("support@academy.example", "Ignored") == support
    assert Mailbox.objects.count() == 2


def test_a_thread_is_categorised_from_the_learners_words_not_ours(group_mailbox):
    stored(group_mailbox,
           incoming("T1", at=denver(2024, 5, 13, 10), direction="out", sender=("LevelUp", GROUP),
                    subject="Your account", text="Welcome to Level Up."),
           incoming("T1", at=denver(2024, 5, 13, 11), subject="Re: Your account",
                    text="I passed the exam yesterday but never received the badge email."))

    assert Thread.objects.get().category.slug == "certification"


def test_an_existing_thread_moves_on_with_its_mail(group_mailbox):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)))
    thread = Thread.objects.get()
    Thread.objects.filter(pk=thread.pk).update(updated_at=timezone.now() - timedelta(days=1))
    before = Thread.objects.get().updated_at

    # The group answered from Gmail: the learner's turn now.
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 12), direction="out",
                                   sender=("LevelUp", GROUP), text="We sent it again."))

    thread.refresh_from_db()
    assert thread.status == Thread.Status.WAITING and thread.snippet == "We sent it again."
    assert thread.updated_at > before
    # An earlier answer arriving late (a full sync, newest first) is the first response.
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 11), direction="out",
                                   sender=("LevelUp", GROUP), text="Looking into it."))
    thread.refresh_from_db()
    assert thread.responded_at == denver(2024, 5, 13, 11)
    assert thread.snippet == "We sent it again."


def test_a_done_thread_stays_done_when_the_group_writes_last(group_mailbox):
    thread = ThreadFactory(status=Thread.Status.DONE, gmail_thread_id="T1",
                           last_message_at=denver(2024, 5, 13, 10))
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 12), direction="out",
                                   sender=("LevelUp", GROUP)))
    thread.refresh_from_db()
    assert thread.status == Thread.Status.DONE


def test_the_oldest_message_gives_a_subjectless_thread_its_subject(group_mailbox):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 12), subject=""))
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10), subject="Badge expired"))
    assert Thread.objects.get().subject == "Badge expired"


def test_a_thread_the_group_started_names_whom_it_was_sent_to(group_mailbox):
    stored(group_mailbox, replace(incoming("T9", direction="out", sender=("LevelUp", GROUP)),
                                  to=[{"name": "L" * 300, "address": "l" * 300}]))
    thread = Thread.objects.get()
    assert (thread.requester_name, thread.requester_email) == ("L" * 200, "l" * 254)


def test_a_reply_coming_back_while_another_waits_to_go(group_mailbox, agent):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)))
    thread = Thread.objects.get()
    first = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="First.")
    second = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Second.")

    counts = stored(group_mailbox, incoming("T1", direction="out", sender=("LevelUp", GROUP),
                                            rfc_id=first.rfc_message_id))

    assert counts["replies_linked"] == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.gmail_id and second.gmail_id is None


# ---- agents' actions -------------------------------------------------------------------------
def test_assignment_audit_lines_say_from_whom_to_whom(agent, other_agent):
    thread = ThreadFactory()
    old = timezone.now() - timedelta(days=1)
    Thread.objects.filter(pk=thread.pk).update(updated_at=old)
    nameless = UserFactory(username="sam", first_name="", last_name="")

    services.assign_thread(thread_id=thread.pk, assignee=other_agent, actor=agent)
    services.assign_thread(thread_id=thread.pk, assignee=nameless, actor=agent)
    services.assign_thread(thread_id=thread.pk, assignee=None, actor=agent)
    services.assign_thread(thread_id=thread.pk, assignee=None, actor=agent)  # no change

    lines = list(AuditEvent.objects.filter(verb="assign").order_by("pk"))
    assert [(e.summary, e.changes["assignee"]) for e in lines] == [
        ("Assigned to Grace Hopper", [None, "Grace Hopper"]),
        ("Assigned to sam", ["Grace Hopper", "sam"]),
        ("Assigned to nobody", ["sam", None])]
    thread.refresh_from_db()
    assert thread.assignee is None and thread.updated_at > old
    services.assign_thread(thread_id=thread.pk, assignee=agent, actor=agent)
    assert Thread.objects.get(pk=thread.pk).assignee == agent


def test_a_status_change_is_kept_and_audited(agent):
    thread = ThreadFactory()
    old = timezone.now() - timedelta(days=1)
    Thread.objects.filter(pk=thread.pk).update(updated_at=old)

    services.mark_done(thread_id=thread.pk, actor=agent)

    thread.refresh_from_db()
    assert thread.status == Thread.Status.DONE and thread.updated_at > old
    status = line("status", thread.subject_key)
    assert (status.summary, status.changes) == ("Marked done", {"status": ["open", "done"]})


def test_a_missing_thread_is_refused(agent):
    with pytest.raises(ValidationError, match="This thread no longer exists"):
        services.assign_thread(thread_id=999, assignee=agent, actor=agent)


def test_a_correction_counts_against_its_own_rule_at_once(agent, group_mailbox):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10)))
    thread = Thread.objects.get()
    rule = thread.category_rule
    training = Category.objects.get(slug="training")

    services.correct_category(thread_id=thread.pk, category=training, actor=agent)

    assert CategoryRule.objects.get(pk=rule.pk).corrected_count == 1
    assert set(CategoryRule.objects.exclude(pk=rule.pk).values_list("corrected_count",
                                                                     flat=True)) == {0}
    correction = line("categorise", thread.subject_key)
    assert correction.changes == {"category": ["Certification", training.name], "rule": rule.pk}


def test_a_first_category_has_no_before(agent):
    thread = ThreadFactory(category=None)
    training = Category.objects.get(slug="training")
    services.correct_category(thread_id=thread.pk, category=training, actor=agent)
    assert line("categorise", thread.subject_key).changes["category"] == [None, training.name]


def test_placeholders_name_the_requester_and_the_agent(agent):
    thread = ThreadFactory(requester_name="Amara Okafor")
    text = "{{requester.name}} / {{current_user.first_name}} / {{agent.first_name}}"
    assert services.render_placeholders(text, thread=thread, actor=agent) == \
        "Amara Okafor / Ada / Ada"
    assert services.render_placeholders(text, thread=ThreadFactory(requester_name=""),
                                        actor=None) == "there /  / "


# ---- replies ---------------------------------------------------------------------------------
def test_a_reply_answers_whoever_wrote_last_and_copies_the_rest(group_mailbox, agent):
    stored(group_mailbox,
           incoming("T1", at=denver(2024, 5, 13, 10)),
           replace(incoming("T1", at=denver(2024, 5, 13, 11),
                            sender=("Her manager", "boss@fabrikam.example"),
                            subject="Re: Passed the exam but no badge",
                            cc=[{"name": "Amara", "address": "Amara@fabrikam.example"},
                                {"name": "HR", "address": "hr@fabrikam.example"}]),
                   to=[{"name": "LevelUp", "address": GROUP},
                       {"name": "Amara Okafor", "address": "amara@fabrikam.example"}]))
    thread = Thread.objects.get()

    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="On it.")

    assert reply.to == [{"name": "Her manager", "address": "boss@fabrikam.example"}]
    assert reply.cc == [{"name": "Amara Okafor", "address": "amara@fabrikam.example"},
                        {"name": "HR", "address": "hr@fabrikam.example"}]


def test_a_follow_up_in_a_thread_the_group_started_goes_to_the_requester(agent):
    thread = ThreadFactory(requester_name="Lin Chen", requester_email="lin@contoso.example")
    MessageFactory(thread=thread, direction="out", from_name="LevelUp", from_address=GROUP,
                   to=[{"name": "Lin Chen", "address": "lin@contoso.example"}])

    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="A reminder.")

    assert reply.to == [{"name": "Lin Chen", "address": "lin@contoso.example"}]
    nobody = ThreadFactory(requester_email="")
    MessageFactory(thread=nobody, direction="out", from_address=GROUP, to=[])
    with pytest.raises(ValidationError, match="nobody outside the group to reply to"):
        services.reply_to_thread(thread_id=nobody.pk, actor=agent, body="Hello?")


def test_a_reply_answers_the_learners_message_not_ours_or_their_auto_reply(group_mailbox,
                                                                           agent):
    stored(group_mailbox,
           incoming("T1", at=denver(2024, 5, 13, 10), rfc_id="<question@fabrikam.example>"),
           incoming("T1", at=denver(2024, 5, 13, 11), direction="out", sender=("LevelUp", GROUP),
                    subject="Re: Passed the exam but no badge"),
           incoming("T1", at=denver(2024, 5, 13, 12), automatic=True, subject="Out of office"))
    thread = Thread.objects.get()

    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Any news?")

    assert reply.headers["in_reply_to"] == "<question@fabrikam.example>"


def test_a_reply_is_stored_as_sent_and_audited_in_full(group_mailbox, agent):
    stored(group_mailbox, incoming("T1", at=denver(2024, 5, 13, 10), subject="Q" * 300))
    thread = Thread.objects.get()
    response = PreparedResponse.objects.get(title="Passed the exam, no badge yet")
    untouched = PreparedResponse.objects.exclude(pk=response.pk).first()

    reply = services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Sent <again>.",
                                     prepared_response=response, mark_as_done=True)

    reply.refresh_from_db()
    thread.refresh_from_db()
    assert (reply.from_name, reply.author, reply.subject) == (
        "LevelUp", agent, ("Re: " + "Q" * 300)[:255])
    assert "Sent &lt;again&gt;." in reply.body_html
    assert reply.sent_at == thread.last_message_at
    assert PreparedResponse.objects.get(pk=untouched.pk).times_used == untouched.times_used
    replied = line("reply", thread.subject_key)
    assert replied.summary == "Replied with “Passed the exam, no badge yet” and marked done"
    assert replied.changes == {"message": reply.pk, "status": ["open", "done"],
                               "assignee": [None, "Ada Lovelace"],
                               "prepared_response": response.title}


# ---- escalation ------------------------------------------------------------------------------
def test_an_escalation_quotes_this_threads_last_question_and_the_note(group_mailbox, agent):
    stored(group_mailbox,
           incoming("T1", at=denver(2024, 5, 13, 10), text="First question."),
           incoming("T1", at=denver(2024, 5, 13, 11), text="Second question.",
                    subject="Re: Passed the exam but no badge"),
           incoming("T2", at=denver(2024, 5, 13, 13), text="Another thread entirely."))
    thread = Thread.objects.get(gmail_thread_id="T1")
    services.reply_to_thread(thread_id=thread.pk, actor=agent, body="Our own answer.")
    note = "  " + "n" * 1200 + "  "

    services.escalate_thread(thread_id=thread.pk, actor=agent, note=note)

    text = OutboxMessage.objects.get(system="slack").payload["text"]
    assert "(Certification, waiting on customer). They wrote: Second question." in text
    assert text.endswith(f" Note from Ada Lovelace: {'n' * 1000}")
    escalated = line("escalate", thread.subject_key)
    assert escalated.changes == {"channel": "#edu_services_team"}
    assert escalated.summary == "Escalated to #edu_services_team: " + "n" * 248


def test_an_escalation_without_a_note_says_who_asked(agent):
    thread = ThreadFactory(category=None)
    services.escalate_thread(thread_id=thread.pk, actor=agent)
    text = OutboxMessage.objects.get(system="slack").payload["text"]
    assert "(uncategorised, open)" in text and text.endswith(" Asked by Ada Lovelace.")
    assert line("escalate", thread.subject_key).summary == "Escalated to #edu_services_team"


def test_a_mailbox_without_a_channel_cannot_escalate(agent):
    thread = ThreadFactory()
    Mailbox.objects.filter(pk=thread.mailbox_id).update(escalation_channel="")
    with pytest.raises(ValidationError, match="no escalation channel set"):
        services.escalate_thread(thread_id=thread.pk, actor=agent)
    assert not OutboxMessage.objects.exists()
