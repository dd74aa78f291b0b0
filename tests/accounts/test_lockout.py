"""Password guessing is stopped: per account, per address, on every password entrance."""

import logging
from datetime import timedelta
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from people.models import AuditEvent
from tests.accounts.okta_flow import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIMIT = 10  # settings.LOGIN_FAILURE_LIMIT's default


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", role="agent", team=None)


def _post_login(client, username, password, path="/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def _rewind_the_lock(minutes: int = 16) -> None:
    """As if the cool-off had passed since the last counted failure."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - timedelta(minutes=minutes))


def test_200_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, ada, caplog):
    caplog.set_level(logging.WARNING, logger="edudesk.signin")
    with mock.patch.object(get_user_model(), "check_password", autospec=True,
                           side_effect=lambda user, raw: raw == "pw") as hashed:
        statuses = [_post_login(client, "ada", f"guess-{n}").status_code for n in range(200)]
        assert hashed.call_count == LIMIT  # refused attempts cost no password hashing
        right = _post_login(client, "ada", "pw")
    assert statuses[:LIMIT - 1] == [200] * (LIMIT - 1)  # the form says "wrong password"
    assert set(statuses[LIMIT - 1:]) == {429}
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    html = right.content.decode()
    assert "Sign-in locked" in html and "locked until" in html
    assert 0 < int(right["Retry-After"]) <= 15 * 60
    assert AccessAttempt.objects.get(username="ada").failures_since_start == LIMIT
    assert AuditEvent.objects.filter(verb="sign_in_failed", subject=f"user:{ada.pk}").count() \
        == LIMIT
    locked = AuditEvent.objects.get(verb="sign_in_locked")
    assert locked.subject == f"user:{ada.pk}" and "127.0.0.1" in locked.summary
    assert "sign-in locked after repeated failures: 'ada' from 127.0.0.1" in caplog.text


def test_the_lock_lifts_after_the_cool_off(client, ada):
    for n in range(LIMIT):
        _post_login(client, "ada", f"guess-{n}")
    assert _post_login(client, "ada", "pw").status_code == 429
    _rewind_the_lock()
    response = _post_login(client, "ada", "pw")
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == ada.pk


def test_one_address_trying_many_accounts_is_locked(client, ada):
    for n in range(LIMIT):
        _post_login(client, f"someone-{n}", "guess")
    assert _post_login(client, "ada", "pw").status_code == 429
    elsewhere = _post_login(client, "ada", "pw", REMOTE_ADDR="10.0.0.7")
    assert elsewhere.status_code == 302


def test_one_account_tried_from_many_addresses_is_locked(client, ada):
    for n in range(LIMIT):
        _post_login(client, "ada", "guess", REMOTE_ADDR=f"10.0.1.{n}")
    assert _post_login(client, "ada", "pw", REMOTE_ADDR="10.0.2.1").status_code == 429


def test_a_forged_forwarded_for_header_changes_nothing(client, ada):
    for n in range(LIMIT):
        _post_login(client, "nobody", "guess", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert _post_login(client, "ada", "pw", HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


def test_behind_a_trusted_proxy_the_client_is_who_the_proxy_saw(client, ada, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(LIMIT):
        _post_login(client, "nobody", "guess", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.7")
    assert _post_login(client, "ada", "pw", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert _post_login(client, "ada", "pw", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


def test_the_admin_login_is_locked_too(client, admin_user):
    for n in range(LIMIT):
        _post_login(client, admin_user.username, f"guess-{n}", path="/admin/login/")
    response = _post_login(client, admin_user.username, "pw", path="/admin/login/")
    assert response.status_code == 429 and "Sign-in locked" in response.content.decode()


def test_200_wrong_passwords_lock_the_api_token_endpoint(ada, settings):
    settings.API_THROTTLE_ANON = "1000/minute"  # the lock under test, not the request rate
    api = APIClient()
    statuses = [api.post("/api/v1/auth/token/", {"username": "ada", "password": f"guess-{n}"})
                .status_code for n in range(200)]
    assert statuses[:LIMIT - 1] == [400] * (LIMIT - 1) and set(statuses[LIMIT - 1:]) == {429}
    right = api.post("/api/v1/auth/token/", {"username": "ada", "password": "pw"})
    assert right.status_code == 429 and "locked until" in right.json()["detail"]
    assert int(right["Retry-After"]) > 0
    _rewind_the_lock()
    assert api.post("/api/v1/auth/token/", {"username": "ada", "password": "pw"}).status_code == 200


def test_failed_okta_round_trips_do_not_lock_password_sign_in(client, ada, fake_okta):
    fake_okta.add_user("ada@edudesk.example", groups=["edudesk-agents"])
    fake_okta.tamper_signature = True
    for _ in range(LIMIT + 2):
        sign_in(client, fake_okta, "ada@edudesk.example")
    assert not AccessAttempt.objects.exists()
    assert _post_login(client, "ada", "pw").status_code == 302


def test_password_sign_in_can_be_switched_off(client, ada, settings):
    settings.PASSWORD_LOGIN = False
    response = _post_login(client, "ada", "pw")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert 'name="password"' not in client.get("/login/").content.decode()
    token = APIClient().post("/api/v1/auth/token/", {"username": "ada", "password": "pw"})
    assert token.status_code == 403 and "switched off" in token.json()["detail"]
    admin_login = client.get("/admin/login/?next=/admin/")
    assert admin_login.status_code == 302 and admin_login["Location"].startswith("/login/")


def test_an_admin_lifts_a_lock_and_that_is_in_the_trail(client, ada, admin_user):
    for n in range(LIMIT):
        _post_login(client, "ada", f"guess-{n}")
    attempt = AccessAttempt.objects.get(username="ada")
    client.force_login(admin_user)
    listed = client.get("/admin/axes/accessattempt/")
    assert listed.status_code == 200 and "ada" in listed.content.decode()
    client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    client.logout()
    assert _post_login(client, "ada", "pw").status_code == 302
    lifted = AuditEvent.objects.get(verb="config_deleted")
    assert lifted.actor == admin_user and lifted.subject == f"axes.accessattempt:{attempt.pk}"
