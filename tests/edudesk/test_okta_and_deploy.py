"""Okta roles mapping, and the production settings passing Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from edudesk.okta import OktaBackend, roles_from_claims

ROOT = Path(__file__).resolve().parents[2]


def test_okta_groups_become_roles():
    claims = {"groups": ["Everyone", "edudesk-managers", "edudesk-agents"]}
    assert roles_from_claims(claims) == {"manager", "agent"}
    assert roles_from_claims({}) == set()


@pytest.mark.django_db
def test_okta_sign_in_creates_the_user_and_keeps_roles_in_step():
    backend = OktaBackend.__new__(OktaBackend)  # no OIDC endpoints needed for the mapping
    backend.UserModel = get_user_model()
    claims = {"email": "noor@edudesk.example", "given_name": "Noor", "family_name": "Aziz",
              "groups": ["edudesk-admins"]}
    user = backend.create_user(claims)
    assert set(user.groups.values_list("name", flat=True)) == {"admin"}
    assert list(backend.filter_users_by_claims({"email": "NOOR@edudesk.example"})) == [user]
    backend.update_user(user, {**claims, "groups": ["edudesk-ld-agents"]})
    assert set(user.groups.values_list("name", flat=True)) == {"ld_agent"}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "PRODUCTION": "true", "SECRET_KEY": "k" * 20 + "-Zq8#x" * 8,
           "ALLOWED_HOSTS": "desk.example.com", "EDUDESK_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_embedded_secret_key(tmp_path):
    env = {**os.environ, "PRODUCTION": "true", "EDUDESK_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
