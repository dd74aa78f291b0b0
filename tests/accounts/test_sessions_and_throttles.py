"""Sessions end after inactivity (not kept alive by the page's own polling); the API has rates."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.middleware import SEEN_KEY
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def _age_the_session(client, seconds: int) -> None:
    """As if the last recorded activity were `seconds` ago."""
    session = client.session
    session[SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_session_ends_after_the_idle_time(client, agent, settings):
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    client.post("/login/", {"username": "ada", "password": "pw"})
    left = (_expiry(client) - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 60 < left <= settings.SESSION_COOKIE_AGE
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_what_the_person_does_moves_the_expiry_on(agent_client):
    agent_client.get("/")
    _age_the_session(agent_client, 600)
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(minutes=5))
    agent_client.get("/views/triage/")
    assert _expiry(agent_client) > timezone.now() + timezone.timedelta(minutes=100)


def test_background_polls_do_not_keep_a_session_alive(agent_client):
    ticket = TicketFactory()
    agent_client.get("/")
    _age_the_session(agent_client, 600)
    soon = timezone.now() + timezone.timedelta(minutes=5)
    Session.objects.update(expire_date=soon)
    assert agent_client.post(f"/tickets/{ticket.pk}/presence/").status_code == 200
    assert agent_client.get("/views/counts/").status_code == 200
    assert abs((_expiry(agent_client) - soon).total_seconds()) < 1


def test_the_api_answers_429_past_its_rate(agent, settings):
    settings.API_THROTTLE_USER = "3/minute"
    api = APIClient()
    api.force_authenticate(agent)
    statuses = [api.get("/api/v1/views/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    over = api.get("/api/v1/views/")
    assert over.status_code == 429 and int(over["Retry-After"]) > 0


def test_anonymous_requests_have_their_own_rate_per_address(settings):
    # The token endpoint is the API's one door open to anonymous callers (the others answer
    # 401 before any rate applies).
    settings.API_THROTTLE_ANON = "2/minute"
    api = APIClient()
    assert [api.post("/api/v1/auth/token/", {}).status_code for _ in range(3)] == [400, 400, 429]
    assert APIClient(REMOTE_ADDR="10.0.0.9").post("/api/v1/auth/token/", {}).status_code == 400


def test_429_is_in_the_api_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    assert "429" in schema["paths"]["/api/v1/views/"]["get"]["responses"]
