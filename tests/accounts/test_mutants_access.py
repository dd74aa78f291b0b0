"""What a requester or an admin would notice if an access-request service went subtly wrong.

Each test here kills mutants of accounts/access.py that the rest of the suite let live
(python -m mutation accounts/access.py): a withdrawn role that the next Okta sign-in would
give back, another person's request decided, a group other than the role taken away, audit
lines without what was asked or why it was declined, a mail server down undoing a decision.
"""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError

from accounts import access, selectors
from accounts.models import AccessRequest
from people.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_newcomer(db):
    return UserFactory(username="kim", first_name="Kim", last_name="Ro", email="kim@edudesk.example")


def test_a_request_keeps_its_reason_within_1000_characters(newcomer):
    with pytest.raises(ValidationError, match="under 1,000 characters"):
        access.request_access(user=newcomer, reason="x" * 1001)

    request = access.request_access(user=newcomer, reason="y" * 1000)

    asked = AuditEvent.objects.get(verb="access_requested")
    assert asked.changes == {"reason": "y" * 1000} and request.reason == "y" * 1000


def test_deciding_one_request_leaves_the_others_open(newcomer, other_newcomer, admin_user):
    first = access.request_access(user=newcomer, reason="Triage rotation")
    second = access.request_access(user=other_newcomer, reason="Reports")

    access.decline_access(request_id=second.pk, actor=admin_user, reason="  Ask your manager  ")
    access.approve_access(request_id=first.pk, actor=admin_user, role="agent")

    assert AccessRequest.objects.get(pk=first.pk).status == "approved"
    declined = AccessRequest.objects.get(pk=second.pk)
    assert (declined.status, declined.decision_note) == ("declined", "Ask your manager")
    line = AuditEvent.objects.get(verb="access_declined")
    assert line.changes == {"reason": "Ask your manager", "user": other_newcomer.pk}
    assert line.summary == "Access for Kim Ro declined: Ask your manager"


def test_a_long_decline_reason_is_kept_to_1000_characters(newcomer, admin_user):
    request = access.request_access(user=newcomer, reason="Triage")
    access.decline_access(request_id=request.pk, actor=admin_user, reason="z" * 1200)
    assert AccessRequest.objects.get(pk=request.pk).decision_note == "z" * 1000


def test_an_unknown_role_is_refused(newcomer, admin_user):
    request = access.request_access(user=newcomer, reason="Triage")
    with pytest.raises(ValidationError, match="Choose one of the roles"):
        access.approve_access(request_id=request.pk, actor=admin_user, role="superuser")
    assert AccessRequest.objects.get(pk=request.pk).status == "open"


def test_a_withdrawn_role_stays_withdrawn_and_only_that_role_goes(newcomer, other_newcomer,
                                                                  admin_user):
    other = access.request_access(user=other_newcomer, reason="Reports")
    access.approve_access(request_id=other.pk, actor=admin_user, role="manager")
    request = access.request_access(user=newcomer, reason="Triage")
    access.approve_access(request_id=request.pk, actor=admin_user, role="agent")
    newcomer.groups.add(Group.objects.get(name="manager"))  # given by Okta's group mapping

    access.withdraw_access(request_id=request.pk, actor=admin_user)

    assert AccessRequest.objects.get(pk=request.pk).status == "withdrawn"
    assert selectors.granted_roles(newcomer) == set()  # the next Okta sign-in gives it not back
    assert set(newcomer.groups.values_list("name", flat=True)) == {"manager"}
    assert AccessRequest.objects.get(pk=other.pk).status == "approved"
    assert other_newcomer.groups.filter(name="manager").exists()
    with pytest.raises(ValidationError, match="Only approved access can be withdrawn"):
        access.withdraw_access(request_id=request.pk, actor=admin_user)


def test_the_decision_mail_goes_after_commit_and_a_mail_server_down_undoes_nothing(
        newcomer, admin_user, django_capture_on_commit_callbacks, settings, caplog):
    request = access.request_access(user=newcomer, reason="Triage")
    with django_capture_on_commit_callbacks(execute=True):
        access.approve_access(request_id=request.pk, actor=admin_user, role="agent")
    [sent] = mail.outbox
    assert sent.from_email == settings.DEFAULT_FROM_EMAIL and sent.to == ["lee@edudesk.example"]

    other = UserFactory(username="kim", email="kim@edudesk.example")
    declined = access.request_access(user=other, reason="Reports")
    settings.MAILERS = {"default": {"BACKEND": "tests.accounts.test_mutants_access.DownBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        access.decline_access(request_id=declined.pk, actor=admin_user, reason="No")
    assert AccessRequest.objects.get(pk=declined.pk).status == "declined"
    assert "mail server down" in caplog.text


class DownBackend:
    """A mail server that refuses every connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")
