"""FakeCredly on the wire: Credly's envelope, auth forms, paging links, body checks, knobs and CLI."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from integrations.credly.client import CredlyClient
from integrations.credly.fake import FakeCredly
from integrations.credly.fake import validate as says
from integrations.errors import PermanentError
from tests.integrations.credly.support import ISSUED_AT, TOKEN, issue

REPO = Path(__file__).resolve().parents[3]
LIST_METADATA = {"count", "current_page", "total_count", "total_pages", "per",
                 "previous_page_url", "next_page_url"}


def basic(raw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def org_url(fake: FakeCredly, path: str = "") -> str:
    return f"{fake.base_url}/v1/organizations/{fake.organization_id}{path}"


def get(fake: FakeCredly, path: str, **params: Any) -> requests.Response:
    return requests.get(org_url(fake, path), params=params, headers=basic(f"{TOKEN}:"),
                        timeout=5)


@pytest.mark.parametrize("raw", [f"{TOKEN}:", f"{TOKEN}|", TOKEN])
def test_the_token_is_the_basic_user_name_in_every_form_clients_send(fake: FakeCredly,
                                                                     raw: str) -> None:
    resp = requests.get(org_url(fake, "/badge_templates"), headers=basic(raw), timeout=5)
    assert resp.status_code == 200


@pytest.mark.parametrize("headers", [{}, basic("other-token:"), basic(":"),
                                     {"Authorization": f"Bearer {TOKEN}"}])
def test_refused_credentials_get_credlys_error_body(fake: FakeCredly,
                                                    headers: dict[str, str]) -> None:
    resp = requests.get(org_url(fake, "/badges"), headers=headers, timeout=5)
    assert resp.status_code == 401
    assert resp.json() == {"data": {"message": says.UNAUTHORIZED}, "metadata": None}


def test_without_a_configured_token_any_non_empty_one_passes() -> None:
    fake = FakeCredly()
    fake.start()
    try:
        url = org_url(fake, "/badges")
        assert requests.get(url, headers=basic("anything:"), timeout=5).status_code == 200
        assert requests.get(url, headers=basic(":"), timeout=5).status_code == 401
    finally:
        fake.stop()


def test_lists_carry_credlys_metadata_and_links_keep_the_query(fake: FakeCredly,
                                                               client: CredlyClient,
                                                               template_id: str) -> None:
    for i in range(5):
        issue(client, template_id, f"e{i}@example.com")

    first = get(fake, "/badges", per=2, filter=f"badge_template_id::{template_id}").json()
    second = requests.get(first["metadata"]["next_page_url"], headers=basic(f"{TOKEN}:"),
                          timeout=5).json()
    last = get(fake, "/badges", per=2, page=3).json()

    assert set(first["metadata"]) == LIST_METADATA
    assert (first["metadata"]["total_count"], first["metadata"]["total_pages"]) == (5, 3)
    assert first["metadata"]["previous_page_url"] is None
    assert "filter=badge_template_id" in first["metadata"]["next_page_url"]
    assert second["metadata"]["current_page"] == 2 and len(second["data"]) == 2
    assert (last["metadata"]["count"], last["metadata"]["next_page_url"]) == (1, None)
    assert get(fake, "/badges", page=9).json()["data"] == []


def test_single_objects_and_errors_share_the_envelope(fake: FakeCredly,
                                                      template_id: str) -> None:
    shown = get(fake, f"/badge_templates/{template_id}").json()
    missing = get(fake, "/badges/00000000-0000-4000-8000-000000000000")
    other_org = requests.get(f"{fake.base_url}/v1/organizations/someone-else/badges",
                             headers=basic(f"{TOKEN}:"), timeout=5)

    assert (shown["data"]["id"], shown["metadata"]) == (template_id, {})
    assert (missing.status_code, missing.json()) == (
        404, {"data": {"message": says.NOT_FOUND}, "metadata": None})
    assert other_org.status_code == 404


@pytest.mark.parametrize("query", [{"filter": "recipient::x"}, {"filter": "state"},
                                   {"sort": "-colour"}, {"page": "two"},
                                   {"filter": "updated_at_min::yesterday"}])
def test_malformed_list_queries_are_400(fake: FakeCredly, query: dict[str, str]) -> None:
    resp = get(fake, "/badges", **query)
    assert resp.status_code == 400
    assert resp.json()["data"]["message"]


def test_sort_orders_the_list(fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    first, second = issue(client, template_id, "a@example.com"), issue(
        client, template_id, "b@example.com")
    fake.accept(first["id"])  # now the most recently updated
    ids = [b["id"] for b in client.list_badges(sort="-updated_at")]
    assert ids == [first["id"], second["id"]]


def test_writes_need_a_json_object(fake: FakeCredly) -> None:
    url = org_url(fake, "/badges")
    for kwargs in ({"data": "recipient_email=a@b.c"}, {"json": ["a list"]},
                   {"data": b"{not json", "headers": {"Content-Type": "application/json"}}):
        headers = {**basic(f"{TOKEN}:"), **kwargs.pop("headers", {})}
        resp = requests.post(url, headers=headers, timeout=5, **kwargs)
        assert (resp.status_code, resp.json()["data"]["message"]) == (400, says.BAD_JSON)
    assert fake.list_badges() == []


def test_issue_without_required_fields_names_each_one(fake: FakeCredly,
                                                      template_id: str) -> None:
    resp = requests.post(org_url(fake, "/badges"), headers=basic(f"{TOKEN}:"), timeout=5,
                         json={"badge_template_id": template_id, "locale": "xx",
                               "suppress_badge_notification_email": "yes"})
    assert resp.status_code == 422
    assert resp.json()["data"]["message"] == (
        "Validation failed: Suppress badge notification email must be true or false")

    resp = requests.post(org_url(fake, "/badges"), headers=basic(f"{TOKEN}:"), timeout=5,
                         json={"badge_template_id": template_id, "locale": "xx"})
    assert resp.json()["data"]["message"] == (
        "Validation failed: Recipient email can't be blank, Issued to first name can't be "
        "blank, Issued to last name can't be blank, Issued at can't be blank, "
        "Locale is not included in the list")


def test_the_documented_issued_at_form_is_read_with_its_offset(fake: FakeCredly,
                                                               template_id: str) -> None:
    resp = requests.post(org_url(fake, "/badges"), headers=basic(f"{TOKEN}:"), timeout=5,
                         json={"badge_template_id": template_id, "recipient_email": "a@b.io",
                               "issued_to_first_name": "A", "issued_to_last_name": "B",
                               "issued_at": "2014-04-01 09:41:00 -0500"})
    assert resp.status_code == 201
    assert resp.json()["data"]["issued_at"] == "2014-04-01T14:41:00.000Z"


def test_replace_needs_issued_at_and_template(fake: FakeCredly, client: CredlyClient,
                                              template_id: str) -> None:
    badge = issue(client, template_id)
    resp = requests.post(org_url(fake, f"/badges/{badge['id']}/replace"), timeout=5,
                         headers=basic(f"{TOKEN}:"), json={"badge_template_id": template_id})
    assert resp.json()["data"]["message"] == "Validation failed: Issued at can't be blank"
    resp = requests.post(org_url(fake, f"/badges/{badge['id']}/replace"), timeout=5,
                         headers=basic(f"{TOKEN}:"), json={"issued_at": "2024-05-01"})
    assert resp.json()["data"]["message"] == says.MISSING_TEMPLATE.format("")
    assert len(fake.list_badges()) == 1


def test_rejected_badges_cannot_be_replaced_but_can_be_revoked(
        fake: FakeCredly, client: CredlyClient, template_id: str) -> None:
    badge = issue(client, template_id)
    fake.reject(badge["id"])
    with pytest.raises(PermanentError) as refused:
        client.replace_badge(badge["id"], template_id=template_id, issued_at=ISSUED_AT)
    assert refused.value.message == says.NOT_PENDING.format(badge["id"], "rejected")
    assert client.revoke_badge(badge["id"], "cleanup")["state"] == "revoked"
    with pytest.raises(ValueError, match="not pending"):
        fake.accept(badge["id"])


def test_a_replaced_state_can_be_switched_on(fake: FakeCredly, client: CredlyClient,
                                             template_id: str) -> None:
    fake.replaced_state = "replaced"
    old = issue(client, template_id)
    client.replace_badge(old["id"], template_id=template_id, issued_at=ISSUED_AT,
                         recipient_email="new@example.com")
    assert client.get_badge(old["id"])["state"] == "replaced"
    with pytest.raises(PermanentError) as refused:
        client.revoke_badge(old["id"], "no")
    assert refused.value.message == says.ALREADY_REPLACED.format(old["id"])


def test_set_state_forces_any_known_state(fake: FakeCredly, client: CredlyClient,
                                          template_id: str) -> None:
    badge = issue(client, template_id)
    fake.set_state(badge["id"], "accepted")
    assert client.get_badge(badge["id"])["state"] == "accepted"
    with pytest.raises(ValueError, match="unknown badge state"):
        fake.set_state(badge["id"], "archived")


def test_latency_knob_delays_answers(fake: FakeCredly) -> None:
    fake.latency_ms = 150
    resp = get(fake, "/badges")
    assert resp.elapsed.total_seconds() >= 0.15


def test_the_command_line_serves_until_sigterm() -> None:
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "integrations.credly.fake", "--port", "0", "--token", TOKEN,
         "--page-size", "2"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        organization = proc.stdout.readline().split()
        assert base_url.startswith("http://127.0.0.1:")
        assert organization[0] == "organization"
        with CredlyClient(base_url, organization[1], TOKEN) as c:
            assert len(list(c.list_templates())) == 5  # three pages of two
        with CredlyClient(base_url, organization[1], "wrong") as c, pytest.raises(PermanentError):
            list(c.list_templates())
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    assert code == 0  # stopped cleanly, not killed by the signal
