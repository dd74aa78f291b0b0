"""Slack as an adapter: channel messages from the outbox."""

from integrations.adapters import AdapterConfig


class SlackConfig(AdapterConfig):
    name = "integrations.slack"
    label = "slack"
    verbose_name = "Slack"
    default = True
