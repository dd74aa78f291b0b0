"""Outbox delivery to a fake Slack over real HTTP: sent, retried, failed, retried by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import outbox
from integrations.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack_settings(settings, fake_slack):
    settings.SLACK_API_URL = fake_slack.base_url
    settings.SLACK_BOT_TOKEN = "xoxb-test"
    return fake_slack


def _message(channel="#edu_services_team", text="Ticket #1 needs you"):
    return OutboxMessage.objects.create(system="slack", action="notify",
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
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outcome = outbox.deliver(message.pk)
    assert outcome.state == "failed"
    message.refresh_from_db()
    assert message.attempts == outbox.MAX_ATTEMPTS and "HTTP 5" in message.last_error


def test_a_retry_scheduled_for_later_is_not_sent_early(slack_settings):
    slack_settings.error_rate = 1.0
    message = _message()
    outbox.deliver(message.pk)
    slack_settings.error_rate = 0.0
    assert outbox.deliver(message.pk).state == "skipped"  # e.g. beat's sweep racing the retry
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
        outbox.retry_now(message)
    message.refresh_from_db()
    assert message.state == "queued" and message.attempts == 0 and len(callbacks) == 1


def test_beat_sweep_finds_due_messages(slack_settings):
    due, later = _message(), _message()
    OutboxMessage.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1))
    assert list(outbox.due_messages()) == [due.pk]


def test_unconfigured_slack_is_a_visible_failure(settings):
    settings.SLACK_API_URL = ""
    message = _message()
    assert outbox.deliver(message.pk).state == "failed"
    message.refresh_from_db()
    assert "not configured" in message.last_error
