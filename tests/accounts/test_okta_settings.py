"""Okta settings from the environment: pointed at any issuer, never plain HTTP in production."""

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = ["OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT",
             "OIDC_OP_JWKS_ENDPOINT"]
PRODUCTION = {"PRODUCTION": "true", "SECRET_KEY": "k" * 20 + "-Zq8#x" * 8,
              "ALLOWED_HOSTS": "desk.example.com"}


def _env(tmp_path, **extra) -> dict:
    env = {**os.environ, "EDUDESK_VAR_DIR": str(tmp_path), **extra}
    for name in ("OKTA_DOMAIN", "OKTA_ISSUER_URL", "PASSWORD_LOGIN", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        if name not in extra:
            env.pop(name, None)
    return env


def _settings(tmp_path, *names, **extra) -> dict:
    code = ("import json; from django.conf import settings; "
            f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}))")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=_env(tmp_path, DJANGO_SETTINGS_MODULE="edudesk.settings", **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _check(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env=_env(tmp_path, **extra))


def test_okta_can_be_pointed_at_a_local_provider(tmp_path, fake_okta):
    found = _settings(tmp_path, "OKTA_ISSUER_URL", *ENDPOINTS, OKTA_ISSUER_URL=fake_okta.issuer,
                      OKTA_CLIENT_ID="edudesk-test", OKTA_CLIENT_SECRET="okta-test-secret")
    discovery = requests.get(f"{fake_okta.issuer}/.well-known/openid-configuration", timeout=5).json()
    assert found["OKTA_ISSUER_URL"] == discovery["issuer"]
    assert [found[name] for name in ENDPOINTS] == [
        discovery["authorization_endpoint"], discovery["token_endpoint"],
        discovery["userinfo_endpoint"], discovery["jwks_uri"]]


def test_okta_domain_and_custom_authorization_servers(tmp_path):
    org = _settings(tmp_path, "OKTA_ISSUER_URL", "OIDC_OP_TOKEN_ENDPOINT", OKTA_DOMAIN="acme.okta.com",
                    OKTA_CLIENT_ID="c", OKTA_CLIENT_SECRET="s")
    assert org == {"OKTA_ISSUER_URL": "https://acme.okta.com",
                   "OIDC_OP_TOKEN_ENDPOINT": "https://acme.okta.com/oauth2/v1/token"}
    custom = _settings(tmp_path, "OIDC_OP_JWKS_ENDPOINT",
                       OKTA_ISSUER_URL="https://acme.okta.com/oauth2/default/",
                       OKTA_CLIENT_ID="c", OKTA_CLIENT_SECRET="s")
    assert custom["OIDC_OP_JWKS_ENDPOINT"] == "https://acme.okta.com/oauth2/default/v1/keys"


def test_production_refuses_an_okta_issuer_without_https(tmp_path):
    result = _check(tmp_path, **PRODUCTION, OKTA_ISSUER_URL="http://127.0.0.1:9",
                    OKTA_CLIENT_ID="c", OKTA_CLIENT_SECRET="s")
    assert result.returncode != 0 and "https:// OKTA_ISSUER_URL" in result.stderr


def test_okta_without_client_credentials_is_refused(tmp_path):
    result = _check(tmp_path, OKTA_ISSUER_URL="https://acme.okta.com")
    assert result.returncode != 0 and "OKTA_CLIENT_ID" in result.stderr


def test_password_login_is_off_in_production_with_okta_unless_asked_for(tmp_path):
    okta = {"OKTA_ISSUER_URL": "https://acme.okta.com", "OKTA_CLIENT_ID": "c",
            "OKTA_CLIENT_SECRET": "s"}
    assert _settings(tmp_path, "PASSWORD_LOGIN")["PASSWORD_LOGIN"] is True
    assert _settings(tmp_path, "PASSWORD_LOGIN", **okta)["PASSWORD_LOGIN"] is True
    assert _settings(tmp_path, "PASSWORD_LOGIN", **PRODUCTION, **okta)["PASSWORD_LOGIN"] is False
    assert _settings(tmp_path, "PASSWORD_LOGIN", **PRODUCTION, **okta,
                     PASSWORD_LOGIN="true")["PASSWORD_LOGIN"] is True
    deploy = _check(tmp_path, "--deploy", "--fail-level", "WARNING", **PRODUCTION, **okta)
    assert deploy.returncode == 0 and "no issues" in deploy.stdout, deploy.stdout + deploy.stderr
