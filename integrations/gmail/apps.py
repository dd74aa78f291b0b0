"""Gmail as an adapter: the group's mail comes in through the sync, replies go out through
the outbox."""

from integrations.adapters import AdapterConfig


class GmailConfig(AdapterConfig):
    name = "integrations.gmail"
    label = "gmail"
    verbose_name = "Gmail (LevelUp group)"
    default = True
