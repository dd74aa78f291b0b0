"""The suggestions' Celery tasks: entry points that call one service each."""

from celery import shared_task
from django.contrib.auth import get_user_model

from . import selectors, services


@shared_task(ignore_result=True)
def train() -> int:
    version = services.train_model().version
    services.refresh_open()
    return version


@shared_task(ignore_result=True)
def refresh() -> int:
    # A desk that never trained learns at once from what it has, not hours later.
    if selectors.current_version() is None:
        train()
    return services.refresh_changed()


@shared_task(ignore_result=True)
def subject_changed(subject: str, kind: str = "", chosen: str = "",
                    actor_id: int | None = None) -> None:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    services.subject_changed(subject=subject, kind=kind, chosen=chosen, actor=actor)
