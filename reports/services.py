"""Every change reports make: freezing a closed month, Slack subscriptions and summaries."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from badges import selectors as badges
from integrations import outbox
from people import audit

from . import certifications, rollup
from . import months as cal
from .models import CertificationSnapshot, FrozenMonth, SummarySubscription

SLACK = "slack"


def last_closed_month(now: datetime | None = None, zone: ZoneInfo | None = None) -> date:
    zone = zone or certifications.team_zone()
    return cal.add_months(cal.month_of(now or timezone.now(), zone), -1)


@transaction.atomic
def freeze_month(month: date, *, zone: ZoneInfo | None = None, now: datetime | None = None,
                 actor=None) -> tuple[FrozenMonth, bool]:
    """Keep the closed month's figures as snapshot rows, once: a month already frozen is
    left as it was (False), so a badge revoked later does not move a closed month."""
    zone = zone or certifications.team_zone()
    now = now or timezone.now()
    month = month.replace(day=1)
    if month >= cal.month_of(now, zone):
        raise ValidationError({"month": f"{month:%Y-%m} is not closed yet."})
    frozen, created = FrozenMonth.objects.get_or_create(
        month=month, defaults={"time_zone": str(zone), "frozen_at": now})
    if not created:
        return frozen, False
    rollup.recount_month(zone, month)  # counted from the badges themselves, this instant
    templates = {t.pk: t for t in badges.templates_with_audience()}
    figures: dict[int, list[int]] = {}
    for (_, template, revoked), number in certifications.counts(month, month, zone, None).items():
        figures.setdefault(template, [0, 0])[1 if revoked else 0] += number
    CertificationSnapshot.objects.bulk_create([
        CertificationSnapshot(
            month=month, template_id=pk, template_name=templates[pk].name,
            audience=templates[pk].audience,
            audience_name=templates[pk].audience.name if templates[pk].audience else "",
            issued=issued, revoked=revoked, frozen_at=now)
        for pk, (issued, revoked) in sorted(figures.items())])
    audit.record(actor=actor, verb="freeze", subject=f"report-month:{month:%Y-%m}",
                 summary=f"Certification figures of {month:%B %Y} frozen: "
                         f"{sum(f[0] for f in figures.values())} issued, "
                         f"{sum(f[1] for f in figures.values())} revoked",
                 changes={"templates": len(figures), "time_zone": str(zone)})
    return frozen, True


@transaction.atomic
def subscribe(*, user, channel: str) -> SummarySubscription:
    channel = (channel or "").strip()
    if not channel or len(channel) > 80 or " " in channel:
        raise ValidationError({"channel": "Name a Slack channel (#name) or member id."})
    subscription, _ = SummarySubscription.objects.update_or_create(
        user=user, defaults={"channel": channel, "active": True})
    audit.record(actor=user, verb="subscribe", subject=f"report-subscription:{subscription.pk}",
                 summary=f"Monthly certification summary on Slack to {channel}")
    return subscription


@transaction.atomic
def unsubscribe(*, user) -> None:
    for subscription in SummarySubscription.objects.filter(user=user, active=True):
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit.record(actor=user, verb="unsubscribe",
                     subject=f"report-subscription:{subscription.pk}",
                     summary="Monthly certification summary on Slack stopped")


def summary_text(report: certifications.CertificationReport) -> str:
    """Plain text (the Slack adapter escapes it): the month's figures by audience."""
    row = report.rows[-1]
    lines = [f"Certifications issued in {row.month:%B %Y} ({report.time_zone}): {row.issued}"]
    if row.change is not None:
        percent = f", {row.change_percent:+.1f}%" if row.change_percent is not None else ""
        lines[0] += f" ({row.change:+d} on the month before{percent})"
    lines += [f"- {name}: {number}" for name, number in zip(report.audiences, row.by_audience,
                                                             strict=True)]
    lines.append(f"Revoked: {row.revoked}")
    return "\n".join(lines)


@transaction.atomic
def send_monthly_summaries(*, now: datetime | None = None) -> int:
    """One Slack message per active subscription with the last closed month's figures and a
    link to the report; a subscription already sent that month is skipped (idempotent)."""
    zone = certifications.team_zone()
    month = last_closed_month(now, zone)
    pending = list(SummarySubscription.objects.select_for_update().filter(active=True).exclude(
        last_sent_month=month))
    if not pending:
        return 0
    filters = certifications.CertificationFilters(first=month, last=month)
    report = certifications.certification_report(filters, zone=zone)
    link = f"{settings.EDUDESK_URL}{reverse('reports:certifications')}?" \
           f"from={cal.add_months(month, -11):%Y-%m}&to={month:%Y-%m}"
    text = summary_text(report)
    for subscription in pending:
        outbox.enqueue(system=SLACK, action="report_summary",
                       subject=f"report-subscription:{subscription.pk}",
                       payload={"channel": subscription.channel, "text": text,
                                "links": [{"url": link, "label": "Open the report"}]})
        subscription.last_sent_month = month
        subscription.save(update_fields=["last_sent_month"])
    return len(pending)
