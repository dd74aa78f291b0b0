"""The integration kit: outbox, HTTP client base, retry policy, rate budget, webhook intake,
sync driver and fakes base. It names none of the adapters built on it."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
