"""Zendesk as an adapter: mirrors tickets in, sends agents' changes out through the outbox."""

from integrations.adapters import AdapterConfig


class ZendeskConfig(AdapterConfig):
    name = "integrations.zendesk"
    label = "zendesk"
    verbose_name = "Zendesk"
    default = True

    def connect(self, delivery) -> None:
        from tickets.signals import ticket_changed

        ticket_changed.connect(delivery.on_ticket_changed, dispatch_uid="zendesk-outbound")
