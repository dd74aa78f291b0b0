"""Gmail credentials through google-auth against the fake's token endpoint: a service account
with domain-wide delegation, a refresh token, and what Google refuses."""

from __future__ import annotations

import json
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.errors import PermanentError
from integrations.gmail import conf
from integrations.gmail.fake import GROUP, MAILBOX

SA_EMAIL = "edudesk-sync@edudesk-project.iam.gserviceaccount.com"


def service_account_file(tmp_path, token_uri: str) -> tuple[str, str]:
    """A service-account key file as the Cloud console writes it, and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "edudesk-project", "private_key_id": "k1",
        "private_key": private, "client_email": SA_EMAIL, "client_id": "1234567890",
        "token_uri": token_uri}))
    return str(path), public


@pytest.fixture
def strict(settings, fake_gmail):
    """Only tokens the fake's endpoint issued open the mailbox."""
    fake_gmail.token = "nobody-has-this"
    settings.GMAIL_API_URL, settings.GMAIL_MAILBOX = fake_gmail.base_url, MAILBOX
    settings.GMAIL_GROUP_ADDRESS, settings.GMAIL_OAUTH_TOKEN = GROUP, ""
    settings.GMAIL_TOKEN_URI = f"{fake_gmail.base_url}/token"
    conf._local.__dict__.clear()
    yield fake_gmail
    conf._local.__dict__.clear()


def test_a_service_account_acts_as_the_member_mailbox(settings, strict, tmp_path):
    path, public = service_account_file(tmp_path, settings.GMAIL_TOKEN_URI)
    strict.oauth.service_account_keys = {SA_EMAIL: public}
    strict.oauth.delegated = frozenset({MAILBOX})
    settings.GMAIL_SERVICE_ACCOUNT_FILE = path

    assert conf.is_configured() and conf.credential_kind() == "service_account"
    client = conf.get_client()
    assert client.get_profile()["emailAddress"] == MAILBOX
    client.get_profile()
    tokens = [r for r in strict.request_log if r.path == "/token"]
    assert len(tokens) == 1  # refreshed once, then reused until it nears expiry
    assert "private" not in repr(client) and "BEGIN" not in repr(client._auth)


def test_a_mailbox_outside_the_delegation_is_refused_with_googles_error(settings, strict,
                                                                        tmp_path):
    path, public = service_account_file(tmp_path, settings.GMAIL_TOKEN_URI)
    strict.oauth.service_account_keys = {SA_EMAIL: public}
    strict.oauth.delegated = frozenset({"someone-else@edudesk.example"})
    settings.GMAIL_SERVICE_ACCOUNT_FILE = path

    with pytest.raises(PermanentError, match="token provider failed: RefreshError"):
        conf.get_client().get_profile()


def test_a_key_google_does_not_know_is_refused(settings, strict, tmp_path):
    path, _ = service_account_file(tmp_path, settings.GMAIL_TOKEN_URI)
    _, other = service_account_file(tmp_path / "..", settings.GMAIL_TOKEN_URI)
    strict.oauth.service_account_keys = {SA_EMAIL: other}
    settings.GMAIL_SERVICE_ACCOUNT_FILE = path

    with pytest.raises(PermanentError, match="RefreshError"):
        conf.get_client().get_profile()


def test_a_refresh_token_gets_an_access_token(settings, strict):
    strict.oauth.refresh_tokens = {"1//refresh": "client-1.apps.googleusercontent.com"}
    settings.GMAIL_CLIENT_ID = "client-1.apps.googleusercontent.com"
    settings.GMAIL_CLIENT_SECRET, settings.GMAIL_REFRESH_TOKEN = "GOCSPX-secret", "1//refresh"

    assert conf.credential_kind() == "refresh_token"
    assert conf.get_client().get_profile()["emailAddress"] == MAILBOX


def test_a_revoked_refresh_token_fails_plainly(settings, strict):
    strict.oauth.refresh_tokens = {"1//other": "client-1.apps.googleusercontent.com"}
    settings.GMAIL_CLIENT_ID = "client-1.apps.googleusercontent.com"
    settings.GMAIL_CLIENT_SECRET, settings.GMAIL_REFRESH_TOKEN = "GOCSPX-secret", "1//revoked"

    with pytest.raises(PermanentError, match="RefreshError"):
        conf.get_client().get_profile()


@pytest.mark.parametrize("form,status,error", [
    ({}, 400, "unsupported_grant_type"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"grant_type": "refresh_token", "refresh_token": "x"}, 401, "invalid_client"),
    ({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not.a.jwt"},
     400, "invalid_grant"),
])
def test_the_token_endpoint_refuses_as_google_does(fake_gmail, form, status, error):
    resp = requests.post(f"{fake_gmail.base_url}/token", data=form, timeout=5)
    assert resp.status_code == status and resp.json()["error"] == error


def test_an_issued_token_expires(fake_gmail):
    fake_gmail.token = "static"
    fake_gmail.oauth.issued["ya29.old"] = time.time() - 1
    resp = requests.get(f"{fake_gmail.base_url}/gmail/v1/users/me/profile", timeout=5,
                        headers={"Authorization": "Bearer ya29.old"})
    assert resp.status_code == 401


def test_without_any_credential_gmail_is_not_configured(settings, strict):
    assert not conf.is_configured()
    with pytest.raises(PermanentError, match="GMAIL_SERVICE_ACCOUNT_FILE"):
        conf.get_client()
