"""The tickets report against a desk counted by hand (weeks of 9 and 16 February 2026 in Denver)."""

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from people.models import AuditEvent
from reports import ticket_metrics
from reports.threads import WeekFilters
from tests.factories import TicketFactory, UserFactory, form
from tests.reports.fixtures import at
from tickets.models import Comment

pytestmark = pytest.mark.django_db
DENVER = ZoneInfo("America/Denver")
FEBRUARY = WeekFilters(first=date(2026, 2, 9), last=date(2026, 2, 16))
VIEWS = ["Professional Services - Triage", "Professional Services - Paid",
         "Professional Services - Free", "No view"]


@pytest.fixture
def desk():
    ada = UserFactory(username="ada-t", first_name="Ada", last_name="Lovelace")
    grace = UserFactory(username="grace-t", first_name="Grace", last_name="Hopper")

    def ticket(created, status="open", updated=None, **fields):
        return TicketFactory(created_at=at(created), updated_at=at(updated or created),
                             status=status, **fields)

    ticket("2026-02-02T17:00")  # open since before the range: Triage's backlog
    paid = ticket("2026-02-10T17:00", "solved", tags=" paid ")
    AuditEvent.objects.create(actor=ada, verb="status", subject=f"ticket:{paid.pk}",
                              summary="Status set to solved", changes={"status": ["open", "solved"]},
                              created_at=at("2026-02-17T18:00"))
    # Solved in Zendesk: no line in the trail; counted when last updated, for its assignee.
    free = ticket("2026-02-11T17:00", "solved", "2026-02-12T18:00", form=form("Free Training"),
                  assignee=grace)
    late = ticket("2026-02-16T17:00", "new")
    ticket("2026-02-03T17:00", "solved", "2026-02-04T17:00", form=None)  # before the range
    Comment.objects.create(ticket=paid, author=ada, is_public=True, body_html="<p>Hi</p>",
                           created_at=at("2026-02-10T17:45"))  # 45 minutes
    Comment.objects.create(ticket=free, author=grace, is_public=True, body_html="<p>Hi</p>",
                           created_at=at("2026-02-11T19:00"))  # 2 hours
    Comment.objects.create(ticket=free, author=grace, is_public=False, body_html="<p>note</p>",
                           created_at=at("2026-02-11T17:10"))  # a note is no reply
    Comment.objects.create(ticket=late, author=None, is_public=True, body_html="<p>Me again</p>",
                           created_at=at("2026-02-16T17:30"))  # the requester is no reply
    AuditEvent.objects.create(actor=ada, verb="route", subject=f"ticket:{free.pk}",
                              summary="Routed", changes={"routed_to": "L&D", "rule": None},
                              created_at=at("2026-02-12T18:00"))
    AuditEvent.objects.create(actor=ada, verb="route", subject=f"ticket:{late.pk}",
                              summary="Asked", changes={"consulted": "#field-enablement-team"},
                              created_at=at("2026-02-18T18:00"))


def test_backlog_solves_replies_and_routing_by_hand(desk):
    report = ticket_metrics.ticket_report(FEBRUARY, zone=DENVER)
    assert report.views == VIEWS
    first, second = report.rows
    assert (first.backlog, first.solved, first.created) == ([1, 1, 0, 0], [0, 0, 1, 0], 2)
    assert (second.backlog, second.solved, second.created) == ([2, 0, 0, 0], [0, 1, 0, 0], 1)
    assert (first.replied, first.median_reply_minutes, first.median_reply_label) == (2, 45, "45m")
    assert (second.replied, second.median_reply_minutes) == (0, None)
    assert report.solved_by_agent == [("Ada Lovelace", VIEWS[1], [0, 1]),
                                      ("Grace Hopper", VIEWS[2], [1, 0])]
    assert report.routed == [("L&D", [1, 0]), ("asked #field-enablement-team", [0, 1])]


def test_page_csv_and_api_for_managers_only(client, manager, agent, desk):
    client.force_login(manager)
    page = client.get("/reports/tickets/?from=2026-02-09&to=2026-02-16")
    assert page.status_code == 200
    assert 'id="backlog-chart"' in page.content.decode() and "Ada Lovelace" in page.content.decode()
    rows = list(csv.reader(io.StringIO(client.get(
        "/reports/tickets.csv?from=2026-02-09&to=2026-02-16").content.decode())))
    assert rows[1] == ["2026-02-09", "1", "1", "0", "0", "0", "0", "1", "0", "2", "2", "45"]
    assert ["Grace Hopper", VIEWS[2], "1", "0"] in rows and ["L&D", "", "1", "0"] in rows
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/v1/reports/tickets/?from=2026-02-09&to=2026-02-16").json()
    assert body["weeks"][1]["backlog"][VIEWS[0]] == 2
    assert body["routed_per_delegate"][0] == {"routed_to": "L&D", "routed": [1, 0]}
    client.force_login(agent)
    assert client.get("/reports/tickets/").status_code == 403
    api.force_authenticate(agent)
    assert api.get("/api/v1/reports/tickets/").status_code == 403
