"""Celery entry points for reports: freeze the closed month, send the Slack summaries, keep
the reports' own figures current."""

from celery import shared_task

from . import certifications, rollup, services, threads, ticket_metrics


@shared_task
def freeze_last_month() -> str:
    month = services.last_closed_month()
    _, created = services.freeze_month(month)
    return f"{month:%Y-%m} {'frozen' if created else 'was frozen already'}"


@shared_task
def send_monthly_summaries() -> int:
    return services.send_monthly_summaries()


@shared_task
def refresh_counts() -> None:
    """Each minute: the reports' figures brought up to the latest changes, so a page rarely
    has more than a minute's changes to take in (and never the first full build)."""
    zone = certifications.team_zone()
    rollup.refresh(zone)
    threads.refresh(zone)
    ticket_metrics.refresh(zone)


@shared_task
def rebuild_counts() -> None:
    """Nightly: everything counted again, for what no change mark shows (a row deleted, a
    badge's issue time moved to another month)."""
    zone = certifications.team_zone()
    rollup.rebuild(zone)
    threads.rebuild(zone)
    ticket_metrics.rebuild(zone)
