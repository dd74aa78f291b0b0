"""The whole Okta sign-in against a fake OpenID provider: who gets in, who is refused, and why."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from accounts import access
from people.models import AuditEvent
from tests.accounts.okta_flow import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def _refused(client, response, reason: str) -> None:
    """Back on the sign-in page with the reason, nobody signed in, and the refusal recorded."""
    assert response.status_code == 302 and response["Location"] == "/login/"
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "Okta sign-in did not complete" in text and reason in text, text
    assert "_auth_user_id" not in client.session
    failure = AuditEvent.objects.get(verb="sign_in_failed")
    assert reason in failure.summary and failure.changes["method"] == "Okta"


def test_a_good_sign_in_creates_the_person_with_the_roles_of_their_groups(client, fake_okta):
    fake_okta.redirect_uris = {"http://testserver/oidc/callback/"}  # as registered in Okta
    fake_okta.add_user("noor@edudesk.example", groups=["Everyone", "edudesk-managers"],
                       given_name="Noor", family_name="Aziz", password="okta-pw")
    response = sign_in(client, fake_okta, "noor@edudesk.example", "okta-pw")
    assert response.status_code == 302 and response["Location"] == "/"
    noor = User.objects.get(email="noor@edudesk.example")
    assert (noor.first_name, noor.last_name, _roles(noor)) == ("Noor", "Aziz", {"manager"})
    assert int(client.session["_auth_user_id"]) == noor.pk
    assert client.get("/").status_code == 302  # into the console, not a 403
    sent = response.authorize
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["state"] and sent["nonce"] and sent["scope"] == "openid email profile groups"
    event = AuditEvent.objects.get(verb="signed_in")
    assert event.actor == noor and event.changes["method"] == "Okta"


def test_the_next_sign_in_brings_roles_in_step_with_okta(client, fake_okta):
    person = fake_okta.add_user("ada@edudesk.example", groups=["edudesk-admins"])
    sign_in(client, fake_okta, "ada@edudesk.example")
    client.logout()
    person["groups"] = ["edudesk-agents"]
    sign_in(client, fake_okta, "ada@edudesk.example")
    assert _roles(User.objects.get(email="ada@edudesk.example")) == {"agent"}


def test_groups_only_in_the_id_token_still_give_roles(client, fake_okta):
    fake_okta.add_user("ada@edudesk.example", groups=["edudesk-agents"])
    fake_okta.userinfo_overrides = {"groups": None}
    sign_in(client, fake_okta, "ada@edudesk.example")
    assert _roles(User.objects.get(email="ada@edudesk.example")) == {"agent"}


def test_an_existing_account_is_matched_by_email(client, fake_okta):
    local = UserFactory(username="grace", email="Grace@EduDesk.example")
    fake_okta.add_user("grace@edudesk.example", groups=["edudesk-agents"])
    sign_in(client, fake_okta, "grace@edudesk.example")
    assert int(client.session["_auth_user_id"]) == local.pk and _roles(local) == {"agent"}


def test_a_person_in_no_mapped_group_is_signed_in_and_asked_to_request_access(client, fake_okta):
    fake_okta.add_user("lee@edudesk.example", groups=["Everyone", "sales"])
    response = sign_in(client, fake_okta, "lee@edudesk.example")
    assert response.status_code == 302
    lee = User.objects.get(email="lee@edudesk.example")
    assert _roles(lee) == set()
    page = client.get("/")
    assert page.status_code == 403
    html = page.content.decode()
    assert "Request access" in html and "support desk of the Education Services team" in html


def test_a_role_granted_on_approval_survives_an_okta_sign_in(client, fake_okta, admin_user):
    fake_okta.add_user("lee@edudesk.example", groups=["Everyone"])
    sign_in(client, fake_okta, "lee@edudesk.example")
    lee = User.objects.get(email="lee@edudesk.example")
    request = access.request_access(user=lee, reason="I cover the Triage view on Fridays")
    access.approve_access(request_id=request.pk, actor=admin_user, role="agent")
    client.logout()
    sign_in(client, fake_okta, "lee@edudesk.example")
    assert _roles(lee) == {"agent"}


def test_an_expired_id_token_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"])
    now = int(time.time())
    fake_okta.claim_overrides = {"iat": now - 4000, "exp": now - 400}
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "expired")


def test_an_id_token_for_another_client_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"])
    fake_okta.claim_overrides = {"aud": "some-other-app"}
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "Audience")


def test_an_id_token_from_another_issuer_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"])
    fake_okta.claim_overrides = {"iss": "https://evil.example"}
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "issuer")


def test_a_tampered_signature_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-admins"])
    fake_okta.tamper_signature = True
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "Signature")
    assert not User.objects.filter(email="noor@edudesk.example").exists()


@pytest.mark.parametrize("nonce", ["not-the-nonce-we-sent", None])
def test_a_wrong_or_missing_nonce_is_refused(client, fake_okta, nonce):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-admins"])
    fake_okta.claim_overrides = {"nonce": nonce}
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "Nonce")


def test_userinfo_about_someone_else_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"])
    fake_okta.userinfo_overrides = {"sub": "00u-someone-else", "email": "admin@edudesk.example"}
    _refused(client, sign_in(client, fake_okta, "noor@edudesk.example"), "someone other")


def test_a_deactivated_account_is_refused(client, fake_okta):
    UserFactory(username="gone", email="gone@edudesk.example", is_active=False)
    fake_okta.add_user("gone@edudesk.example", groups=["edudesk-agents"])
    _refused(client, sign_in(client, fake_okta, "gone@edudesk.example"), "deactivated")


def test_a_replayed_callback_is_refused(client, fake_okta):
    fake_okta.add_user("noor@edudesk.example", groups=["edudesk-agents"])
    response = sign_in(client, fake_okta, "noor@edudesk.example")
    client.logout()
    replay = client.get(response.wsgi_request.get_full_path())
    assert replay.status_code == 302 and replay["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_okta_answering_with_an_error_is_shown_and_recorded(client, fake_okta):
    client.get("/oidc/authenticate/")
    response = client.get("/oidc/callback/?error=access_denied&error_description=User+is+not+"
                          "assigned+to+the+client+application.&state=x")
    _refused(client, response, "not assigned")


def test_okta_routes_are_absent_while_okta_is_not_configured(client, settings):
    settings.OKTA_ISSUER_URL = ""
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert "Sign in with Okta" not in client.get("/login/").content.decode()
