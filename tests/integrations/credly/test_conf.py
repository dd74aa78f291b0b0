"""Credly's settings: configured only with all three, and one client per thread and configuration."""

from __future__ import annotations

import threading

import pytest

from integrations.credly import conf
from integrations.credly.client import CredlyClient
from integrations.errors import PermanentError

CONFIGURED = {"CREDLY_API_URL": "https://sandbox-api.credly.com",
              "CREDLY_ORGANIZATION_ID": "6f1c3a52-8d0e-4b7a-9c2f-1e5d7b3a9c40",
              "CREDLY_API_TOKEN": "token"}


@pytest.fixture
def configured(settings):
    for name, value in CONFIGURED.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.parametrize("missing", sorted(CONFIGURED))
def test_each_setting_is_needed(configured, missing: str) -> None:
    setattr(configured, missing, "")
    assert conf.is_configured() is False
    with pytest.raises(PermanentError, match="Credly is not configured"):
        conf.get_client()


def test_absent_settings_mean_not_configured(settings) -> None:
    for name in CONFIGURED:
        if hasattr(settings, name):
            delattr(settings, name)
    assert conf.is_configured() is False


def test_one_client_per_thread_and_configuration(configured) -> None:
    client = conf.get_client()
    assert isinstance(client, CredlyClient)
    assert (client.api_url, client.organization_id) == (
        "https://sandbox-api.credly.com/v1", CONFIGURED["CREDLY_ORGANIZATION_ID"])
    assert conf.get_client() is client

    other: list[CredlyClient] = []
    thread = threading.Thread(target=lambda: other.append(conf.get_client()))
    thread.start()
    thread.join()
    assert other[0] is not client

    configured.CREDLY_API_TOKEN = "rotated"
    assert conf.get_client() is not client


def test_a_malformed_organization_id_is_a_permanent_error(configured) -> None:
    configured.CREDLY_ORGANIZATION_ID = "../other-org"
    with pytest.raises(PermanentError, match="Credly is misconfigured: not a Credly id"):
        conf.get_client()
