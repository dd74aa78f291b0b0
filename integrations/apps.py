"""Adapters to external systems, and what they share: the outbox and its delivery."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
