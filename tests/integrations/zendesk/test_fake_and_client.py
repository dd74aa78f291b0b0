"""The Zendesk client against the loopback fake, over real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations.errors import (
    ConflictError,
    PermanentError,
    RateLimited,
    TransientError,
)
from integrations.zendesk.client import ZendeskClient
from integrations.zendesk.fake import FakeZendesk

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake() -> Iterator[FakeZendesk]:
    fz = FakeZendesk(rate_limit=None)
    fz.seed(tickets=120, comments_per_ticket=3)
    fz.start()
    yield fz
    fz.stop()


@pytest.fixture
def client(fake: FakeZendesk) -> ZendeskClient:
    return ZendeskClient(fake.base_url, email="ada@edudesk.example", api_token="tok",
                         timeout=(2, 5))


def open_ticket(fake: FakeZendesk, n: int = 0) -> int:
    """An id of a ticket that can still be updated (closed tickets refuse updates)."""
    return [tid for tid, t in sorted(fake.tickets.items()) if t.status != "closed"][n]


def export_all(client: ZendeskClient, per_page: int, cursor: str | None = None
               ) -> tuple[list[dict], str]:
    seen: list[dict] = []
    page = (client.incremental_tickets(cursor=cursor, per_page=per_page) if cursor
            else client.incremental_tickets(start_time=0, per_page=per_page))
    for _ in range(1000):
        seen += page["tickets"]
        if page["end_of_stream"]:
            return seen, page["after_cursor"]
        page = client.incremental_tickets(cursor=page["after_cursor"], per_page=per_page)
    raise AssertionError("export never reached end_of_stream")


def test_incremental_export_sees_every_ticket_despite_overlapping_pages(fake, client):
    fake.duplicate_overlap = 3
    tickets, cursor = export_all(client, per_page=25)
    ids = [t["id"] for t in tickets]
    assert set(ids) == set(fake.tickets)
    assert len(ids) > len(set(ids))  # duplicates across pages, as real Zendesk sends them

    # Resuming from the saved cursor yields only what changed since.
    tid = open_ticket(fake)
    client.update_ticket(tid, {"priority": "urgent"})
    fake.duplicate_overlap = 0
    changed, _ = export_all(client, per_page=25, cursor=cursor)
    assert [t["id"] for t in changed] == [tid]
    assert changed[0]["priority"] == "urgent"


def test_incremental_export_argument_and_cursor_errors(client):
    with pytest.raises(ValueError):
        client.incremental_tickets()
    with pytest.raises(PermanentError) as exc:
        client.incremental_tickets(cursor="not-a-cursor")
    assert exc.value.status == 400


def test_safe_update_conflict_raises_conflict_error(fake, client):
    tid = open_ticket(fake)
    stamp = client.show_ticket(tid)["ticket"]["updated_at"]
    fake.upstream_update(tid, status="hold", comment={"body": "Another agent was here"})
    with pytest.raises(ConflictError) as exc:
        client.update_ticket(tid, {"status": "solved"}, updated_stamp=stamp)
    assert exc.value.status == 409 and exc.value.code == "UpdateConflict"
    assert fake.get_ticket(tid)["status"] == "hold"
    fresh = client.show_ticket(tid)["ticket"]["updated_at"]
    result = client.update_ticket(tid, {"status": "solved"}, updated_stamp=fresh)
    assert result["ticket"]["status"] == "solved"
    assert result["ticket"]["updated_at"] > fresh


def test_injected_429_is_text_plain_and_maps_to_rate_limited(fake, client):
    fake.rate_limit_rate, fake.retry_after_seconds = 1.0, 1
    with pytest.raises(RateLimited) as exc:
        client.show_ticket(1)
    assert exc.value.retry_after == 1.0 and exc.value.status == 429
    assert "Rate limited" in exc.value.message
    raw = requests.get(f"{fake.base_url}/api/v2/tickets/1", auth=("a@b/token", "t"), timeout=5)
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert raw.headers["Retry-After"] == "1"


def test_request_budget_window_and_headers(fake, client):
    fake.rate_limit, fake.rate_limit_window, fake.incremental_rate_limit = 3, 1.0, 1
    first = requests.get(f"{fake.base_url}/api/v2/groups", auth=("a@b/token", "t"), timeout=5)
    assert first.headers["X-Rate-Limit"] == "3"
    assert first.headers["X-Rate-Limit-Remaining"] == "2"
    client.incremental_tickets(start_time=0)
    with pytest.raises(RateLimited):  # incremental export has its own, smaller budget
        client.incremental_tickets(start_time=0)
    client.show_ticket(1)  # third request in the account window
    with pytest.raises(RateLimited) as exc:
        client.show_ticket(1)
    assert 1 <= exc.value.retry_after <= 2
    time.sleep(exc.value.retry_after)
    assert client.show_ticket(1)["ticket"]["id"] == 1
    # 429s count too: a client that collects them has exceeded its budget.
    assert fake.max_requests_in_any_window(seconds=0.5) >= 4


def test_5xx_is_transient_and_applies_nothing(fake, client):
    tid = open_ticket(fake)
    before = fake.get_ticket(tid)
    fake.error_rate = 1.0
    for _ in range(5):
        with pytest.raises(TransientError) as exc:
            client.update_ticket(tid, {"status": "pending"}, idempotency_key="k-5xx")
        assert exc.value.status in (500, 502, 503)
    assert fake.get_ticket(tid) == before
    assert fake.applied_writes == []


def test_lost_response_then_idempotent_replay_applies_once(fake, client):
    tid = open_ticket(fake)
    n_comments = len(fake.get_comments(tid))
    change = {"status": "pending", "comment": {"body": "We are on it", "public": True}}
    fake.lost_response_rate = 1.0
    with pytest.raises(TransientError) as exc:
        client.update_ticket(tid, change, idempotency_key="outbox-42")
    assert exc.value.status == 504
    assert len(fake.get_comments(tid)) == n_comments + 1  # applied, though the reply was lost

    fake.lost_response_rate = 0.0
    result = client.update_ticket(tid, change, idempotency_key="outbox-42")
    assert result["ticket"]["status"] == "pending"
    raw = requests.put(f"{fake.base_url}/api/v2/tickets/{tid}.json", json={"ticket": change},
                       headers={"Idempotency-Key": "outbox-42"}, auth=("a@b/token", "t"),
                       timeout=5)
    assert raw.status_code == 200 and raw.headers["x-idempotency-lookup"] == "hit"
    assert len(fake.get_comments(tid)) == n_comments + 1
    assert [w.ticket_id for w in fake.applied_writes if w.idempotency_key == "outbox-42"] == [tid]

    with pytest.raises(PermanentError) as exc:  # same key, different request
        client.update_ticket(tid, {"status": "open"}, idempotency_key="outbox-42")
    assert exc.value.status == 400 and exc.value.code == "IdempotentRequestError"


def test_auth_is_enforced_when_started_with_a_token():
    fz = FakeZendesk(token="s3cret", rate_limit=None)
    base = fz.start()
    try:
        wrong = ZendeskClient(base, email="ada@edudesk.example", api_token="guess")
        with pytest.raises(PermanentError) as exc:
            wrong.show_current_user()
        assert exc.value.status == 401 and "Couldn't authenticate you" in exc.value.message
        with pytest.raises(PermanentError):
            ZendeskClient(base).show_current_user()
        right = ZendeskClient(base, email="ada@edudesk.example", api_token="s3cret")
        assert right.show_current_user()["user"]["email"] == "ada@edudesk.example"
        assert ZendeskClient(base, oauth_token="s3cret").show_current_user()["user"]["role"] == (
            "admin")
        assert "s3cret" not in repr(right)
    finally:
        fz.stop()


def test_macro_apply_previews_without_changing_the_ticket(fake, client):
    macro = next(m for m in client.list_macros()
                 if m["title"] == "General::Forms::Incorrect Form Used")
    tid = open_ticket(fake)
    before = fake.get_ticket(tid)
    preview = client.apply_macro(tid, macro["id"])["result"]["ticket"]
    assert preview["id"] == tid and preview["status"] == "solved"
    assert "incorrect_form_used" in preview["tags"]
    first_name = fake.users[before["requester_id"]]["name"].split()[0]
    assert preview["comment"]["body"].startswith(f"Hi {first_name},")
    assert fake.get_ticket(tid) == before
    assert fake.applied_writes == []


def test_json_suffix_is_optional(fake, client):
    auth = ("a@b/token", "t")
    with_suffix = requests.get(f"{fake.base_url}/api/v2/tickets/7.json", auth=auth, timeout=5)
    without = requests.get(f"{fake.base_url}/api/v2/tickets/7", auth=auth, timeout=5)
    assert with_suffix.status_code == without.status_code == 200
    assert with_suffix.json() == without.json() == client.show_ticket(7)
    forms = requests.get(f"{fake.base_url}/api/v2/ticket_forms.json", auth=auth, timeout=5)
    assert [f["name"] for f in forms.json()["ticket_forms"]] == [
        "Professional Services", "Free Training"]


def test_comments_paginate_and_cap_at_5000(fake, client):
    tid = open_ticket(fake)
    for i in range(147):
        fake.upstream_update(tid, comment={"body": f"note {i}", "public": False})
    comments = list(client.list_comments(tid))
    assert len(comments) == 150 and len({c["id"] for c in comments}) == 150
    assert comments[0]["body"] == fake.get_ticket(tid)["description"]
    assert comments[-1]["body"] == "note 146"
    page = requests.get(f"{fake.base_url}/api/v2/tickets/{tid}/comments",
                        params={"page[size]": 100}, auth=("a@b/token", "t"), timeout=5).json()
    assert page["meta"]["has_more"] and "page%5Bafter%5D" in page["links"]["next"]

    for i in range(5000 - 150):
        fake.upstream_update(tid, comment={"body": f"bulk {i}"})
    with pytest.raises(PermanentError) as exc:
        client.update_ticket(tid, {"comment": {"body": "one too many"}})
    assert exc.value.status == 422 and exc.value.code == "RecordInvalid"


def test_invalid_status_is_422_with_details(fake, client):
    with pytest.raises(PermanentError) as exc:
        client.update_ticket(open_ticket(fake), {"status": "waiting"})
    assert exc.value.status == 422 and "status" in exc.value.details


def test_timeouts_and_refused_connections_are_transient(fake):
    fake.latency_ms = 300
    slow = ZendeskClient(fake.base_url, email="a@b", api_token="t", timeout=(1, 0.05))
    with pytest.raises(TransientError):
        slow.show_ticket(1)
    fz = FakeZendesk(rate_limit=None)
    base = fz.start()
    fz.stop()
    with pytest.raises(TransientError):
        ZendeskClient(base, email="a@b", api_token="t", timeout=(1, 1)).show_ticket(1)


def test_rate_budget_is_acquired_before_every_request(fake):
    class Budget:
        calls = 0

        def acquire(self, path: str) -> None:
            self.calls += 1

    budget = Budget()
    c = ZendeskClient(fake.base_url, email="a@b", api_token="t", rate_budget=budget)
    users = list(c.list_users())  # 20 requesters + 7 agents + admin: one page of 100
    c.show_ticket(1)
    assert len(users) == 28 and budget.calls == 2
    assert {"ada@edudesk.example", "grace@edudesk.example"} <= {u["email"] for u in users}


def test_catalog_lists(client):
    assert [g["name"] for g in client.list_groups()] == [
        "Education Services", "L&D", "Field Enablement"]
    assert [f["name"] for f in client.list_ticket_forms()] == [
        "Professional Services", "Free Training"]
    assert len(list(client.list_macros())) > len(list(client.list_macros(active_only=True)))
    agents = list(client.list_users(role="agent"))
    assert agents and all(u["email"].endswith("@edudesk.example") for u in agents)


def test_seed_is_deterministic_and_realistic():
    a, b = FakeZendesk(), FakeZendesk()
    a.seed(tickets=300, seed=7, end_time=1_750_000_000)
    b.seed(tickets=300, seed=7, end_time=1_750_000_000)
    assert [a.get_ticket(i) for i in a.tickets] == [b.get_ticket(i) for i in b.tickets]
    tickets = [a.get_ticket(i) for i in a.tickets]
    tags = {tag for t in tickets for tag in t["tags"]}
    assert {"region_amer", "region_emea", "region_apac", "topic_certification",
            "remote_foundations", "teamops", "topic_sales"} <= tags
    assert {t["status"] for t in tickets} == {"new", "open", "pending", "hold", "solved",
                                               "closed"}


def test_cli_serves_until_interrupted():
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "integrations.zendesk.fake", "--port", "0", "--tickets", "10",
         "--rate-limit", "0"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        c = ZendeskClient(base, email="a@b", api_token="t")
        page = c.incremental_tickets(start_time=0)
        assert len(page["tickets"]) == 10 and page["end_of_stream"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


@pytest.mark.parametrize(("body", "status", "error"), [
    (b'["ticket"]', 400, "InvalidParameter"),
    (b'{"status": "open"}', 400, "InvalidParameter"),
    (b'{"ticket": "open"}', 400, "InvalidParameter"),
    (b'{"ticket": {"status": "open"', 400, "InvalidJSON"),
    (b'{"ticket": {"status": "waiting"}}', 422, "RecordInvalid"),
    (b'{"ticket": {"status": 3}}', 422, "RecordInvalid"),
    (b'{"ticket": {"tags": "vip urgent"}}', 422, "RecordInvalid"),
    (b'{"ticket": {"tags": ["vip", 7]}}', 422, "RecordInvalid"),
    (b'{"ticket": {"remove_tags": {"vip": true}}}', 422, "RecordInvalid"),
    (b'{"ticket": {"assignee_id": "1001"}}', 422, "RecordInvalid"),
    (b'{"ticket": {"group_id": [2001]}}', 422, "RecordInvalid"),
    (b'{"ticket": {"comment": {"body": "x", "public": "yes"}}}', 422, "RecordInvalid"),
])
def test_put_refuses_what_zendesk_refuses_and_applies_nothing(fake, body, status, error):
    tid = open_ticket(fake)
    before = fake.get_ticket(tid)
    resp = requests.put(f"{fake.base_url}/api/v2/tickets/{tid}.json", data=body,
                        headers={"Content-Type": "application/json"},
                        auth=("a@b/token", "t"), timeout=5)
    assert resp.status_code == status and resp.json()["error"] == error
    if status == 422:
        assert resp.json()["description"] == "Record validation errors"
        assert all(isinstance(v, list) and v[0]["description"]
                   for v in resp.json()["details"].values())
    assert fake.get_ticket(tid) == before and fake.applied_writes == []


def test_put_validation_details_and_unknown_ids(fake):
    auth = ("a@b/token", "t")
    url = f"{fake.base_url}/api/v2/tickets"
    tid = open_ticket(fake)
    resp = requests.put(f"{url}/{tid}.json", json={"ticket": {"tags": ["vip", 7]}}, auth=auth,
                        timeout=5)
    assert resp.json()["details"] == {"tags": [{"description": "Tags: must be a list of strings",
                                                "error": "InvalidValue"}]}
    missing = requests.put(f"{url}/99999.json", json={"ticket": {"status": "open"}}, auth=auth,
                           timeout=5)
    assert (missing.status_code, missing.json()) == (
        404, {"error": "RecordNotFound", "description": "Not found"})
    ok = requests.put(f"{url}/{tid}.json", json={"ticket": {"tags": ["VIP", "Badge Reissue"]}},
                      auth=auth, timeout=5)
    assert ok.status_code == 200 and ok.json()["ticket"]["tags"] == ["vip", "badge", "reissue"]
