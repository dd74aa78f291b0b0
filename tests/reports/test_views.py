"""The certification report's page, CSV and API: who may see them, and what they say."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from tests.reports.fixtures import seed_badges

pytestmark = pytest.mark.django_db
RANGE = "from=2026-01&to=2026-04"


def test_a_manager_sees_the_chart_and_its_table(client, manager):
    seed_badges()
    client.force_login(manager)
    response = client.get(f"/reports/certifications/?{RANGE}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and 'data-bars="4"' in html
    assert "Mar 2026, Customers: 4" in html  # the bar's own title
    assert "Apr 2026, Revoked" not in html and "Mar 2026, Revoked: 1" in html
    assert '<tr data-month="2026-03">' in html
    assert "America/Denver" in html


def test_a_bad_range_is_a_400_with_the_reason(client, manager):
    client.force_login(manager)
    response = client.get("/reports/certifications/?from=2026-05&to=2026-01")
    assert response.status_code == 400
    assert "comes after" in response.content.decode()


@pytest.mark.parametrize("path", ["/reports/", "/reports/certifications/",
                                  "/reports/certifications.csv"])
def test_agents_are_turned_away(client, agent, ld_agent, path):
    for user in (agent, ld_agent):
        client.force_login(user)
        assert client.get(path).status_code == 403


def test_the_csv_holds_the_tables_figures(client, admin_user):
    seed_badges()
    client.force_login(admin_user)
    response = client.get(f"/reports/certifications.csv?{RANGE}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="edudesk-certifications-202601-202604.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["month", "Customers", "Partners", "No audience", "issued", "revoked", "change",
         "change_percent", "snapshot_issued", "snapshot_revoked"],
        ["2026-01", "0", "0", "1", "1", "0", "1", "", "", ""],
        ["2026-02", "1", "1", "0", "2", "1", "1", "100.0", "", ""],
        ["2026-03", "4", "0", "0", "4", "1", "2", "100.0", "", ""],
        ["2026-04", "1", "0", "0", "1", "0", "-3", "-75.0", "", ""],
    ]


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_gives_the_same_figures(manager):
    seed_badges()
    response = _api(manager).get(f"/api/v1/reports/certifications/?{RANGE}")
    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "America/Denver"
    assert (body["first"], body["last"], body["issued"], body["revoked"]) == (
        "2026-01", "2026-04", 8, 2)
    assert body["months"][1] == {
        "month": "2026-02", "by_audience": {"Customers": 1, "Partners": 1, "No audience": 0},
        "issued": 2, "revoked": 1, "change": 1, "change_percent": 100.0,
        "snapshot_issued": None, "snapshot_revoked": None}


def test_the_api_refuses_agents_and_bad_months(agent, manager):
    assert _api(agent).get("/api/v1/reports/certifications/").status_code == 403
    response = _api(manager).get("/api/v1/reports/certifications/?to=2026-99")
    assert response.status_code == 400 and "to" in response.json()


def test_the_schema_documents_the_report(manager):
    response = _api(manager).get("/api/schema/?format=json")
    operation = response.json()["paths"]["/api/v1/reports/certifications/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "certification",
                                                             "template"}
