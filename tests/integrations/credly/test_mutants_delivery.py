"""What an earner or an agent would notice if the Credly deliverer went subtly wrong.

Each test here kills mutants of integrations/credly/delivery.py that the rest of the suite
let live (python -m mutation integrations/credly/delivery.py): a badge issued or replaced
twice after a lost answer, a refusal without its reason, a reissue held up by a badge the
earner rejected, a replaced badge left looking live.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from badges import services
from badges.models import Badge, BadgeTemplate
from integrations import outbox
from integrations.credly.conf import get_client
from integrations.credly.fake import FakeCredly
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.badges.support import deliver_all

pytestmark = pytest.mark.django_db


def issue(template: BadgeTemplate, email: str = "ada@example.com") -> Badge:
    return services.issue_badge(template=template, recipient_email=email,
                                recipient_first_name="Ada", recipient_last_name="Lovelace")


def issued(fake: FakeCredly, template: BadgeTemplate, email: str = "ada@work.example") -> Badge:
    badge = issue(template, email)
    deliver_all()
    badge.refresh_from_db()
    return badge


def drain_once() -> None:
    for lane in outbox.lanes_to_sweep():
        outbox.drain(*lane)


def row_of(**filters) -> OutboxMessage:
    return OutboxMessage.objects.filter(system="credly", **filters).order_by("pk").last()


def test_a_first_issue_is_one_request_and_says_it_was_issued(fake_credly: FakeCredly, template):
    badge = issue(template)
    fake_credly.request_log.clear()

    deliver_all()

    assert [(r.method, r.status) for r in fake_credly.request_log] == [("POST", 201)]
    row = row_of(action="issue")
    assert row.response["found_after_lost_answer"] is False
    badge.refresh_from_db()
    line = AuditEvent.objects.get(verb="credly", subject=badge.subject_key)
    assert line.changes == {"credly_id": badge.credly_id, "state": "pending"}


def test_a_worker_that_died_after_the_issue_is_looked_up_not_issued_again(
        fake_credly: FakeCredly, template):
    fake_credly.lost_responses = 1
    badge = issue(template)
    drain_once()  # Credly issued it; the answer was lost
    # As if the worker had died after the call: the attempt counted, no error written.
    OutboxMessage.objects.filter(subject=badge.lane).update(last_error="",
                                                             next_attempt_at=timezone.now())

    deliver_all()

    assert len(fake_credly.list_badges()) == 1
    assert row_of(action="issue").response["found_after_lost_answer"] is True


def test_a_badge_the_sync_saw_first_is_not_issued_again(fake_credly: FakeCredly, template):
    badge = issue(template)
    Badge.objects.filter(pk=badge.pk).update(credly_id="seen-by-sync", state="pending")

    deliver_all()

    assert fake_credly.list_badges() == []
    assert row_of(action="issue").response == {"credly_id": "seen-by-sync", "state": "pending",
                                               "already": True}


def test_refusals_name_what_is_wrong(fake_credly: FakeCredly, template):
    outbox.enqueue(system="credly", action="explode", subject="badge:0", payload={})
    gone = issue(template, "gone@example.com")
    Badge.objects.filter(pk=gone.pk).delete()
    fake_credly.templates[template.credly_id].state = "archived"
    never = issue(template, "never@example.com")
    deliver_all()  # the issue is refused by Credly: the badge never reaches it
    services.revoke_badge(badge_id=never.pk, reason="Issued by mistake")

    deliver_all()

    assert row_of(action="explode").last_error == "Unknown Credly action 'explode'"
    assert row_of(subject=gone.lane).last_error == f"Badge {gone.pk} no longer exists in EduDesk"
    assert row_of(action="revoke").last_error == (
        f"{never.subject_key} was never issued on Credly, so there is nothing to revoke")


def test_a_lost_answer_to_a_revoke_is_found_revoked_not_refused(fake_credly: FakeCredly,
                                                                 template):
    badge = issued(fake_credly, template)
    services.revoke_badge(badge_id=badge.pk, reason="Cheating")
    fake_credly.lost_responses = 1

    deliver_all()

    row = row_of(action="revoke")
    assert row.state == "sent" and row.response["already"] is True
    badge.refresh_from_db()
    assert badge.state == "revoked"


def test_a_rejected_badge_is_reissued_without_asking_credly_again(fake_credly: FakeCredly,
                                                                  template):
    old = issued(fake_credly, template)
    fake_credly.reject(old.credly_id)
    Badge.objects.filter(pk=old.pk).update(state="rejected")

    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    deliver_all()

    new.refresh_from_db()
    assert new.credly_id and row_of(subject=old.lane).state == "sent"


def test_a_badge_revoked_on_credlys_site_is_recorded_before_the_reissue(
        fake_credly: FakeCredly, template):
    old = issued(fake_credly, template)
    fake_credly.accept(old.credly_id)
    Badge.objects.filter(pk=old.pk).update(state="accepted")
    get_client().revoke_badge(old.credly_id, "Revoked by an admin on Credly")
    services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    OutboxMessage.objects.filter(action="revoke").update(state="failed")  # given up on

    deliver_all()

    old.refresh_from_db()
    assert old.state == "revoked"  # Credly's word, read before the reissue
    assert AuditEvent.objects.filter(subject=old.subject_key,
                                     summary__startswith="Read before a reissue").exists()


def test_an_unreadable_answer_from_credly_fails_with_why(fake_credly: FakeCredly, template):
    old = issued(fake_credly, template)
    Badge.objects.filter(pk=old.pk).update(state="accepted")
    fake_credly.badges[old.credly_id].state = "suspended"  # a state we do not know
    services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    OutboxMessage.objects.filter(action="revoke").update(state="failed")

    deliver_all()

    error = row_of(action="issue", state="failed").last_error
    assert error.startswith(f"Credly's answer about {old.subject_key} is unreadable: ")
    assert "suspended" in error


def test_a_first_replace_is_one_request_and_retires_the_old_badge(fake_credly: FakeCredly,
                                                                  template):
    old = issued(fake_credly, template)
    before = old.updated_at
    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    fake_credly.request_log.clear()

    deliver_all()

    assert [r.method for r in fake_credly.request_log] == ["POST"]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.state, old.revocation_reason) == ("revoked", "Replaced")
    assert old.revoked_at is not None and old.updated_at > before
    upstream = fake_credly.list_badges(id=new.credly_id)[0]
    assert upstream.issuer_earner_id == new.issuer_earner_id


def test_a_lost_answer_to_a_replace_is_looked_up_not_replaced_again(fake_credly: FakeCredly,
                                                                    template):
    old = issued(fake_credly, template)
    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    fake_credly.lost_responses = 1

    deliver_all()

    assert len(fake_credly.list_badges()) == 2
    assert row_of(action="replace").state == "sent"
    new.refresh_from_db()
    assert new.credly_id == fake_credly.list_badges()[1].id


def test_a_replacement_the_sync_saw_first_and_an_old_never_issued(fake_credly: FakeCredly,
                                                                   template):
    old = issued(fake_credly, template)
    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    Badge.objects.filter(pk=new.pk).update(credly_id="seen-by-sync", state="pending")
    never = Badge.objects.create(template=template, recipient_email="x@example.com",
                                 recipient_first_name="X", recipient_last_name="Y",
                                 state="pending", lane="badge:never")
    services.change_badge_email(badge_id=never.pk, new_email="y@example.com")

    deliver_all()

    assert row_of(action="replace", subject=old.lane).response == {
        "credly_id": "seen-by-sync", "state": "pending", "already": True}
    assert row_of(action="replace", subject="badge:never").last_error == (
        f"{never.subject_key} was never issued on Credly, so it cannot be replaced")
