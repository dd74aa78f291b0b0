"""The project itself as an app: settings, urls, the admin site, health check."""

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class EduDeskConfig(AppConfig):
    name = "edudesk"
    verbose_name = "EduDesk"

    def ready(self) -> None:
        ensure_var_dirs()


def ensure_var_dirs() -> None:
    """The embedded mode's folders (database, queue, cache, static), made at start-up rather
    than when settings are imported, so importing settings never writes to disk."""
    folders = [Path(settings.VAR_DIR), Path(settings.STATIC_ROOT)]
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    folders += [Path(options[key]) for key in ("data_folder_in", "processed_folder",
                                               "control_folder") if options.get(key)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
