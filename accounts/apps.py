"""Sign-in safety, API tokens, access requests and the audit view as a Django app."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the sign-in and token receivers
