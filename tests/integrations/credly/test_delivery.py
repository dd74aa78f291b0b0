"""Badge actions delivered to the fake Credly over HTTP: once each, in order, with Credly's own words."""

from __future__ import annotations

import pytest

from badges import services
from badges.models import Badge, BadgeTemplate
from integrations import outbox
from integrations.credly import sync
from integrations.credly.fake import FakeCredly
from integrations.credly.fake import validate as credly_words
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.badges.support import deliver_all

pytestmark = pytest.mark.django_db


def issue(template: BadgeTemplate, email: str = "ada@example.com") -> Badge:
    return services.issue_badge(template=template, recipient_email=email,
                                recipient_first_name="Ada", recipient_last_name="Lovelace")


def rows(badge: Badge) -> list[tuple[str, str, str]]:
    return list(OutboxMessage.objects.filter(subject=badge.lane).order_by("pk").values_list(
        "action", "state", "last_error"))


def test_an_issue_carries_our_earner_id_and_records_credlys_answer(fake_credly: FakeCredly,
                                                                   template):
    badge = issue(template)
    deliver_all()

    [issued] = fake_credly.list_badges()
    badge.refresh_from_db()
    assert (issued.issuer_earner_id, issued.template_id) == (badge.issuer_earner_id,
                                                             template.credly_id)
    assert (badge.credly_id, badge.state, badge.badge_url) == (
        issued.id, "pending", f"https://www.credly.com/badges/{issued.id}")
    assert rows(badge) == [("issue", "sent", "")]
    assert AuditEvent.objects.filter(subject=badge.subject_key, verb="credly",
                                     summary__startswith="Issued on Credly").exists()


def test_a_lost_answer_is_looked_up_not_issued_twice(fake_credly: FakeCredly, template):
    fake_credly.lost_responses = 1  # applied on Credly, answered with a gateway 504
    badge = issue(template)
    deliver_all()

    assert len(fake_credly.list_badges()) == 1
    message = OutboxMessage.objects.get()
    badge.refresh_from_db()
    assert message.state == "sent" and message.attempts == 2
    assert message.response["found_after_lost_answer"] is True
    assert badge.credly_id == fake_credly.list_badges()[0].id


def test_credly_down_then_back_issues_everything_once_in_order(fake_credly: FakeCredly,
                                                              template):
    ada = issue(template, "ada@example.com")
    services.revoke_badge(badge_id=ada.pk, reason="Issued by mistake")
    others = [issue(template, f"earner{i}@example.com") for i in range(3)]
    fake_credly.error_rate = 1.0
    for _ in range(3):  # a few rounds of 5xx: every row waits for its next attempt
        for lane in outbox.lanes_to_sweep():
            outbox.drain(*lane)
    assert fake_credly.list_badges() == []
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"queued"}
    assert all(m.last_error for m in OutboxMessage.objects.filter(action="issue"))

    fake_credly.error_rate = 0.0
    deliver_all()

    on_credly = fake_credly.list_badges()
    assert sorted(b.recipient_email for b in on_credly) == sorted(
        ["ada@example.com", *(b.recipient_email for b in others)])
    assert [b.state for b in on_credly if b.recipient_email == "ada@example.com"] == ["revoked"]
    assert rows(ada) == [("issue", "sent", ""), ("revoke", "sent", "")]
    ada.refresh_from_db()
    assert (ada.state, ada.revocation_reason) == ("revoked", "Issued by mistake")


def test_a_pending_badge_moved_to_another_email_is_replaced(fake_credly: FakeCredly, template):
    old = issue(template, "ada@work.example")
    deliver_all()

    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    deliver_all()

    old.refresh_from_db()
    new.refresh_from_db()
    upstream_old = fake_credly.list_badges(id=old.credly_id)[0]
    upstream_new = fake_credly.list_badges(id=new.credly_id)[0]
    assert (upstream_new.recipient_email, upstream_new.replaces_badge_id) == (
        "ada@home.example", old.credly_id)
    assert upstream_old.state == "revoked" and upstream_old.replacement_badge_id == new.credly_id
    assert (old.state, new.state, new.replaces_id) == ("revoked", "pending", old.pk)
    assert len(fake_credly.list_badges()) == 2


def test_an_accepted_badge_moved_to_another_email_is_revoked_then_reissued(
        fake_credly: FakeCredly, template):
    old = issue(template, "ada@work.example")
    deliver_all()
    old.refresh_from_db()
    fake_credly.accept(old.credly_id)
    sync.run_sync()  # EduDesk learns that the earner accepted it
    old.refresh_from_db()
    assert old.state == "accepted"

    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    deliver_all()

    revoked, reissued = fake_credly.list_badges()
    assert (revoked.id, revoked.state, revoked.revocation_reason) == (
        old.credly_id, "revoked", services.REISSUE_REASON)
    assert (reissued.recipient_email, reissued.state) == ("ada@home.example", "pending")
    new.refresh_from_db()
    assert (new.credly_id, new.reissued_from_id) == (reissued.id, old.pk)
    assert rows(old) == [("issue", "sent", ""), ("revoke", "sent", ""), ("issue", "sent", "")]


def test_a_reissue_waits_for_the_old_badge_to_be_revoked(fake_credly: FakeCredly, template):
    old = issue(template, "ada@work.example")
    deliver_all()
    old.refresh_from_db()
    fake_credly.accept(old.credly_id)
    Badge.objects.filter(pk=old.pk).update(state="accepted")
    new = services.change_badge_email(badge_id=old.pk, new_email="ada@home.example")
    # The revoke failed for good (its row no longer holds up the lane): the reissue must wait.
    OutboxMessage.objects.filter(action="revoke").update(state="failed", last_error="HTTP 503")

    deliver_all()

    assert [b.recipient_email for b in fake_credly.list_badges()] == ["ada@work.example"]
    error = OutboxMessage.objects.get(payload__badge_id=new.pk).last_error
    assert error == f"Not issued: badge:{old.pk}, which it reissues, is still accepted on " \
                    "Credly; revoke it first"


def test_a_second_revoke_fails_with_credlys_own_words(fake_credly: FakeCredly, template):
    badge = issue(template)
    services.revoke_badge(badge_id=badge.pk, reason="Cheating")
    services.revoke_badge(badge_id=badge.pk, reason="Cheating")  # queued before the first went

    deliver_all()

    badge.refresh_from_db()
    words = credly_words.ALREADY_REVOKED.format(badge.credly_id)
    assert rows(badge) == [("issue", "sent", ""), ("revoke", "sent", ""),
                           ("revoke", "failed", f"HTTP 422: {words}")]
    assert badge.state == "revoked"


def test_a_template_archived_on_credly_fails_with_its_words(fake_credly: FakeCredly, template):
    fake_credly.templates[template.credly_id].state = "archived"
    badge = issue(template)
    deliver_all()
    words = credly_words.ARCHIVED_TEMPLATE.format(template.credly_id)
    assert rows(badge) == [("issue", "failed", f"HTTP 422: {words}")]
    badge.refresh_from_db()
    assert (badge.state, badge.credly_id) == ("queued", None)


def test_a_long_credly_outage_ends_in_issued_badges_not_failed_rows(fake_credly: FakeCredly,
                                                                    template):
    """More failed attempts than an agent-facing delivery is allowed (8): nobody is watching
    a badge issued for a passed exam, so its row keeps trying (the "unattended" policy)."""
    import time

    from integrations import retry

    badges = [issue(template, f"learner{i}@example.com") for i in range(2)]
    fake_credly.error_rate = 1.0
    for _ in range(retry.policy("delivery").max_attempts + 4):
        time.sleep(0.03)  # the shortened backoff of the fixture
        for lane in outbox.lanes_to_sweep():
            outbox.drain(*lane)
    rows_now = OutboxMessage.objects.filter(system="credly")
    assert set(rows_now.values_list("state", flat=True)) == {"queued"}
    assert min(rows_now.values_list("attempts", flat=True)) > retry.policy("delivery").max_attempts

    fake_credly.error_rate = 0.0
    deliver_all()
    assert sorted(b.recipient_email for b in fake_credly.list_badges()) == sorted(
        b.recipient_email for b in badges)
