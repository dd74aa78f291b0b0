"""A loopback fake of Slack's chat.postMessage and incoming webhooks, on the fakes kit."""

from integrations.slack.fake.app import FakeSlack

__all__ = ["FakeSlack"]
