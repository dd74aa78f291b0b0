"""The shared inbox and its weekly rotation (to come)."""

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Shared inbox"
