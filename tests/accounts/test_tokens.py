"""API tokens: a new one each time, an expiry, dead after a password change or deactivation,
listed and revoked by their owner and by admins."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import issue_token
from people.models import AuditEvent

pytestmark = pytest.mark.django_db


def _with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


PASSWORD = "pw"  # the factories' password


def _obtain(username="ada", password=PASSWORD, **extra) -> dict:
    response = APIClient().post("/api/v1/auth/token/",
                                {"username": username, "password": password, **extra})
    assert response.status_code == 200, response.content
    return response.json()


def test_each_sign_in_issues_a_new_token_with_an_expiry(agent, settings):
    first, second = _obtain(name="report script"), _obtain()
    assert first["token"] != second["token"] and first["token"].startswith("edk_")
    stored = ApiToken.objects.get(pk=first["id"])
    assert stored.name == "report script" and first["token"] not in stored.key_hash
    assert abs(stored.expires_at - (timezone.now() + timedelta(days=settings.API_TOKEN_DAYS))) \
        < timedelta(minutes=1)
    assert _with(first["token"]).get("/api/v1/views/").status_code == 200
    assert _with(second["token"]).get("/api/v1/views/").status_code == 200


def test_an_expired_token_is_refused(agent):
    key = _obtain()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _with(key).get("/api/v1/views/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_password_change_ends_every_token(agent):
    keys = [_obtain()["token"] for _ in range(2)]
    agent.set_password("a-new-password-7")
    agent.save()
    assert [_with(key).get("/api/v1/views/").status_code for key in keys] == [401, 401]
    assert set(ApiToken.objects.values_list("revoke_reason", flat=True)) == {"password changed"}
    assert AuditEvent.objects.filter(verb="token_revoked", subject=f"user:{agent.pk}").exists()


def test_a_password_changed_behind_the_signals_back_still_ends_the_token(agent):
    key = _obtain()["token"]
    type(agent).objects.filter(pk=agent.pk).update(password="pbkdf2_sha256$1$x$y")  # no signal
    assert _with(key).get("/api/v1/views/").status_code == 401


def test_deactivating_the_owner_ends_the_token_for_good(agent):
    key = _obtain()["token"]
    agent.is_active = False
    agent.save()
    agent.is_active = True
    agent.save()
    assert _with(key).get("/api/v1/views/").status_code == 401
    assert ApiToken.objects.get().revoke_reason == "owner deactivated"


def test_signing_in_again_does_not_end_tokens(client, agent):
    key = _obtain()["token"]
    assert client.post("/login/", {"username": "ada", "password": "pw"}).status_code == 302
    client.post("/logout/")
    assert _with(key).get("/api/v1/views/").status_code == 200


def test_owner_lists_and_revokes_their_tokens_over_the_api(agent, other_agent):
    mine, theirs = _obtain()["token"], _obtain("grace")
    listed = _with(mine).get("/api/v1/auth/tokens/").json()
    assert [t["owner"] for t in listed] == ["ada"] and listed[0]["state"] == "active"
    assert _with(mine).post(f"/api/v1/auth/tokens/{theirs['id']}/revoke/").status_code == 404
    assert _with(mine).get("/api/v1/auth/tokens/?everyone=true").status_code == 403
    revoked = _with(mine).post(f"/api/v1/auth/tokens/{listed[0]['id']}/revoke/").json()
    assert revoked["state"] == "revoked" and revoked["revoke_reason"] == "revoked by its owner"
    assert _with(mine).get("/api/v1/views/").status_code == 401
    assert _with(theirs["token"]).get("/api/v1/views/").status_code == 200


def test_admins_list_and_revoke_everyones_tokens(agent, admin_user, client):
    ada_key = _obtain()["token"]
    admin_key = issue_token(user=admin_user, actor=admin_user).key
    everyone = _with(admin_key).get("/api/v1/auth/tokens/?everyone=true").json()
    assert {t["owner"] for t in everyone} == {"ada", "alan"}
    ada_token = next(t for t in everyone if t["owner"] == "ada")
    client.force_login(admin_user)
    page = client.get("/account/tokens/").content.decode()
    assert "Everyone&#x27;s live tokens" in page or "Everyone's live tokens" in page
    assert ada_token["key_prefix"] in page
    client.post(f"/account/tokens/{ada_token['id']}/revoke/")
    assert _with(ada_key).get("/api/v1/views/").status_code == 401
    assert ApiToken.objects.get(pk=ada_token["id"]).revoke_reason == "revoked by an admin"


def test_the_tokens_page_creates_a_token_shown_once(agent_client, agent):
    response = agent_client.post("/account/tokens/new/", {"name": "nightly export"})
    assert response.status_code == 201
    key = response.context["issued"].key
    assert key in response.content.decode()
    assert key not in agent_client.get("/account/tokens/").content.decode()  # never again
    assert _with(key).get("/api/v1/views/").status_code == 200
    agent_client.post(f"/account/tokens/{response.context['issued'].token.pk}/revoke/")
    assert _with(key).get("/api/v1/views/").status_code == 401


def test_use_is_recorded_at_most_every_few_minutes(agent):
    key = _obtain()["token"]
    api = _with(key)
    api.get("/api/v1/auth/tokens/")
    first_use = ApiToken.objects.get().last_used_at
    assert first_use is not None
    api.get("/api/v1/auth/tokens/")
    assert ApiToken.objects.get().last_used_at == first_use
