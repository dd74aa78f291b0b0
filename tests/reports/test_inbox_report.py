"""The inbox report against business hours counted by hand (Denver, MST = UTC-7 in February
2026: the desk is open 16:00-24:00 UTC, Monday to Friday)."""

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inbox.models import Category, Rotation, Shift, Thread
from reports import threads
from tests.factories import UserFactory
from tests.inbox.factories import ThreadFactory
from tests.reports.fixtures import at

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")
FEBRUARY = threads.WeekFilters(first=date(2026, 2, 9), last=date(2026, 2, 16))


def thread(asked: str, responded: str | None, due: str, category=None, **fields) -> Thread:
    return ThreadFactory(created_at=at(asked), asked_at=at(asked), last_message_at=at(asked),
                         responded_at=at(responded) if responded else None,
                         first_response_due_at=at(due), category=category,
                         status="done" if responded else "open", **fields)


@pytest.fixture
def seeded():
    questions = Category.objects.create(name="Questions", slug="report-questions")
    vouchers = Category.objects.create(name="Vouchers", slug="report-vouchers")
    # Week of Monday 9 February (Denver):
    thread("2026-02-09T16:00", "2026-02-09T18:30", "2026-02-10T00:00", questions)  # 2h30m
    thread("2026-02-13T23:00", "2026-02-16T17:00", "2026-02-16T22:00", questions)  # Fri 1h + Mon 1h
    thread("2026-02-14T18:00", "2026-02-16T20:00", "2026-02-16T19:00", vouchers)  # Sat: Mon 4h, late
    thread("2026-02-11T16:00", None, "2026-02-12T00:00")  # never answered, past due
    thread("2026-02-10T16:00", "2026-02-11T17:00", "2026-02-11T00:00", questions)  # 8h + 1h, late
    # Week of Monday 16 February:
    thread("2026-02-17T16:00", "2026-02-17T16:45", "2026-02-18T00:00", vouchers)  # 45m
    ada = UserFactory(username="ada-report", first_name="Ada", last_name="Lovelace")
    grace = UserFactory(username="grace-report", first_name="Grace", last_name="Hopper")
    rotation = Rotation.objects.order_by("pk").first()
    Shift.objects.create(rotation=rotation, week_start=date(2026, 2, 9), member=ada)
    Shift.objects.create(rotation=rotation, week_start=date(2026, 2, 16), member=grace)


def test_weeks_categories_due_times_and_business_hours_by_hand(seeded):
    report = threads.inbox_report(FEBRUARY, zone=DENVER)
    assert report.categories == ["Questions", "Vouchers", "Uncategorised"]
    first, second = report.rows
    assert (first.week, first.on_duty, first.by_category, first.threads, first.overdue) == (
        date(2026, 2, 9), "Ada Lovelace", [3, 1, 1], 5, 3)
    # Answered after 150, 120, 240 and 540 business minutes: nearest-rank median 150, p90 540.
    assert (first.responded, first.median_minutes, first.p90_minutes) == (4, 150, 540)
    assert (first.median_label, first.p90_label) == ("2h 30m", "1d 1h")
    assert (second.on_duty, second.threads, second.overdue, second.median_minutes) == (
        "Grace Hopper", 1, 0, 45)
    assert [(m.member, m.weeks, m.threads, m.overdue, m.median_minutes, m.p90_minutes)
            for m in report.members] == [("Ada Lovelace", 1, 5, 3, 150, 540),
                                         ("Grace Hopper", 1, 1, 0, 45, 45)]


def test_a_thread_answered_later_moves_the_figures(seeded):
    threads.inbox_report(FEBRUARY, zone=DENVER)
    waiting = Thread.objects.get(responded_at__isnull=True)
    waiting.responded_at, waiting.status = at("2026-02-11T20:00"), "done"  # 4h after it came in
    waiting.updated_at = timezone.now()
    waiting.save()
    first = threads.inbox_report(FEBRUARY, zone=DENVER).rows[0]
    # 120, 150, 240, 240, 540: the median is the 3rd of 5; answered in time, no longer over due.
    assert (first.responded, first.overdue, first.median_minutes) == (5, 2, 240)


def test_percentiles_by_nearest_rank():
    assert threads.percentile({}, 0.5) is None
    assert threads.percentile({10: 1, 20: 1, 30: 1}, 0.5) == 20
    assert threads.percentile({10: 9, 99: 1}, 0.9) == 10
    assert threads.percentile({10: 9, 99: 1}, 0.95) == 99


def test_page_csv_and_api_for_managers_only(client, manager, agent, seeded):
    client.force_login(manager)
    page = client.get("/reports/inbox/?from=2026-02-09&to=2026-02-16")
    assert page.status_code == 200 and 'id="inbox-chart"' in page.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(
        "/reports/inbox.csv?from=2026-02-11&to=2026-02-17").content.decode())))
    assert rows[0][:5] == ["week", "on_duty", "Questions", "Vouchers", "Uncategorised"]
    assert rows[1] == ["2026-02-09", "Ada Lovelace", "3", "1", "1", "5", "3", "4", "150", "540"]
    assert rows[2] == ["2026-02-16", "Grace Hopper", "0", "1", "0", "1", "0", "1", "45", "45"]
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/v1/reports/inbox/?from=2026-02-09&to=2026-02-16").json()
    assert body["weeks"][0]["median_first_response_minutes"] == 150
    assert body["members"][1]["member"] == "Grace Hopper"
    client.force_login(agent)
    assert client.get("/reports/inbox/").status_code == 403
    api.force_authenticate(agent)
    assert api.get("/api/v1/reports/inbox/").status_code == 403
