"""Certifications, their signed results and the Credly badges they earn."""

from django.apps import AppConfig


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = "Badges"
