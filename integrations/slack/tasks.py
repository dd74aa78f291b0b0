"""Slack deliveries from the outbox: a channel message for an escalation or a routing."""

from django.conf import settings

from ..errors import PermanentError
from .client import SlackClient


def client() -> SlackClient:
    if not settings.SLACK_API_URL or not settings.SLACK_BOT_TOKEN:
        raise PermanentError("Slack is not configured (SLACK_API_URL, SLACK_BOT_TOKEN)")
    return SlackClient(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN)


def deliver(message) -> dict:
    """Outbox deliverer for system "slack"; payload: channel, text."""
    payload = message.payload
    answer = client().chat_post_message(payload["channel"], payload["text"])
    return {"channel": answer.get("channel"), "ts": answer.get("ts")}
