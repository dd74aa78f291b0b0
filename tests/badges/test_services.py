"""Results, issues, revokes, email changes and the reconciliation, as outbox rows and audit lines."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from badges import services
from badges.models import Badge, BadgeTemplate, Submission
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.factories import BadgeFactory, CertificationFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def record(sender, certification, submission_id="result-1", email="Ada@Example.com",
           score="92", passed=None):
    return services.record_submission(
        sender=sender, submission_id=submission_id, certification=certification,
        earner_email=email, earner_first_name="Ada", earner_last_name="Lovelace",
        score=Decimal(score) if score is not None else None, reported_passed=passed,
        submitted_at=timezone.now() - timedelta(minutes=5), raw_payload={"id": submission_id})


def rows(**filters):
    return list(OutboxMessage.objects.filter(**filters).order_by("pk").values_list(
        "action", "subject", "payload"))


def test_a_passing_result_queues_one_issue_of_its_badge(sender, certification):
    submission = record(sender, certification)

    assert submission.passed and submission.earner_email == "ada@example.com"
    badge = Badge.objects.get()
    assert (badge.template, badge.recipient_email, badge.state, badge.submission) == (
        certification.badge_template, "ada@example.com", "queued", submission)
    assert badge.issuer_earner_id.startswith("edudesk-") and badge.lane == f"badge:{badge.pk}"
    assert badge.issued_at == submission.submitted_at  # Credly dates it when it was earned
    assert rows(system="credly") == [("issue", f"badge:{badge.pk}", {"badge_id": badge.pk})]
    lines = {e.subject: e.summary for e in AuditEvent.objects.all()}
    assert "passed, badge:" in lines[f"submission:{submission.pk}"]
    assert lines[f"badge:{badge.pk}"] == "Issue of “GitLab Certified Git Associate” to ada@example.com queued"


def test_the_same_result_again_changes_nothing(sender, certification):
    first = record(sender, certification)
    again = record(sender, certification, score="10")  # the sender's id names it, not its content

    assert again.pk == first.pk and again.score == Decimal("92")
    assert (Submission.objects.count(), Badge.objects.count(), OutboxMessage.objects.count()) == (1, 1, 1)


def test_the_passing_rule_is_the_certifications(sender, certification):
    low = record(sender, certification, "low", score="79.99", passed=True)
    assert not low.passed  # a score rule beats the sender's own verdict
    word = CertificationFactory(badge_template=certification.badge_template, passing_score=None)
    assert not record(sender, word, "word-no", passed=False).passed
    assert not Badge.objects.exists()
    assert record(sender, word, "word-yes", score=None, passed=True).passed
    assert Badge.objects.count() == 1


def test_an_earner_who_holds_the_badge_gets_no_second(sender, certification):
    record(sender, certification, "first")
    second = record(sender, certification, "retake", email="ada@example.com")

    assert Badge.objects.count() == 1 and second.passed
    summary = AuditEvent.objects.get(subject=f"submission:{second.pk}").summary
    assert "no badge issued: ada@example.com already holds" in summary


def test_a_template_that_cannot_issue_still_records_the_result(sender, certification):
    BadgeTemplate.objects.filter(pk=certification.badge_template_id).update(state="archived")
    submission = record(sender, certification)
    assert submission.passed and not Badge.objects.exists()
    assert "is archived on Credly" in AuditEvent.objects.get(subject=submission.subject_key).summary


def test_issue_by_hand_refuses_what_credly_would(template, agent):
    services.issue_badge(template=template, recipient_email="grace@example.com",
                         recipient_first_name="Grace", recipient_last_name="Hopper", actor=agent)
    with pytest.raises(ValidationError, match="already holds"):
        services.issue_badge(template=template, recipient_email="GRACE@example.com ",
                             recipient_first_name="Grace", recipient_last_name="Hopper")
    with pytest.raises(ValidationError, match="not an email address"):
        services.issue_badge(template=template, recipient_email="grace", recipient_first_name="G",
                             recipient_last_name="H")
    with pytest.raises(ValidationError, match="first and last name"):
        services.issue_badge(template=template, recipient_email="lin@example.com",
                             recipient_first_name=" ", recipient_last_name="Chen")
    assert AuditEvent.objects.get(verb="issue").actor == agent
    assert OutboxMessage.objects.count() == 1


def test_revoke_needs_a_reason_and_a_badge_not_yet_revoked(agent):
    badge = BadgeFactory(credly_id="c-1", state="accepted")
    with pytest.raises(ValidationError, match="requires a reason"):
        services.revoke_badge(badge_id=badge.pk, reason="  ", actor=agent)
    services.revoke_badge(badge_id=badge.pk, reason="Exam retaken under supervision", actor=agent)
    assert rows() == [("revoke", badge.lane, {"badge_id": badge.pk,
                                              "reason": "Exam retaken under supervision"})]
    Badge.objects.filter(pk=badge.pk).update(state="revoked")
    with pytest.raises(ValidationError, match="already revoked"):
        services.revoke_badge(badge_id=badge.pk, reason="again", actor=agent)


def test_a_queued_badge_is_readdressed_before_it_goes(sender, certification, agent):
    record(sender, certification)
    badge = Badge.objects.get()

    same = services.change_badge_email(badge_id=badge.pk, new_email="ada@home.example", actor=agent)

    assert same.pk == badge.pk and Badge.objects.get().recipient_email == "ada@home.example"
    assert [a for a, _, _ in rows()] == ["issue"]  # the queued issue now carries the new address
    # While a worker holds the issue, the old address may already be on the wire: refused.
    OutboxMessage.objects.update(claimed_at=timezone.now(),
                                 claimed_until=timezone.now() + timedelta(seconds=60))
    with pytest.raises(ValidationError, match="being sent to Credly right now"):
        services.change_badge_email(badge_id=badge.pk, new_email="ada@work.example", actor=agent)
    assert Badge.objects.get().recipient_email == "ada@home.example"


def test_a_pending_badge_is_replaced(agent):
    badge = BadgeFactory(credly_id="c-1", state="pending", recipient_email="old@example.com")

    new = services.change_badge_email(badge_id=badge.pk, new_email="new@example.com", actor=agent)

    assert (new.replaces, new.recipient_email, new.state, new.lane) == (
        badge, "new@example.com", "queued", badge.lane)
    assert rows() == [("replace", badge.lane, {"badge_id": badge.pk, "replacement_id": new.pk})]
    assert AuditEvent.objects.get(verb="change_email").changes["steps"] == ["replace"]


def test_an_accepted_badge_is_revoked_then_reissued_in_one_lane(agent):
    badge = BadgeFactory(credly_id="c-1", state="accepted", recipient_email="old@example.com")

    new = services.change_badge_email(badge_id=badge.pk, new_email="new@example.com", actor=agent)

    assert new.reissued_from == badge and new.recipient_email == "new@example.com"
    assert rows() == [("revoke", badge.lane, {"badge_id": badge.pk, "reason": services.REISSUE_REASON}),
                      ("issue", badge.lane, {"badge_id": new.pk})]
    assert "new@example.com" not in services.REISSUE_REASON  # Credly shows it to the earner
    with pytest.raises(ValidationError, match="still on its way"):
        services.change_badge_email(badge_id=badge.pk, new_email="third@example.com", actor=agent)


def test_a_rejected_badge_is_reissued_without_a_revoke(agent):
    badge = BadgeFactory(credly_id="c-1", state="rejected")
    new = services.change_badge_email(badge_id=badge.pk, new_email="new@example.com", actor=agent)
    assert rows() == [("issue", badge.lane, {"badge_id": new.pk})]


def test_an_email_change_that_cannot_be_done_is_refused(agent):
    revoked = BadgeFactory(credly_id="c-1", state="revoked")
    with pytest.raises(ValidationError, match="revoked badge cannot move"):
        services.change_badge_email(badge_id=revoked.pk, new_email="x@example.com", actor=agent)
    pending = BadgeFactory(credly_id="c-2", state="pending")
    BadgeFactory(template=pending.template, recipient_email="taken@example.com")
    with pytest.raises(ValidationError, match="already holds"):
        services.change_badge_email(badge_id=pending.pk, new_email="taken@example.com")
    with pytest.raises(ValidationError, match="already goes to this address"):
        services.change_badge_email(badge_id=pending.pk, new_email=pending.recipient_email.upper())
    assert not OutboxMessage.objects.exists()


def test_a_failed_replacement_is_discarded_by_the_next_change(agent):
    badge = BadgeFactory(credly_id="c-1", state="pending")
    failed = services.change_badge_email(badge_id=badge.pk, new_email="a@example.com", actor=agent)
    OutboxMessage.objects.update(state="failed", last_error="HTTP 422: cannot be replaced")

    again = services.change_badge_email(badge_id=badge.pk, new_email="b@example.com", actor=agent)

    assert not Badge.objects.filter(pk=failed.pk).exists()  # else it would count as live
    assert again.recipient_email == "b@example.com"
    assert AuditEvent.objects.filter(verb="discard", subject=f"badge:{failed.pk}").exists()


def test_reconciliation_lists_old_passing_results_without_a_badge_in_one_message(settings):
    settings.BADGES_RECONCILE_GRACE_MINUTES = 30
    old = timezone.now() - timedelta(minutes=31)
    missing = [SubmissionFactory(received_at=old) for _ in range(3)]
    queued = SubmissionFactory(received_at=old)
    BadgeFactory(submission=queued, template=queued.certification.badge_template)  # never issued
    issued = SubmissionFactory(received_at=old)
    BadgeFactory(submission=issued, credly_id="c-1", state="pending")
    elsewhere = SubmissionFactory(received_at=old, earner_email="had@example.com")
    BadgeFactory(template=elsewhere.certification.badge_template, recipient_email="had@example.com",
                 credly_id="c-2", state="accepted")  # issued outside EduDesk, brought by the sync
    SubmissionFactory(received_at=old, passed=False)
    SubmissionFactory(received_at=timezone.now() - timedelta(minutes=29))  # within the grace

    found = services.reconcile()

    assert [s.pk for s in found] == [*(s.pk for s in missing), queued.pk]
    [message] = OutboxMessage.objects.filter(system="slack")
    assert message.payload["channel"] == "#edu_services_team"
    assert message.payload["text"].startswith(
        "4 passing certification result(s) have no badge on Credly 30 minutes after")
    assert missing[0].earner_email in message.payload["text"]
    assert AuditEvent.objects.filter(verb="reconcile").count() == 1


def test_reconciliation_with_nothing_missing_says_nothing():
    SubmissionFactory(received_at=timezone.now() - timedelta(hours=2), passed=False)
    assert services.reconcile() == []
    assert not OutboxMessage.objects.exists() and not AuditEvent.objects.exists()


def test_the_beat_runs_the_sync_and_the_reconciliation(settings):
    schedule = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["integrations.credly.tasks.sync_badges"] == 600.0
    assert schedule["badges.tasks.reconcile_badges"] == 900.0
    from badges.tasks import reconcile_badges

    SubmissionFactory(received_at=timezone.now() - timedelta(hours=1))
    assert reconcile_badges() == 1
