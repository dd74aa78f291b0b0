"""Whether Slack is configured, and the client built from settings."""

from django.conf import settings

from integrations.errors import PermanentError

from .client import SlackClient


def is_configured() -> bool:
    return bool(settings.SLACK_API_URL and settings.SLACK_BOT_TOKEN)


def get_client() -> SlackClient:
    if not is_configured():
        raise PermanentError("Slack is not configured (SLACK_API_URL, SLACK_BOT_TOKEN)")
    return SlackClient(settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN)
