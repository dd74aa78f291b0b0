"""Shared fixtures: one user per role, logged-in clients, fakes on free ports."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from edudesk import roles
from tests.factories import UserFactory, team


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's deliberate slowness costs ~0.3 s per test user; tests need no such safety.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(db):
    return UserFactory(username="ada", first_name="Ada", last_name="Lovelace", role=roles.AGENT,
                       team=team("education-services"))


@pytest.fixture
def other_agent(db):
    return UserFactory(username="grace", first_name="Grace", last_name="Hopper",
                       role=roles.AGENT, team=team("education-services"))


@pytest.fixture
def ld_agent(db):
    return UserFactory(username="lin", first_name="Lin", last_name="Chen", role=roles.LD_AGENT,
                       team=team("ld"))


@pytest.fixture
def manager(db):
    return UserFactory(username="maria", role=roles.MANAGER, team=team("education-services"))


@pytest.fixture
def admin_user(db):
    return UserFactory(username="alan", role=roles.ADMIN, team=team("education-services"))


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="nobody")


@pytest.fixture
def users_by_role(agent, ld_agent, manager, admin_user, no_role_user):
    return {roles.AGENT: agent, roles.LD_AGENT: ld_agent, roles.MANAGER: manager,
            roles.ADMIN: admin_user, "none": no_role_user}


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def api(agent):
    api_client = APIClient()
    api_client.force_authenticate(agent)
    return api_client


@pytest.fixture
def fake_slack():
    from integrations.slack.fake import FakeSlack

    fake = FakeSlack()
    fake.base_url = fake.start(port=0)
    yield fake
    fake.stop()
