"""Shared fixtures: one user per role, logged-in clients, fakes on free ports, badge basics."""

import importlib

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from people import roles
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


@pytest.fixture
def fake_okta(settings):
    """A fake Okta on a free port, with EduDesk's Okta settings read from its discovery
    document the way an admin copies them from Okta's console."""
    import requests

    from integrations.okta.fake import FakeOkta

    fake = FakeOkta(client_id="edudesk-test", client_secret="okta-test-secret")
    settings.OKTA_ISSUER_URL = fake.start(port=0)
    discovery = requests.get(f"{fake.issuer}/.well-known/openid-configuration", timeout=5).json()
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "edudesk-test", "okta-test-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    yield fake
    fake.stop()


@pytest.fixture
def seeded_configuration(transactional_db):
    """Transactional tests start from a flushed database: put back what migrations seed."""
    from django.apps import apps

    for module, seed in (("people.migrations.0002_roles_teams_regions", "create"),
                         ("tickets.migrations.0002_configuration", "configure"),
                         ("tickets.migrations.0004_owners_and_consulting_rules",
                          "field_enablement_is_consulted")):
        getattr(importlib.import_module(module), seed)(apps, None)


CREDLY_TOKEN = "credly-test-token"


@pytest.fixture
def fake_credly(settings):
    """A fake Credly on a free port with EduDesk's settings pointing at it; backoffs shrunk
    to milliseconds (the behaviour under test is the same)."""
    from integrations import retry
    from integrations.credly.fake import FakeCredly

    fake = FakeCredly(token=CREDLY_TOKEN)
    settings.CREDLY_API_URL = fake.start(port=0)
    settings.CREDLY_ORGANIZATION_ID = fake.organization_id
    settings.CREDLY_API_TOKEN = CREDLY_TOKEN
    with retry.overridden(base_seconds=0.005, max_seconds=0.02):
        yield fake
    fake.stop()


@pytest.fixture
def template(db):
    """A badge template with the id of the fake Credly's first active one, so deliveries reach it."""
    from integrations.credly.fake.data import SEED_TEMPLATES, template_id
    from tests.factories import BadgeTemplateFactory

    name = SEED_TEMPLATES[0][0]
    return BadgeTemplateFactory(credly_id=template_id(name), name=name)


@pytest.fixture
def certification(template):
    from tests.factories import CertificationFactory

    return CertificationFactory(code="git-associate", name="Git Associate", badge_template=template)


@pytest.fixture
def sender(db):
    from tests.factories import ResultSenderFactory

    return ResultSenderFactory(name="Exam form")
