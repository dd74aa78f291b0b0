"""The inbox's Celery tasks: entry points that call one service each."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def plan_rotations() -> int:
    """Keep every rotation planned `weeks_ahead`, then flag weeks nobody covers."""
    services.plan_all()
    return services.flag_rotation_gaps()


@shared_task(ignore_result=True)
def remind_shifts() -> int:
    return services.send_shift_reminders()


@shared_task(ignore_result=True)
def flag_overdue() -> int:
    return services.flag_overdue_threads()
