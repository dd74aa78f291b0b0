"""Slack adapter: a client for chat.postMessage and incoming webhooks (FakeSlack lives in .fake)."""

from .client import SlackClient

__all__ = ["SlackClient"]
