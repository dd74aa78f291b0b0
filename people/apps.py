"""People and what every app shares about them: teams, regions, roles, the audit trail."""

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from . import timezones  # noqa: F401 - connects the sign-in receiver
