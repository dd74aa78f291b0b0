"""Outbox delivery to a fake Slack over real HTTP: sent, retried, failed, retried by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import outbox, retry
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack_settings(settings, fake_slack):
    settings.SLACK_API_URL = fake_slack.base_url
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    return fake_slack


def _message(channel="#edu_services_team", text="Ticket #1 needs you", subject="ticket:1"):
    return OutboxMessage.objects.create(system="slack", action="notify", subject=subject,
                                        payload={"channel": channel, "text": text})


def test_delivered_once(slack_settings):
    message = _message()
    assert outbox.deliver(message.pk).state == "sent"
    assert outbox.deliver(message.pk).state == "skipped"  # a duplicate task changes nothing
    message.refresh_from_db()
    assert message.attempts == 1 and message.sent_at and message.response["ts"]
    assert [m["text"] for m in slack_settings.messages] == ["Ticket #1 needs you"]


def test_permanent_error_fails_with_slacks_own_words(slack_settings):
    message = _message(channel="#no-such-channel")
    assert outbox.deliver(message.pk).state == "failed"
    message.refresh_from_db()
    assert "channel_not_found" in message.last_error


def test_transient_errors_back_off_then_give_up(slack_settings):
    slack_settings.error_rate = 1.0
    message = _message()
    first = outbox.deliver(message.pk)
    assert first.state == "queued" and 1 <= first.retry_in <= 2
    message.refresh_from_db()
    assert message.next_attempt_at > timezone.now()
    for _ in range(retry.policy("delivery").max_attempts - 1):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outcome = outbox.deliver(message.pk)
    assert outcome.state == "failed"
    message.refresh_from_db()
    assert message.attempts == retry.policy("delivery").max_attempts and "HTTP 5" in message.last_error


def test_a_retry_scheduled_for_later_is_not_sent_early(slack_settings):
    slack_settings.error_rate = 1.0
    message = _message()
    outbox.deliver(message.pk)
    slack_settings.error_rate = 0.0
    assert outbox.deliver(message.pk).state == "later"  # e.g. beat's sweep racing the retry
    assert not slack_settings.messages


def test_rate_limited_waits_retry_after(slack_settings):
    slack_settings.rate_limit_per_second = 0.001
    slack_settings.retry_after_seconds = 7
    outbox.deliver(_message().pk)
    outcome = outbox.deliver(_message().pk)
    assert outcome.state == "queued" and outcome.retry_in == 7


def test_agent_retry_requeues_a_failed_message(slack_settings, django_capture_on_commit_callbacks):
    message = _message(channel="#ld-delegates")
    slack_settings.archive("#ld-delegates")
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.state == "failed"
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox.retry_now(message_id=message.pk, subject=message.subject)
    message.refresh_from_db()
    assert message.state == "queued" and message.attempts == 0 and len(callbacks) == 1


def test_beat_sweep_finds_due_messages(slack_settings):
    due, later = _message(subject="ticket:1"), _message(subject="ticket:2")
    OutboxMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1))
    assert outbox.lanes_to_sweep() == [("slack", due.subject)]


def test_unconfigured_slack_is_a_visible_failure(settings):
    settings.SLACK_API_URL = ""
    message = _message()
    assert outbox.deliver(message.pk).state == "failed"
    message.refresh_from_db()
    assert "not configured" in message.last_error


def test_a_lane_is_drained_in_order_by_one_task(slack_settings):
    rows = [_message(text=f"message {n}") for n in range(5)]
    outcomes = outbox.drain("slack", "ticket:1")
    assert [o.state for o in outcomes] == ["sent"] * 5
    assert [m["text"] for m in slack_settings.messages] == [f"message {n}" for n in range(5)]
    assert not OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], state="queued").exists()


def test_a_row_is_never_dispatched_twice_while_its_task_is_on_the_way(slack_settings):
    _message()
    assert outbox.dispatch("slack", "ticket:1") is True
    assert outbox.dispatch("slack", "ticket:1") is False  # the sweep, a second enqueue
    assert outbox.sweep() == 0
    outbox.drain("slack", "ticket:1")  # the task runs: a new row needs a new task again
    _message(text="later")
    assert outbox.dispatch("slack", "ticket:1") is True


def test_the_sweep_skips_rows_a_worker_holds_and_takes_over_expired_claims(slack_settings):
    held, expired = _message(subject="ticket:1"), _message(subject="ticket:2")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=held.pk).update(
        claimed_at=now, claimed_until=now + timedelta(seconds=outbox.CLAIM_SECONDS))
    OutboxMessage.objects.filter(pk=expired.pk).update(
        claimed_at=now - timedelta(minutes=5), claimed_until=now - timedelta(seconds=1))
    assert outbox.lanes_to_sweep() == [("slack", "ticket:2")]
    assert [o.state for o in outbox.drain("slack", "ticket:2")] == ["sent"]


def test_the_sweep_only_looks_at_queued_rows(slack_settings):
    for n in range(outbox.SWEEP_LIMIT + 5):
        OutboxMessage.objects.create(system="slack", action="notify", subject=f"old:{n}",
                                     state="sent", payload={})
    due = _message(subject="ticket:9")
    assert outbox.lanes_to_sweep() == [("slack", due.subject)]


def test_a_later_row_waits_for_the_one_before_it(slack_settings):
    first, second = _message(text="first"), _message(text="second")
    assert outbox.deliver(second.pk).state == "waiting"
    assert outbox.deliver(first.pk).state == "sent"
    assert outbox.deliver(second.pk).state == "sent"
    assert [m["text"] for m in slack_settings.messages] == ["first", "second"]


def test_slack_text_from_requesters_cannot_ping_or_disguise_links(slack_settings):
    message = _message(text="<!channel> URGENT <https://evil.example/login|Zendesk SSO> & co")
    assert outbox.deliver(message.pk).state == "sent"
    posted = slack_settings.messages[-1]["text"]
    assert "<!channel>" not in posted and "<https://evil" not in posted
    assert posted == ("&lt;!channel&gt; URGENT &lt;https://evil.example/login|Zendesk SSO&gt; "
                      "&amp; co")
