"""The admin's audit view: every app's trail, filtered, keyset-paged, exported; never edited."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from people import audit
from people.models import AuditEvent
from tests.factories import RoutingRuleFactory, TicketFactory

pytestmark = pytest.mark.django_db


def _line(actor, verb, subject, summary, days_ago=0):
    event = audit.record(actor=actor, verb=verb, subject=subject, summary=summary)
    if days_ago:
        # Only the test may move time: the model refuses every change.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE people_auditevent SET created_at = %s WHERE id = %s",
                           [timezone.now() - timedelta(days=days_ago), event.pk])
    return event


@pytest.fixture
def trail(agent, other_agent):
    return [
        _line(agent, "assign", "ticket:1", "Assigned to Ada", days_ago=3),
        _line(other_agent, "issue", "badge:7", "Issue of “Git Associate” queued", days_ago=2),
        _line(agent, "status", "ticket:2", "Status set to pending", days_ago=1),
        _line(None, "sign_in_failed", "sign-in", "Failed password sign-in as “root”"),
    ]


def _summaries(response) -> list[str]:
    return [e.summary for e in response.context["page"].items]


def test_admins_read_the_whole_trail_newest_first(client, admin_user, trail):
    client.force_login(admin_user)
    response = client.get("/audit/")
    assert response.status_code == 200
    # the admin's own sign-in is the newest line
    assert _summaries(response)[1:] == [e.summary for e in reversed(trail)]


@pytest.mark.parametrize("query, expected", [
    ("person=ada", ["Status set to pending", "Assigned to Ada"]),
    ("person=GRACE@edudesk.example", ["Issue of “Git Associate” queued"]),
    ("subject=ticket:2", ["Status set to pending"]),
    ("subject=ticket:", ["Status set to pending", "Assigned to Ada"]),
    ("verb=issue", ["Issue of “Git Associate” queued"]),
    ("person=ada&subject=ticket:", ["Status set to pending", "Assigned to Ada"]),
])
def test_filters(client, admin_user, trail, query, expected):
    client.force_login(admin_user)
    assert _summaries(client.get(f"/audit/?{query}")) == expected


def test_date_filters(client, admin_user, trail):
    client.force_login(admin_user)
    today = timezone.localdate()
    since = (today - timedelta(days=2)).isoformat()
    until = (today - timedelta(days=1)).isoformat()
    response = client.get(f"/audit/?since={since}&until={until}")
    assert _summaries(response) == ["Status set to pending", "Issue of “Git Associate” queued"]
    bad = client.get("/audit/?since=yesterday")
    assert bad.status_code == 400 and "Use a date like" in bad.content.decode()


def test_pages_follow_keys_at_a_fixed_query_count(client, admin_user, agent):
    for n in range(120):
        audit.record(actor=agent, verb="note", subject=f"ticket:{n}", summary=f"line {n}")
    client.force_login(admin_user)
    client.get("/audit/")  # the session's first request writes it; not the list's cost
    seen, url, counts = [], "/audit/?verb=note", []
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        counts.append(len(queries))
        seen += _summaries(response)
        cursor = response.context["page"].next_cursor
        url = f"/audit/?verb=note&cursor={cursor}" if cursor else None
    assert seen == [f"line {n}" for n in reversed(range(120))]
    assert len(counts) == 3 and len(set(counts)) == 1  # page 3 costs what page 1 costs


def test_csv_export_has_every_matching_line_and_defuses_formulas(client, admin_user, agent):
    _line(agent, "reply", "ticket:9", "=HYPERLINK(\"http://evil.example\")")
    _line(agent, "assign", "ticket:9", "Assigned to Ada")
    client.force_login(admin_user)
    response = client.get("/audit/export.csv?subject=ticket:9")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["time", "person", "action", "object", "summary", "changes"]
    assert [r[3] for r in rows[1:]] == ["ticket:9", "ticket:9"]
    assert rows[1][4] == "Assigned to Ada" and rows[2][4].startswith("'=HYPERLINK")


def test_the_api_lists_the_trail_for_admins_only(admin_user, agent, trail):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(agent)
    assert api.get("/api/v1/audit-events/").status_code == 403
    api.force_authenticate(admin_user)
    body = api.get("/api/v1/audit-events/?person=ada").json()
    assert [e["summary"] for e in body["results"]] == ["Status set to pending", "Assigned to Ada"]
    assert body["results"][0]["actor"] == "ada" and body["next"] is None
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/audit-events/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"person", "subject", "verb",
                                                            "since", "until", "cursor"}


def test_nobody_edits_or_deletes_a_line_in_the_admin(client, admin_user, trail):
    client.force_login(admin_user)
    event = trail[0]
    assert client.get("/admin/people/auditevent/").status_code == 200
    assert client.post(f"/admin/people/auditevent/{event.pk}/change/",
                       {"summary": "nothing happened"}).status_code == 403
    assert client.post(f"/admin/people/auditevent/{event.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.summary == "Assigned to Ada"


def test_deleting_a_person_does_not_rewrite_their_lines(agent, trail):
    with pytest.raises(ProtectedError):
        agent.delete()
    assert AuditEvent.objects.filter(actor=agent).count() == 2


def test_configuration_changes_in_the_admin_are_recorded_with_before_and_after(client,
                                                                                admin_user):
    rule = RoutingRuleFactory(name="Sales to Field Enablement", slack_channel="#field-enablement")
    client.force_login(admin_user)
    form = client.get(f"/admin/tickets/routingrule/{rule.pk}/change/").context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["slack_channel"] = "#field-enablement-team"
    response = client.post(f"/admin/tickets/routingrule/{rule.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(verb="config_changed")
    assert event.actor == admin_user and event.subject == f"tickets.routingrule:{rule.pk}"
    assert event.changes == {"slack_channel": ["#field-enablement", "#field-enablement-team"]}
    client.post(f"/admin/tickets/routingrule/{rule.pk}/delete/", {"post": "yes"})
    deleted = AuditEvent.objects.get(verb="config_deleted")
    assert deleted.subject == f"tickets.routingrule:{rule.pk}"
    assert deleted.changes["name"] == ["Sales to Field Enablement", None]


def test_ticket_actions_are_in_the_same_trail(client, admin_user, agent):
    from tickets import services

    ticket = TicketFactory()
    services.assign_ticket(ticket_id=ticket.pk, assignee=agent, actor=agent)
    client.force_login(admin_user)
    response = client.get(f"/audit/?subject={ticket.subject_key}")
    assert len(response.context["page"].items) == 1
