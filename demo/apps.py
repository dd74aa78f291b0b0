"""The demo: seeds every app and starts every fake service beside web, worker and beat."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo"
