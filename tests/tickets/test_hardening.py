"""Input that must never be a 500, answers that match what was saved, and the headers."""

import base64
import json

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from integrations.models import OutboxMessage
from people import roles
from tests.factories import (
    MacroFactory,
    RoutingRuleFactory,
    TicketFactory,
    UserFactory,
    form,
    team,
)
from tickets import selectors
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def _cursor(value) -> str:
    raw = json.dumps(value, allow_nan=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = [_cursor(7), _cursor([1, 2]), _cursor({"a": 1, "b": 2, "c": 3}),
               _cursor([float("inf"), 1, False]), _cursor(["2026-01-01T00:00:00+00:00",
                                                           float("inf"), False]),
               _cursor(["2026-01-01T00:00:00+00:00", 2**70, False]),
               _cursor(["not a time", 1, False]), _cursor([None, 1, False]),
               _cursor(["2026-01-01T00:00:00", 1, False]), "%%%", "²"]


@pytest.mark.parametrize("q", ["²", "#²", "١٢٣", "9" * 40, "\x00", "' OR 1=1 --"])
def test_search_with_unicode_digits_and_oddities(agent_client, api, q):
    TicketFactory()
    assert agent_client.get("/views/triage/", {"q": q}).status_code == 200
    assert api.get("/api/v1/views/triage/tickets/", {"q": q}).status_code in (200, 400)


@pytest.mark.parametrize("cursor", BAD_CURSORS)
def test_forged_cursors_are_refused_plainly(agent_client, api, cursor):
    TicketFactory()
    response = api.get("/api/v1/views/triage/tickets/", {"cursor": cursor})
    assert response.status_code == 400 and response.json() == {
        "cursor": ["This page link is not valid any more."]}
    page = agent_client.get("/views/triage/", {"cursor": cursor})
    assert page.status_code == 200 and b"not valid any more" in page.content


def test_json_nested_50000_deep_is_a_400(api):
    ticket = TicketFactory()
    body = "[" * 50_000 + "]" * 50_000
    response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/", body,
                        content_type="application/json")
    assert response.status_code == 400 and "detail" in response.json()


def test_a_body_over_the_upload_limit_is_answered_in_json(api):
    ticket = TicketFactory()
    body = json.dumps({"body": "x" * (10 * 1024 * 1024)})
    response = api.post(f"/api/v1/tickets/{ticket.pk}/reply/", body,
                        content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json") and response.json()["detail"]


def test_page_size_errors_have_the_field_shape(api):
    response = api.get("/api/v1/views/triage/tickets/", {"page_size": "lots"})
    assert response.status_code == 400 and list(response.json()) == ["page_size"]


def test_a_nul_byte_in_a_reply_is_refused_and_nothing_saved(agent_client):
    ticket = TicketFactory()
    response = agent_client.post(f"/tickets/{ticket.pk}/reply/",
                                 {"body": "hello\x00world", "kind": "public"}, follow=True)
    assert response.status_code == 200 and b"NUL character" in response.content
    assert not Comment.objects.exists()


@pytest.mark.parametrize("value", ["abc", "²", "1.5", "-1", "9" * 30, "", "\x00"])
def test_non_integer_ids_in_forms(agent_client, value):
    ticket = TicketFactory()
    for url, data in [(f"/tickets/{ticket.pk}/macro/", {"macro": value}),
                      (f"/tickets/{ticket.pk}/route/", {"rule": value, "delegate_user": value,
                                                        "delegate_team": value})]:
        assert agent_client.post(url, data).status_code == 302
    preview = agent_client.get(f"/tickets/{ticket.pk}/macro/preview/", {"macro": value})
    assert preview.status_code == 200


def test_an_ld_agents_assign_is_answered_with_the_ticket_it_left(ld_agent, agent):
    """The assign hands the ticket out of her reach; the answer still says it was done."""
    ticket = TicketFactory(form=form("Professional Services"), group=team("education-services"),
                           status="new")  # in Triage, which L&D shares
    assert selectors.tickets_visible_to(ld_agent).filter(pk=ticket.pk).exists()
    client = APIClient()
    client.force_authenticate(ld_agent)
    response = client.post(f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee_id": agent.pk},
                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == agent.pk
    assert not selectors.tickets_visible_to(ld_agent).filter(pk=ticket.pk).exists()


def test_every_page_has_a_content_security_policy(agent_client):
    ticket = TicketFactory()
    for url in ["/views/triage/", f"/tickets/{ticket.pk}/", "/login/"]:
        policy = agent_client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_remote_images_in_a_message_wait_for_the_agent(agent_client):
    ticket = TicketFactory()
    Comment.objects.create(ticket=ticket, author_name="Learner", body_html=(
        '<p>Hi</p><img src="https://tracker.example/pixel.gif" alt="">'))
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert ' src="https://tracker.example' not in page
    assert 'data-src="https://tracker.example/pixel.gif"' in page and "Load 1 image" in page


def test_database_unreachable_is_a_styled_503(agent_client, api, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(selectors, "views_for", down)
    page = agent_client.get("/views/triage/")
    assert page.status_code == 503 and page["Retry-After"]
    assert b"cannot reach its database" in page.content and b"Traceback" not in page.content
    response = api.get("/api/v1/views/")
    assert response.status_code == 503 and "detail" in response.json()


@pytest.mark.usefixtures("seeded_configuration")  # transactional: on_commit runs as in production
def test_a_broker_that_is_down_after_commit_does_not_fail_the_reply(client, monkeypatch):
    from kombu.exceptions import OperationalError as BrokerDown

    from integrations import tasks

    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.drain_lane, "apply_async", refuse)
    client.force_login(UserFactory(username="ada", role=roles.AGENT,
                                   team=team("education-services")))
    rule = RoutingRuleFactory(topic="sales", delegate_team=team("field-enablement"),
                              slack_channel="#field-enablement-team")
    ticket = TicketFactory(topic="sales")
    response = client.post(f"/tickets/{ticket.pk}/route/", {"rule": rule.pk}, follow=True)
    assert response.status_code == 200
    assert b"saved; delivery queued" in response.content
    assert OutboxMessage.objects.get(subject=ticket.subject_key).state == "queued"
    assert Ticket.objects.get(pk=ticket.pk).group == team("field-enablement")


def test_a_sent_delivery_cannot_be_retried(agent_client):
    ticket = TicketFactory()
    sent = OutboxMessage.objects.create(system="slack", action="notify_route",
                                        subject=ticket.subject_key, state="sent",
                                        payload={"channel": "#x", "text": "t"})
    response = agent_client.post(f"/tickets/{ticket.pk}/deliveries/{sent.pk}/retry/",
                                 follow=True)
    assert b"Only a failed or refused delivery" in response.content
    sent.refresh_from_db()
    assert sent.state == "sent"


def test_a_retry_is_queued_once_however_often_it_is_clicked(agent_client):
    ticket = TicketFactory()
    failed = OutboxMessage.objects.create(system="slack", action="notify_route",
                                          subject=ticket.subject_key, state="failed",
                                          payload={"channel": "#x", "text": "t"})
    other = TicketFactory()
    assert agent_client.post(f"/tickets/{other.pk}/deliveries/{failed.pk}/retry/").status_code \
        == 302
    failed.refresh_from_db()
    assert failed.state == "failed"  # not this ticket's delivery: nothing happens
    from integrations import outbox

    assert outbox.retry_now(message_id=failed.pk, subject=ticket.subject_key)
    assert not outbox.retry_now(message_id=failed.pk, subject=ticket.subject_key)


def test_macro_fields_reject_garbage_from_the_api(api):
    ticket = TicketFactory()
    MacroFactory()
    for payload in [{"macro_id": "abc"}, {"macro_id": 10**30}, {"macro_id": [1]}, {}]:
        response = api.post(f"/api/v1/tickets/{ticket.pk}/macro/", payload, format="json")
        assert response.status_code == 400 and isinstance(response.json(), dict)


def test_a_delivery_behind_a_stuck_one_says_so(agent_client):
    from datetime import timedelta

    from django.utils import timezone

    ticket = TicketFactory()
    now = timezone.now()
    OutboxMessage.objects.create(system="slack", action="notify_route", payload={},
                                 subject=ticket.subject_key, claimed_at=now - timedelta(minutes=3),
                                 claimed_until=now + timedelta(minutes=1))
    OutboxMessage.objects.create(system="slack", action="notify_route", payload={},
                                 subject=ticket.subject_key)
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "waiting behind a stuck delivery" in page and "stuck: its worker" in page
