"""The agent console: tickets, views, macros and routing."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Agent console"
