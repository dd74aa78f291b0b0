"""What an agent or an earner would notice if a badge service went subtly wrong.

Each test here kills mutants of badges/services.py that the rest of the suite let live
(python -m mutation badges/services.py): one badge's lane taken by the next, an expiry or an
issue date lost, an audit line without its actor or its changes, another earner's delivery
holding up a change, a never-issued badge of someone else discarded.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from badges import services
from badges.models import Badge
from integrations.models import OutboxMessage
from people.models import AuditEvent
from tests.factories import BadgeFactory, BadgeTemplateFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def issue(template, email, **extra):
    return services.issue_badge(template=template, recipient_email=email,
                                recipient_first_name="Ada", recipient_last_name="Lovelace", **extra)


def audit_line(verb, subject):
    return AuditEvent.objects.get(verb=verb, subject=subject)


def test_each_issued_badge_keeps_its_own_lane_expiry_and_audit(template, agent):
    other_template = BadgeTemplateFactory()  # two templates: the right one is locked and used
    expires = timezone.now() + timedelta(days=365)

    first = issue(template, "ada@example.com", actor=agent, expires_at=expires)
    second = issue(other_template, "grace@example.com")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.lane, second.lane) == (first.subject_key, second.subject_key)
    assert (first.template, second.template) == (template, other_template)
    assert first.expires_at == expires and second.expires_at is None  # None: Credly's default
    assert list(OutboxMessage.objects.order_by("pk").values_list("subject", flat=True)) == [
        first.subject_key, second.subject_key]
    line = audit_line("issue", first.subject_key)
    assert line.actor == agent
    assert line.changes == {"template": template.credly_id, "recipient_email": "ada@example.com",
                            "submission": None}


def test_the_reconciliations_one_click_issue_is_dated_and_signed(agent, sender, certification):
    earned = timezone.now() - timedelta(days=3)
    submission = SubmissionFactory(sender=sender, certification=certification,
                                   submitted_at=earned, earner_email="ada@example.com")

    badge = services.issue_for_submission(submission_id=submission.pk, actor=agent)

    assert (badge.issued_at, badge.submission) == (earned, submission)
    line = audit_line("issue", badge.subject_key)
    assert line.actor == agent and line.changes["submission"] == submission.pk


def test_a_retry_requeues_that_badges_failed_row_and_says_so(agent, template):
    failed = issue(template, "ada@example.com")
    issue(template, "grace@example.com")  # newer: a lookup without the id would find this one
    row = OutboxMessage.objects.get(subject=failed.lane)
    OutboxMessage.objects.filter(pk=row.pk).update(state="failed", last_error="HTTP 503")

    assert services.retry_delivery(badge_id=failed.pk, message_id=row.pk, actor=agent) is True

    assert OutboxMessage.objects.get(pk=row.pk).state == "queued"
    line = audit_line("retry", failed.subject_key)
    assert (line.actor, line.changes) == (agent, {"outbox": row.pk})


def test_a_result_audit_line_names_the_sender_score_and_badge(sender, certification):
    submission = services.record_submission(
        sender=sender, submission_id="r-1", certification=certification,
        earner_email="ada@example.com", earner_first_name="Ada", earner_last_name="Lovelace",
        score=Decimal("92.5"), reported_passed=None, submitted_at=timezone.now(), raw_payload={})

    badge = Badge.objects.get()
    assert audit_line("submission", submission.subject_key).changes == {
        "sender": "Exam form", "score": "92.5", "passed": True, "badge": badge.pk}


def test_a_revoke_keeps_credlys_length_and_writes_who_and_why(agent):
    badge = BadgeFactory(credly_id="c-1", state="accepted")
    reason = "Exam retaken under supervision. " * 40  # over Credly's 1,000 characters

    services.revoke_badge(badge_id=badge.pk, reason=reason, actor=agent)

    sent = OutboxMessage.objects.get().payload["reason"]
    assert len(sent) == 1000 and sent == reason.strip()[:1000]
    line = audit_line("revoke", badge.subject_key)
    assert line.actor == agent and line.changes == {"reason": reason.strip()}
    assert line.summary.startswith("Revoke queued: Exam retaken")


def test_a_queued_badge_readdressed_says_from_and_to(agent, template):
    badge = issue(template, "ada@example.com")
    other = issue(template, "grace@example.com")
    # Another earner's issue being sent right now is no reason to refuse this one.
    OutboxMessage.objects.filter(subject=other.lane).update(
        claimed_at=timezone.now(), claimed_until=timezone.now() + timedelta(seconds=60))

    services.change_badge_email(badge_id=badge.pk, new_email="ada@home.example", actor=agent)

    line = AuditEvent.objects.get(verb="change_email")
    assert (line.actor, line.subject) == (agent, badge.subject_key)
    assert line.changes == {"recipient_email": ["ada@example.com", "ada@home.example"]}
    assert line.summary == "Email changed from ada@example.com to ada@home.example before issue"
    assert Badge.objects.get(pk=other.pk).recipient_email == "grace@example.com"


def test_another_badges_delivery_on_its_way_does_not_hold_up_a_change(agent, template):
    pending = BadgeFactory(template=template, credly_id="c-1", state="pending")
    issue(template, "grace@example.com")  # queued for Credly in its own lane

    new = services.change_badge_email(badge_id=pending.pk, new_email="new@example.com",
                                      actor=agent)

    assert new.replaces == pending


def test_a_change_discards_only_its_own_lanes_never_issued_badges(agent, template):
    badge = BadgeFactory(credly_id="c-1", state="pending")
    failed = services.change_badge_email(badge_id=badge.pk, new_email="a@example.com", actor=agent)
    OutboxMessage.objects.update(state="failed", last_error="HTTP 422")
    someone_else = issue(template, "grace@example.com")  # queued, never issued, another lane
    OutboxMessage.objects.filter(subject=someone_else.lane).update(state="failed")

    services.change_badge_email(badge_id=badge.pk, new_email="b@example.com", actor=agent)

    assert not Badge.objects.filter(pk=failed.pk).exists()
    assert Badge.objects.filter(pk=someone_else.pk).exists()


def test_an_accepted_badges_email_change_is_audited_step_by_step(agent):
    badge = BadgeFactory(credly_id="c-1", state="accepted", recipient_email="old@example.com")

    new = services.change_badge_email(badge_id=badge.pk, new_email="new@example.com", actor=agent)

    change = audit_line("change_email", badge.subject_key)
    assert change.changes == {"recipient_email": ["old@example.com", "new@example.com"],
                              "steps": ["revoke", "issue"], "new_badge": new.pk}
    assert change.summary == "Email change to new@example.com queued (accepted: revoke then issue)"
    reissue = audit_line("reissue", new.subject_key)
    assert reissue.actor == agent and reissue.changes == {"from_badge": badge.pk}
    assert reissue.summary == f"Reissue of {badge.subject_key} to new@example.com queued"


def test_a_pending_badges_replacement_is_audited_on_the_new_badge(agent):
    badge = BadgeFactory(credly_id="c-1", state="pending")

    new = services.change_badge_email(badge_id=badge.pk, new_email="new@example.com", actor=agent)

    line = audit_line("replace", new.subject_key)
    assert line.summary == f"Replace of {badge.subject_key} to new@example.com queued"


@pytest.mark.parametrize(("count", "more"), [(10, None), (11, "... and 1 more.")])
def test_the_reconciliation_message_lists_ten_then_counts_the_rest(count, more):
    old = timezone.now() - timedelta(hours=2)
    missing = [SubmissionFactory(received_at=old) for _ in range(count)]

    services.reconcile()

    lines = OutboxMessage.objects.get(system="slack").payload["text"].splitlines()
    assert len(lines) == 1 + min(count, 10) + (1 if more else 0)
    assert (lines[-1] == more) if more else lines[-1].startswith("- ")
    assert AuditEvent.objects.get(verb="reconcile").changes == {
        "submissions": sorted(s.pk for s in missing)}


def test_an_unknown_badge_cannot_be_revoked_or_moved(agent):
    with pytest.raises(ValidationError, match="no longer exists"):
        services.revoke_badge(badge_id=999, reason="x", actor=agent)
    assert not OutboxMessage.objects.exists()


# ---- bulk issue ------------------------------------------------------------------------------
def bulk_rows(template, *emails, expires_at=None):
    return [[line, template.pk, email, "Earner", f"Number {line}", None, expires_at]
            for line, email in enumerate(emails, start=2)]


def uploaded(template, *emails, actor=None, **extra):
    return services.create_bulk_issue(rows=bulk_rows(template, *emails, **extra),
                                      filename="cohort.csv", file_sha256="f00d", actor=actor)


def test_an_upload_keeps_its_file_its_sender_and_says_so(template, agent):
    name = "spring-cohort-" + "x" * 300 + ".csv"
    bulk = services.create_bulk_issue(rows=bulk_rows(template, "a@example.com", "b@example.com"),
                                      filename=name, file_sha256="f00d", actor=agent)

    bulk.refresh_from_db()
    assert (bulk.filename, bulk.file_sha256, bulk.created_by, bulk.total) == (
        name[:255], "f00d", agent, 2)
    line = audit_line("bulk_upload", bulk.subject_key)
    assert line.actor == agent and line.changes == {"sha256": "f00d", "rows": 2}


def test_starting_an_upload_is_confirmed_then_resumed_and_survives_a_broker_down(
        template, agent, monkeypatch, django_capture_on_commit_callbacks):
    first = uploaded(template, "a@example.com", "b@example.com")
    uploaded(template, "c@example.com")  # newer: a lookup without the id would find this one

    def broker_down(bulk_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(services, "_send_bulk_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        started = services.start_bulk_issue(bulk_id=first.pk, actor=agent)  # no error: the sweep

    assert started.pk == first.pk and started.state == "queued"
    assert audit_line("bulk_start", first.subject_key).summary == "Confirmed: 2 rows to go"
    type(first).objects.filter(pk=first.pk).update(state="failed", position=1)
    services.start_bulk_issue(bulk_id=first.pk, actor=agent)
    assert AuditEvent.objects.filter(verb="bulk_start").order_by("pk").last().summary == \
        "Resumed at row 2: 1 rows to go"


def test_a_preview_is_never_issued_by_a_stray_task(template):
    bulk = uploaded(template, "a@example.com")
    assert services.run_bulk_issue(bulk_id=bulk.pk).state == "preview"
    assert not Badge.objects.exists()


def test_a_bulk_run_shows_running_then_done_with_its_tally(template, agent, monkeypatch):
    archived = BadgeTemplateFactory(state="archived")
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    revoked = BadgeFactory(template=template, recipient_email="back@example.com", credly_id="c-1",
                           state="revoked")
    rows = [*bulk_rows(template, "a@example.com", "back@example.com", expires_at=expires),
            [4, archived.pk, "b@example.com", "Earner", "Four", None, None],
            [5, template.pk, "a@example.com", "Earner", "Again", None, None]]
    bulk = services.create_bulk_issue(rows=rows, filename="cohort.csv", file_sha256="f00d",
                                      actor=agent)
    services.start_bulk_issue(bulk_id=bulk.pk)
    other = uploaded(template, "z@example.com")  # newer: a lookup without the id finds it
    seen_states = []
    real_queue = services._queue_issues

    def watching(*args):
        seen_states.append(type(bulk).objects.values_list("state", flat=True).get(pk=bulk.pk))
        return real_queue(*args)

    monkeypatch.setattr(services, "_queue_issues", watching)
    done = services.run_bulk_issue(bulk_id=bulk.pk)

    assert set(seen_states) == {"running"}
    assert (done.pk, done.state, done.queued, done.skipped, done.refused) == (bulk.pk, "done", 2, 1, 1)
    assert done.problems == [[4, "the template cannot issue badges any more"]]
    assert done.started_at is not None and done.started_at <= done.finished_at
    again = Badge.objects.exclude(pk=revoked.pk).get(recipient_email="back@example.com")
    assert again.expires_at.isoformat() == expires  # a revoked badge is no reason to skip
    assert Badge.objects.filter(recipient_email="a@example.com").count() == 1
    issued = AuditEvent.objects.get(verb="issue", subject=again.subject_key)
    assert issued.summary.endswith(f"queued (bulk {bulk.pk}, line 3)") and issued.actor == agent
    line = audit_line("bulk_done", bulk.subject_key)
    assert line.actor == agent and line.changes == {"queued": 2, "skipped": 1, "refused": 1}
    assert line.summary == "cohort.csv: 2 badges queued, 1 already held, 1 refused"
    other.refresh_from_db()
    assert other.state == "preview"


def test_a_bulk_run_that_breaks_says_why_on_the_upload(template, monkeypatch):
    done = uploaded(template, "z@example.com")
    services.start_bulk_issue(bulk_id=done.pk)
    services.run_bulk_issue(bulk_id=done.pk)
    bulk = uploaded(template, "a@example.com")
    services.start_bulk_issue(bulk_id=bulk.pk)

    def broken(*args):
        raise RuntimeError("database gone " + "x" * 1200)

    monkeypatch.setattr(services, "_queue_issues", broken)
    with pytest.raises(RuntimeError):
        services.run_bulk_issue(bulk_id=bulk.pk)

    bulk.refresh_from_db()
    assert bulk.state == "failed" and len(bulk.last_error) == 1000
    assert bulk.last_error.startswith("database gone")
    done.refresh_from_db()
    assert done.state == "done" and done.last_error == ""


def test_the_reconciliations_audit_line_names_at_most_500_results(sender, certification):
    from badges.models import Submission

    old = timezone.now() - timedelta(hours=2)
    Submission.objects.bulk_create(Submission(
        sender=sender, certification=certification, submission_id=f"r-{i}",
        earner_email=f"earner{i}@example.com", earner_first_name="E", earner_last_name="N",
        score=Decimal("90"), passed=True, submitted_at=old, received_at=old) for i in range(501))

    assert len(services.reconcile()) == 501

    assert len(AuditEvent.objects.get(verb="reconcile").changes["submissions"]) == 500


def test_actions_on_what_no_longer_exists_or_cannot_be_are_refused(agent, template):
    with pytest.raises(ValidationError, match="This result no longer exists"):
        services.issue_for_submission(submission_id=999, actor=agent)
    failed = SubmissionFactory(passed=False)
    with pytest.raises(ValidationError, match="did not pass; it earns no badge"):
        services.issue_for_submission(submission_id=failed.pk, actor=agent)
    with pytest.raises(ValidationError, match="This upload no longer exists"):
        services.start_bulk_issue(bulk_id=999, actor=agent)
    assert services.retry_delivery(badge_id=999, message_id=1, actor=agent) is False
    assert not Badge.objects.exists() and not AuditEvent.objects.exists()


def test_a_bulk_chunk_gives_each_badge_its_own_lane_and_leaves_others_alone(template, agent):
    # A reissue shares the lane of the badge it takes over from: a bulk run must not touch it.
    old = BadgeFactory(template=template, recipient_email="old@example.com", credly_id="c-9",
                       state="revoked")
    reissue = BadgeFactory(template=template, recipient_email="new@example.com",
                           reissued_from=old, lane=old.subject_key)
    bulk = uploaded(template, "a@example.com", "b@example.com", actor=agent)
    services.start_bulk_issue(bulk_id=bulk.pk)
    services.run_bulk_issue(bulk_id=bulk.pk)

    reissue.refresh_from_db()
    assert reissue.lane == old.subject_key
    for badge in Badge.objects.filter(bulk=bulk):
        assert badge.lane == badge.subject_key
        assert OutboxMessage.objects.get(subject=badge.lane).payload == {"badge_id": badge.pk}
        line = AuditEvent.objects.get(verb="issue", subject=badge.subject_key)
        assert line.changes == {"template": template.credly_id,
                                "recipient_email": badge.recipient_email, "submission": None,
                                "bulk": bulk.pk}
