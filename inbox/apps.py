"""The shared inbox: the group's mail as threads, prepared responses, the weekly rotation and
business hours."""

from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Shared inbox"
