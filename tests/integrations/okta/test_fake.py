"""The fake Okta on its own, over real HTTP: the OpenID Connect and OAuth rules it enforces."""

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from integrations.okta.fake import FakeOkta
from integrations.okta.fake.keys import s256

REPO = Path(__file__).resolve().parents[3]
REDIRECT = "http://127.0.0.1:1/oidc/callback/"
VERIFIER = "v" * 64


@pytest.fixture
def okta():
    fake = FakeOkta(client_id="app", client_secret="shh")
    fake.start(port=0)
    fake.add_user("noor@example.com", groups=["admins"], given_name="Noor", password="pw")
    yield fake
    fake.stop()


def _authorize(okta, **overrides) -> requests.Response:
    params = {"client_id": "app", "redirect_uri": REDIRECT, "response_type": "code",
              "scope": "openid email profile groups", "state": "st", "nonce": "nn",
              "code_challenge": s256(VERIFIER), "code_challenge_method": "S256", **overrides}
    params = {k: v for k, v in params.items() if v is not None}
    query = urlencode(params)
    return requests.post(f"{okta.issuer}/oauth2/v1/authorize", timeout=5, allow_redirects=False,
                         data={"authorize_query": query, "username": "noor@example.com",
                               "password": "pw"})


def _code(okta, **overrides) -> str:
    answer = _authorize(okta, **overrides)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["st"], query
    return query["code"][0]


def _token(okta, code, **overrides) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "app", "client_secret": "shh", "code_verifier": VERIFIER, **overrides}
    return requests.post(f"{okta.issuer}/oauth2/v1/token", timeout=5,
                         data={k: v for k, v in data.items() if v is not None})


def test_discovery_and_a_verifiable_id_token(okta):
    discovery = requests.get(f"{okta.issuer}/.well-known/openid-configuration", timeout=5).json()
    assert discovery["issuer"] == okta.issuer
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    tokens = _token(okta, _code(okta)).json()
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid email profile groups"
    keys = jwt.PyJWKSet.from_dict(requests.get(discovery["jwks_uri"], timeout=5).json())
    kid = jwt.get_unverified_header(tokens["id_token"])["kid"]
    claims = jwt.decode(tokens["id_token"], keys[kid].key, algorithms=["RS256"], audience="app",
                        issuer=okta.issuer)
    assert claims["nonce"] == "nn" and claims["groups"] == ["admins"]
    assert claims["email"] == "noor@example.com" and claims["exp"] > time.time()
    info = requests.get(discovery["userinfo_endpoint"], timeout=5,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["sub"] == claims["sub"] and info["name"] == "Noor"


def test_scopes_decide_the_claims_released(okta):
    tokens = _token(okta, _code(okta, scope="openid email")).json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert "email" in claims and "groups" not in claims and "name" not in claims


def test_a_code_works_once_and_only_with_its_redirect_uri_and_verifier(okta):
    code = _code(okta)
    assert _token(okta, code).status_code == 200
    again = _token(okta, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong_uri = _token(okta, _code(okta), redirect_uri="http://127.0.0.1:1/elsewhere/")
    assert wrong_uri.json()["error"] == "invalid_grant"
    wrong_verifier = _token(okta, _code(okta), code_verifier="w" * 64)
    assert wrong_verifier.json()["error_description"] == "PKCE verification failed."
    missing = _token(okta, _code(okta), code_verifier=None)
    assert missing.json()["error"] == "invalid_request"


def test_client_authentication_is_required(okta):
    response = _token(okta, _code(okta), client_secret="guess")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    basic = requests.post(f"{okta.issuer}/oauth2/v1/token", timeout=5, auth=("app", "shh"),
                          data={"grant_type": "authorization_code", "code": _code(okta),
                                "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
    assert basic.status_code == 200


@pytest.mark.parametrize("overrides, error", [
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"scope": "email"}, "invalid_scope"),
    ({"response_type": "token"}, "unsupported_response_type"),
])
def test_bad_authorization_requests_go_back_with_an_error(okta, overrides, error):
    answer = _authorize(okta, **overrides)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == [error]


def test_an_unknown_client_or_redirect_uri_is_never_redirected_to(okta):
    okta.redirect_uris = {REDIRECT}
    assert _authorize(okta, client_id="other").status_code == 400
    assert _authorize(okta, redirect_uri="https://evil.example/cb").status_code == 400


def test_wrong_password_shows_the_form_again_and_a_session_skips_it(okta):
    query = urlencode({"client_id": "app", "redirect_uri": REDIRECT, "response_type": "code",
                       "scope": "openid", "state": "st", "code_challenge": s256(VERIFIER),
                       "code_challenge_method": "S256"})
    browser = requests.Session()
    wrong = browser.post(f"{okta.issuer}/oauth2/v1/authorize", allow_redirects=False, timeout=5,
                         data={"authorize_query": query, "username": "noor@example.com",
                               "password": "nope"})
    assert wrong.status_code == 401 and "Unable to sign in" in wrong.text
    browser.post(f"{okta.issuer}/oauth2/v1/authorize", allow_redirects=False, timeout=5,
                 data={"authorize_query": query, "username": "noor@example.com", "password": "pw"})
    again = browser.get(f"{okta.issuer}/oauth2/v1/authorize?{query}", allow_redirects=False,
                        timeout=5)
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    silent = requests.get(f"{okta.issuer}/oauth2/v1/authorize?{query}&prompt=none",
                          allow_redirects=False, timeout=5)
    assert "error=login_required" in silent.headers["Location"]


def test_userinfo_refuses_unknown_tokens(okta):
    response = requests.get(f"{okta.issuer}/oauth2/v1/userinfo", timeout=5,
                            headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "invalid_token" in response.headers["WWW-Authenticate"]


def test_tampered_tokens_fail_verification(okta):
    okta.tamper_signature = True
    token = _token(okta, _code(okta)).json()["id_token"]
    keys = jwt.PyJWKSet.from_dict(requests.get(f"{okta.issuer}/oauth2/v1/keys", timeout=5).json())
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, keys.keys[0].key, algorithms=["RS256"], audience="app")


def test_cli_prints_its_settings_serves_and_stops_on_sigterm():
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own module
        [sys.executable, "-m", "integrations.okta.fake", "--port", "0",
         "--user", "ada@example.com:edudesk-agents"], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        assert proc.stdout.readline().strip() == (
            f"OKTA_ISSUER_URL={base_url} OKTA_CLIENT_ID=edudesk OKTA_CLIENT_SECRET=fake-okta-secret")
        assert "ada@example.com: groups edudesk-agents" in proc.stdout.readline()
        discovery = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5).json()
        assert discovery["token_endpoint"] == f"{base_url}/oauth2/v1/token"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0  # generous: CI machines run other suites alongside
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
