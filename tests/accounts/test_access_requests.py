"""Someone without a role asks for access; admins hear in Slack, decide, and the person is told."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AccessRequest
from integrations.models import OutboxMessage
from people.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer_client(newcomer):
    """A browser of its own: the tests sign an admin in on `client` beside it."""
    browser = Client()
    browser.force_login(newcomer)
    return browser


def _ask(client, reason="I join the Triage rotation next week"):
    return client.post("/access/request/", {"reason": reason})


def test_a_person_without_a_role_is_told_what_edudesk_is_and_can_ask(newcomer_client):
    page = newcomer_client.get("/access/")
    html = page.content.decode()
    assert page.status_code == 200 and "Request access" in html
    assert "support desk of the Education Services team" in html
    assert newcomer_client.get("/views/triage/").status_code == 403  # and the same page there


def test_asking_records_it_and_tells_the_admins_in_slack(newcomer_client, newcomer,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        response = _ask(newcomer_client, "I join the <Triage> rotation & need the console")
    assert response.status_code == 302
    request = AccessRequest.objects.get()
    assert (request.user, request.status) == (newcomer, "open")
    notice = OutboxMessage.objects.get(system="slack")
    assert notice.subject == f"access_request:{request.pk}"
    assert notice.payload["channel"] == "#edu_services_team"
    assert notice.payload["text"].startswith(
        "Lee Park (lee@edudesk.example) asks for access to EduDesk: “I join the <Triage> "
        "rotation & need the console”")
    assert notice.payload["text"].endswith("/access/requests/")
    assert AuditEvent.objects.get(verb="access_requested").actor == newcomer
    html = newcomer_client.get("/access/").content.decode()
    assert "is waiting for an admin" in html and "<textarea" not in html


def test_one_open_request_at_a_time_and_a_reason_is_needed(newcomer_client):
    assert _ask(newcomer_client, "   ").status_code == 400
    assert _ask(newcomer_client).status_code == 302
    again = _ask(newcomer_client)
    assert again.status_code == 400 and "already waiting" in again.content.decode()
    assert AccessRequest.objects.count() == 1


def test_someone_with_a_role_does_not_ask(agent_client):
    assert agent_client.get("/access/").status_code == 302
    assert _ask(agent_client).status_code == 400
    assert not AccessRequest.objects.exists()


def test_an_admin_approves_with_a_role_and_the_person_is_told_by_mail(
        newcomer_client, newcomer, client, admin_user, django_capture_on_commit_callbacks):
    _ask(newcomer_client)
    request = AccessRequest.objects.get()
    client.force_login(admin_user)
    listed = client.get("/access/requests/").content.decode()
    assert "I join the Triage rotation next week" in listed and "lee@edudesk.example" in listed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/access/requests/{request.pk}/approve/", {"role": "ld_agent"})
    assert set(newcomer.groups.values_list("name", flat=True)) == {"ld_agent"}
    request.refresh_from_db()
    assert (request.status, request.role, request.decided_by) == ("approved", "ld_agent",
                                                                   admin_user)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lee@edudesk.example"]
    assert "approved" in mail.outbox[0].subject and "L&D agent" in mail.outbox[0].body
    event = AuditEvent.objects.get(verb="access_approved")
    assert event.actor == admin_user and event.changes["role"] == [None, "ld_agent"]
    assert newcomer_client.get("/views/free/").status_code != 403


def test_an_admin_declines_with_a_reason_the_person_reads(
        newcomer_client, newcomer, client, admin_user, django_capture_on_commit_callbacks):
    _ask(newcomer_client)
    request = AccessRequest.objects.get()
    client.force_login(admin_user)
    client.post(f"/access/requests/{request.pk}/decline/", {"reason": ""})
    assert AccessRequest.objects.get().status == "open"  # no reason, no decision
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/access/requests/{request.pk}/decline/",
                    {"reason": "EduDesk is for the support team; ask Maria for a report."})
    assert not newcomer.groups.exists()
    assert "declined" in mail.outbox[0].subject
    assert "ask Maria for a report" in mail.outbox[0].body
    assert AuditEvent.objects.get(verb="access_declined").actor == admin_user
    assert "ask Maria for a report" in newcomer_client.get("/access/").content.decode()
    assert _ask(newcomer_client, "I moved to the support team").status_code == 302


def test_a_decided_request_cannot_be_decided_again(newcomer_client, client, admin_user):
    _ask(newcomer_client)
    request = AccessRequest.objects.get()
    client.force_login(admin_user)
    client.post(f"/access/requests/{request.pk}/approve/", {"role": "agent"})
    client.post(f"/access/requests/{request.pk}/decline/", {"reason": "changed my mind"})
    assert AccessRequest.objects.get().status == "approved"
    assert not AuditEvent.objects.filter(verb="access_declined").exists()


def test_an_admin_withdraws_access_granted_here(newcomer_client, newcomer, client, admin_user):
    _ask(newcomer_client)
    request = AccessRequest.objects.get()
    client.force_login(admin_user)
    client.post(f"/access/requests/{request.pk}/approve/", {"role": "agent"})
    client.post(f"/access/requests/{request.pk}/withdraw/")
    assert not newcomer.groups.exists()
    assert AuditEvent.objects.get(verb="access_withdrawn").changes["role"] == ["agent", None]


def test_only_admins_decide(newcomer_client, agent_client):
    _ask(newcomer_client)
    request = AccessRequest.objects.get()
    assert agent_client.get("/access/requests/").status_code == 403
    assert agent_client.post(f"/access/requests/{request.pk}/approve/",
                             {"role": "admin"}).status_code == 403
    assert AccessRequest.objects.get().status == "open"


def test_the_slack_notice_reaches_the_channel(newcomer_client, settings, fake_slack):
    from integrations import outbox

    settings.SLACK_API_URL, settings.SLACK_BOT_TOKEN = fake_slack.base_url, "xoxb-test"
    _ask(newcomer_client, "I run the Friday <b>triage</b>")
    notice = OutboxMessage.objects.get(system="slack")
    outbox.drain("slack", notice.subject)
    notice.refresh_from_db()
    assert notice.state == "sent"
    posted = fake_slack.messages[-1]
    assert posted["channel_name"] == "#edu_services_team"
    assert "Lee Park" in posted["text"] and "&lt;b&gt;triage&lt;/b&gt;" in posted["text"]
