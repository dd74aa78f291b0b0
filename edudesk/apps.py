"""The project itself as an app: roles migration, health check."""

from django.apps import AppConfig


class EduDeskConfig(AppConfig):
    name = "edudesk"
    verbose_name = "EduDesk"
