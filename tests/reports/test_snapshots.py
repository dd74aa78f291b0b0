"""Closed months frozen once; the report shows them beside today's count; the Slack summary."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from badges.models import Badge
from integrations.models import OutboxMessage
from people.models import AuditEvent
from reports import services
from reports.certifications import CertificationFilters, certification_report
from reports.models import CertificationSnapshot, FrozenMonth, SummarySubscription
from tests.reports.fixtures import at, seed_badges

pytestmark = pytest.mark.django_db
NOW = at("2026-04-15T18:00")
FEB = date(2026, 2, 1)


def feb_row():
    return certification_report(CertificationFilters(first=FEB, last=FEB)).rows[0]


def test_a_closed_month_is_frozen_once_and_a_later_revoke_shows_beside_it():
    seeded = seed_badges()
    frozen, created = services.freeze_month(FEB, now=NOW)
    assert created and frozen.time_zone == "America/Denver"
    assert sorted(CertificationSnapshot.objects.values_list(
        "template_name", "audience_name", "issued", "revoked")) == [
        ("Git Associate", "Customers", 1, 0), ("Partner Sales", "Partners", 1, 1)]
    row = feb_row()
    assert (row.snapshot_issued, row.snapshot_revoked, row.differs_from_snapshot) == (2, 1, False)

    # As the Credly sync records a revoke: the state and the change time.
    Badge.objects.filter(template=seeded["partner"], state=Badge.State.ACCEPTED).update(
        state=Badge.State.REVOKED, updated_at=timezone.now())
    assert services.freeze_month(FEB, now=NOW)[1] is False  # idempotent: nothing moves
    row = feb_row()
    assert (row.issued, row.revoked) == (1, 2)
    assert (row.snapshot_issued, row.snapshot_revoked, row.differs_from_snapshot) == (2, 1, True)
    assert CertificationSnapshot.objects.count() == 2
    assert AuditEvent.objects.filter(verb="freeze", subject="report-month:2026-02").count() == 1


def test_a_month_frozen_with_no_badge_reads_zero():
    services.freeze_month(date(2025, 6, 1), now=NOW)
    row = certification_report(CertificationFilters(first=date(2025, 6, 1),
                                                    last=date(2025, 6, 1))).rows[0]
    assert (row.is_frozen, row.snapshot_issued, row.snapshot_revoked) == (True, 0, 0)


def test_the_open_month_cannot_be_frozen():
    # 02:00 UTC on 1 May is still 30 April in Denver: April is open.
    with pytest.raises(ValidationError):
        services.freeze_month(date(2026, 4, 1), now=at("2026-05-01T02:00"))
    assert services.last_closed_month(at("2026-05-01T02:00")) == date(2026, 3, 1)
    assert services.last_closed_month(at("2026-05-01T07:00")) == date(2026, 4, 1)


def test_the_command_freezes_the_month_named_and_says_so(capsys):
    seed_badges()
    call_command("freeze_report_month", "2026-03")
    call_command("freeze_report_month", "2026-03")
    out = capsys.readouterr().out
    assert "2026-03: frozen" in out and "already frozen, unchanged" in out
    assert FrozenMonth.objects.get().month == date(2026, 3, 1)
    with pytest.raises(CommandError):
        call_command("freeze_report_month", "March")


def test_the_task_freezes_the_last_closed_month():
    from reports import tasks

    text = tasks.freeze_last_month()
    assert "frozen" in text and FrozenMonth.objects.count() == 1


def test_the_monthly_summary_goes_to_each_subscriber_once(manager, admin_user, settings):
    seed_badges()
    settings.EDUDESK_URL = "https://desk.example.com"
    services.subscribe(user=manager, channel="#edu-managers")
    services.subscribe(user=admin_user, channel="U024BE7LH")
    services.unsubscribe(user=admin_user)
    assert services.send_monthly_summaries(now=at("2026-04-02T12:00")) == 1
    assert services.send_monthly_summaries(now=at("2026-04-02T13:00")) == 0
    message = OutboxMessage.objects.get(system="slack")
    assert message.payload["channel"] == "#edu-managers"
    assert message.payload["text"] == (
        "Certifications issued in March 2026 (America/Denver): 4 (+2 on the month before, +100.0%)\n"
        "- Customers: 4\nRevoked: 1")
    assert message.payload["links"] == [{
        "url": "https://desk.example.com/reports/certifications/?from=2025-04&to=2026-03",
        "label": "Open the report"}]
    assert SummarySubscription.objects.get(user=manager).last_sent_month == date(2026, 3, 1)


def test_a_subscription_needs_a_channel(manager):
    with pytest.raises(ValidationError):
        services.subscribe(user=manager, channel="not a channel")


def test_the_page_subscribes_and_unsubscribes(client, manager):
    client.force_login(manager)
    client.post("/reports/subscription/", {"channel": "#edu-managers"})
    assert SummarySubscription.objects.get(user=manager).active
    assert "#edu-managers" in client.get("/reports/certifications/").content.decode()
    client.post("/reports/subscription/", {"active": "0"})
    assert not SummarySubscription.objects.get(user=manager).active
