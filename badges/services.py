"""Every change to results and badges: one transaction each, with its audit lines and outbox rows.

Badge actions are outbox rows for the "credly" system in the domain's terms ({"badge_id"});
the Credly adapter's deliverer turns them into Credly calls and records the answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from integrations import outbox
from integrations.models import OutboxMessage
from people import audit

from . import selectors
from .models import Badge, BadgeTemplate, BulkIssue, Certification, ResultSender, Submission

CREDLY = "credly"
RECONCILIATION_SUBJECT = "badges:reconciliation"
LISTED_IN_SLACK = 10
# Credly shows the reason to the earner, so it names no address.
REISSUE_REASON = "Reissued to a new email address at the earner's request"


def _email(value: str, field: str = "recipient_email") -> str:
    email = selectors.normal_email(value)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: f"{value!r} is not an email address."}) from None
    return email


def _locked(badge_id: int) -> Badge:
    badge = Badge.objects.select_for_update().filter(pk=badge_id).first()
    if badge is None:
        raise ValidationError({"badge": "This badge no longer exists."})
    return badge


def _enqueue(badge: Badge, action: str, **payload: Any) -> OutboxMessage:
    return outbox.enqueue(system=CREDLY, action=action, subject=badge.lane, payload=payload)


def _new_badge(*, template: BadgeTemplate, email: str, first_name: str, last_name: str,
               issued_at: datetime, submission: Submission | None, lane_of: Badge | None = None,
               **links: Any) -> Badge:
    badge = Badge.objects.create(
        template=template, recipient_email=email, recipient_first_name=first_name,
        recipient_last_name=last_name, issued_at=issued_at, submission=submission,
        lane=lane_of.lane if lane_of else "", **links)
    if not badge.lane:
        badge.lane = badge.subject_key
        Badge.objects.filter(pk=badge.pk).update(lane=badge.lane)
    return badge


def _queue_issue(*, template: BadgeTemplate, email: str, first_name: str, last_name: str,
                 issued_at: datetime, actor, submission: Submission | None = None,
                 expires_at: datetime | None = None) -> Badge:
    """The badge row, its issue in the outbox and its audit line; the caller has checked.
    (A bulk upload's chunk does the same for many badges at once: _queue_issues.)"""
    badge = _new_badge(template=template, email=email, first_name=first_name,
                       last_name=last_name, issued_at=issued_at, submission=submission,
                       expires_at=expires_at)
    _enqueue(badge, "issue", badge_id=badge.pk)
    audit.record_many([_issue_line(badge, actor)])
    return badge


def _issue_line(badge: Badge, actor, *, bulk: BulkIssue | None = None,
                line: int | None = None) -> audit.Line:
    """The trail's line for a queued issue, by hand, from a result or from a bulk upload."""
    changes = {"template": badge.template.credly_id, "recipient_email": badge.recipient_email,
               "submission": badge.submission_id}
    note = ""
    if bulk is not None:
        changes["bulk"] = bulk.pk
        note = f" (bulk {bulk.pk}, line {line})"
    return audit.Line(actor=actor, verb="issue", subject=badge.subject_key,
                      summary=f"Issue of “{badge.template.name}” to {badge.recipient_email} "
                              f"queued{note}", changes=changes)


def _names(first_name: str, last_name: str) -> tuple[str, str]:
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if not first or not last:
        raise ValidationError({"recipient_name": "Credly needs the earner's first and last name."})
    return first, last


@transaction.atomic
def issue_badge(*, template: BadgeTemplate, recipient_email: str, recipient_first_name: str,
                recipient_last_name: str, actor=None, submission: Submission | None = None,
                issued_at: datetime | None = None, expires_at: datetime | None = None) -> Badge:
    """Queue the issue of `template` to one earner; refused if the template cannot issue or
    the earner already holds a live badge of it (unless the template allows duplicates).
    `expires_at` None takes the template's default."""
    email = _email(recipient_email)
    first, last = _names(recipient_first_name, recipient_last_name)
    # Locked so that two results of one earner arriving together cannot both pass the
    # duplicate check below.
    template = BadgeTemplate.objects.select_for_update().get(pk=template.pk)
    if template.state != BadgeTemplate.State.ACTIVE:
        raise ValidationError({"template": f"“{template.name}” is {template.state} on Credly "
                                           "and cannot issue badges."})
    held = selectors.live_badge(template_id=template.pk, email=email)
    if held is not None and not template.allows_duplicates:
        raise ValidationError({"recipient_email": f"{email} already holds “{template.name}” "
                                                  f"({held.subject_key}, {held.state})."})
    return _queue_issue(template=template, email=email, first_name=first, last_name=last,
                        issued_at=issued_at or timezone.now(), actor=actor,
                        submission=submission, expires_at=expires_at)


def issue_for_submission(*, submission_id: int, actor=None) -> Badge:
    """The reconciliation's one-click issue: the result's certification badge to its earner."""
    submission = Submission.objects.select_related("certification__badge_template").filter(
        pk=submission_id).first()
    if submission is None:
        raise ValidationError({"submission": "This result no longer exists."})
    if not submission.passed:
        raise ValidationError({"submission": "This result did not pass; it earns no badge."})
    return issue_badge(template=submission.certification.badge_template,
                       recipient_email=submission.earner_email,
                       recipient_first_name=submission.earner_first_name,
                       recipient_last_name=submission.earner_last_name, actor=actor,
                       submission=submission, issued_at=submission.submitted_at)


def retry_delivery(*, badge_id: int, message_id: int, actor=None) -> bool:
    """An agent's retry of a badge's failed Credly delivery (its lane's row), with a line in
    the trail; False when that row is not failed (sent meanwhile, or queued already)."""
    badge = Badge.objects.filter(pk=badge_id).first()
    if badge is None or not outbox.retry_now(message_id=message_id, subject=badge.lane):
        return False
    audit.record(actor=actor, verb="retry", subject=badge.subject_key,
                 summary="Failed Credly delivery queued again", changes={"outbox": message_id})
    return True


# No savepoint of its own: it catches none of its own errors, and the webhook calls it in
# the transaction that marks the event processed.
@transaction.atomic(savepoint=False)
def record_submission(*, sender: ResultSender, submission_id: str, certification: Certification,
                      earner_email: str, earner_first_name: str, earner_last_name: str,
                      score: Decimal | None, reported_passed: bool | None,
                      submitted_at: datetime, raw_payload: dict[str, Any]) -> Submission:
    """Store one result, once per sender and submission id (a repeat returns the first and
    changes nothing). A passing one issues its certification's badge unless the earner
    already holds a live badge of that template."""
    found = Submission.objects.filter(sender=sender, submission_id=submission_id).first()
    if found is not None:
        return found
    email = _email(earner_email, "earner_email")
    passed = certification.passes(score, reported_passed)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                sender=sender, submission_id=submission_id, certification=certification,
                earner_email=email, earner_first_name=earner_first_name.strip(),
                earner_last_name=earner_last_name.strip(), score=score, passed=passed,
                submitted_at=submitted_at, raw_payload=raw_payload)
    except IntegrityError:
        # A concurrent delivery of the same result stored it first.
        return Submission.objects.get(sender=sender, submission_id=submission_id)
    outcome = "failed"
    changes: dict[str, Any] = {"sender": sender.name, "score": str(score), "passed": passed}
    if passed:
        try:
            badge = issue_badge(template=certification.badge_template, recipient_email=email,
                                recipient_first_name=submission.earner_first_name,
                                recipient_last_name=submission.earner_last_name,
                                submission=submission, issued_at=submitted_at)
        except ValidationError as exc:
            # Recorded all the same; the reconciliation lists it if no badge is on Credly.
            outcome = "passed, no badge issued: " + "; ".join(exc.messages)
        else:
            outcome = f"passed, {badge.subject_key} queued"
            changes["badge"] = badge.pk
    audit.record(actor=None, verb="submission", subject=submission.subject_key,
                 summary=f"{certification.name} result {submission_id} from {sender.name} for "
                         f"{email}: {outcome}", changes=changes)
    return submission


@transaction.atomic
def revoke_badge(*, badge_id: int, reason: str, actor=None) -> Badge:
    """Queue a revoke on Credly; the badge reads "revoked" once Credly has done it."""
    badge = _locked(badge_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Credly requires a reason for a revoke."})
    if badge.state == Badge.State.REVOKED:
        raise ValidationError({"badge": f"This badge is already revoked ({badge.revocation_reason})."})
    _enqueue(badge, "revoke", badge_id=badge.pk, reason=reason[:1000])
    audit.record(actor=actor, verb="revoke", subject=badge.subject_key,
                 summary=f"Revoke queued: {reason}", changes={"reason": reason})
    return badge


def _lane_rows(badge: Badge):
    return OutboxMessage.objects.filter(system=CREDLY, subject=badge.lane,
                                        state=OutboxMessage.State.QUEUED)


def _readdress_queued(badge: Badge, email: str, actor) -> Badge:
    """A badge Credly has not issued yet simply gets the new address before it goes."""
    now = timezone.now()
    rows = _lane_rows(badge)
    # The no-op UPDATE locks the lane's unclaimed rows until we commit, so a worker cannot
    # claim the issue and send the old address meanwhile; a claimed row is already on the wire.
    rows.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)).update(
        next_attempt_at=F("next_attempt_at"))
    if rows.filter(claimed_until__gt=now).exists():
        raise ValidationError({"badge": "This badge is being sent to Credly right now; "
                                        "try again in a minute."})
    before = badge.recipient_email
    badge.recipient_email = email
    badge.save(update_fields=["recipient_email", "updated_at"])
    audit.record(actor=actor, verb="change_email", subject=badge.subject_key,
                 summary=f"Email changed from {before} to {email} before issue",
                 changes={"recipient_email": [before, email]})
    return badge


def _discard_failed_attempts(badge: Badge, actor) -> None:
    """Badges of the lane that never reached Credly, their deliveries over (failed): a new
    change supersedes them, and left in place they would count as live."""
    for stale in Badge.objects.filter(lane=badge.lane, credly_id__isnull=True,
                                      state=Badge.State.QUEUED).exclude(pk=badge.pk):
        audit.record(actor=actor, verb="discard", subject=stale.subject_key,
                     summary=f"Discarded: never issued on Credly, superseded by a new change "
                             f"to {badge.subject_key}")
        stale.delete()


@transaction.atomic
def change_badge_email(*, badge_id: int, new_email: str, actor=None) -> Badge:
    """Move a badge to another address as its state allows, and return the badge that will
    carry it: queued, the same badge readdressed; pending, a replacement (Credly's replace);
    accepted, a revoke then a reissue; rejected, a reissue. Steps share the badge's lane,
    so they reach Credly in order."""
    badge = _locked(badge_id)
    email = _email(new_email)
    if email == badge.recipient_email:
        raise ValidationError({"recipient_email": "The badge already goes to this address."})
    if badge.state == Badge.State.REVOKED:
        raise ValidationError({"badge": "A revoked badge cannot move; issue a new one instead."})
    if badge.state == Badge.State.QUEUED:
        return _readdress_queued(badge, email, actor)
    if _lane_rows(badge).exists():
        raise ValidationError({"badge": "An earlier change to this badge is still on its way "
                                        "to Credly; wait for it, then try again."})
    template = badge.template
    held = selectors.live_badge(template_id=template.pk, email=email)
    if held is not None and not template.allows_duplicates:
        raise ValidationError({"recipient_email": f"{email} already holds “{template.name}” "
                                                  f"({held.subject_key}, {held.state})."})
    _discard_failed_attempts(badge, actor)
    fields = {"template": template, "email": email, "first_name": badge.recipient_first_name,
              "last_name": badge.recipient_last_name, "issued_at": badge.issued_at,
              "submission": badge.submission, "lane_of": badge}
    if badge.state == Badge.State.PENDING:
        new = _new_badge(**fields, replaces=badge)
        _enqueue(badge, "replace", badge_id=badge.pk, replacement_id=new.pk)
        how, steps = "replace", ["replace"]
    else:
        steps = []
        if badge.state == Badge.State.ACCEPTED:
            _enqueue(badge, "revoke", badge_id=badge.pk, reason=REISSUE_REASON)
            steps.append("revoke")
        new = _new_badge(**fields, reissued_from=badge)
        _enqueue(new, "issue", badge_id=new.pk)
        how = "reissue"
        steps.append("issue")
    changes = {"recipient_email": [badge.recipient_email, email], "steps": steps,
               "new_badge": new.pk}
    audit.record(actor=actor, verb="change_email", subject=badge.subject_key,
                 summary=f"Email change to {email} queued ({badge.state}: {' then '.join(steps)})",
                 changes=changes)
    audit.record(actor=actor, verb=how, subject=new.subject_key,
                 summary=f"{how.capitalize()} of {badge.subject_key} to {email} queued",
                 changes={"from_badge": badge.pk})
    return new


def _reconciliation_text(missing: list[Submission], minutes: int) -> str:
    lines = [f"{len(missing)} passing certification result(s) have no badge on Credly "
             f"{minutes} minutes after they arrived:"]
    lines += [f"- {s.earner_email}: {s.certification.name} (result {s.submission_id} from "
              f"{s.sender.name}, received {s.received_at:%Y-%m-%d %H:%M} UTC)"
              for s in missing[:LISTED_IN_SLACK]]
    if len(missing) > LISTED_IN_SLACK:
        lines.append(f"... and {len(missing) - LISTED_IN_SLACK} more.")
    return "\n".join(lines)


@transaction.atomic
def reconcile(*, now: datetime | None = None, grace: timedelta | None = None) -> list[Submission]:
    """Passing results older than the grace period with no badge on Credly; when there are
    any, one Slack message for the team says so."""
    if grace is None:
        grace = timedelta(minutes=settings.BADGES_RECONCILE_GRACE_MINUTES)
    missing = list(selectors.reconciliation_queue(received_before=(now or timezone.now()) - grace))
    if missing:
        minutes = int(grace.total_seconds() // 60)
        # Plain text: the Slack adapter escapes it (names and ids come from senders).
        outbox.enqueue(system="slack", action="badges_reconciliation",
                       subject=RECONCILIATION_SUBJECT,
                       payload={"channel": settings.BADGES_SLACK_CHANNEL,
                                "text": _reconciliation_text(missing, minutes)})
        audit.record(actor=None, verb="reconcile", subject=RECONCILIATION_SUBJECT,
                     summary=f"{len(missing)} passing result(s) without a badge after "
                             f"{minutes} minutes; the team was told on Slack",
                     changes={"submissions": [s.pk for s in missing[:500]]})
    return missing


# ---- bulk issue from a CSV -------------------------------------------------------------------
BULK_CHUNK = 250
SHOWN_PROBLEMS = 300


@transaction.atomic
def create_bulk_issue(*, rows: list[list], filename: str, file_sha256: str,
                      actor=None) -> BulkIssue:
    """Keep a validated file's rows (badges.bulk.validate) until the agent confirms."""
    bulk = BulkIssue.objects.create(filename=filename[:255], file_sha256=file_sha256,
                                    rows=rows, total=len(rows), created_by=actor)
    audit.record(actor=actor, verb="bulk_upload", subject=bulk.subject_key,
                 summary=f"{filename}: {len(rows)} valid rows, waiting for confirmation",
                 changes={"sha256": file_sha256, "rows": len(rows)})
    return bulk


def start_bulk_issue(*, bulk_id: int, actor=None) -> BulkIssue:
    """Confirmed (or resumed after a worker died): a task issues the rows not yet handled."""
    with transaction.atomic():
        bulk = BulkIssue.objects.select_for_update().defer("rows").filter(pk=bulk_id).first()
        if bulk is None:
            raise ValidationError({"bulk": "This upload no longer exists."})
        if bulk.state == BulkIssue.State.DONE:
            raise ValidationError({"bulk": "This upload has been issued already."})
        resumed = bulk.state != BulkIssue.State.PREVIEW
        bulk.state, bulk.last_error = BulkIssue.State.QUEUED, ""
        bulk.save(update_fields=["state", "last_error"])
        audit.record(actor=actor, verb="bulk_start", subject=bulk.subject_key,
                     summary=f"{'Resumed at row ' + str(bulk.position + 1) if resumed else 'Confirmed'}"
                             f": {bulk.total - bulk.position} rows to go")
        transaction.on_commit(lambda: _send_bulk_task(bulk.pk), robust=True)
    return bulk


def _send_bulk_task(bulk_id: int) -> None:
    from .tasks import issue_bulk

    issue_bulk.delay(bulk_id)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _queue_issues(bulk: BulkIssue, new: list[tuple[int, Badge]]) -> None:
    """What _queue_issue does for each of a chunk's badges, a statement for all of them: the
    badges, their lanes, their outbox rows, their audit lines."""
    if not new:
        return
    badges = Badge.objects.bulk_create([badge for _, badge in new])
    Badge.objects.filter(pk__in=[b.pk for b in badges]).update(
        lane=Concat(Value("badge:"), Cast("pk", output_field=CharField())))
    for badge in badges:
        badge.lane = badge.subject_key
    outbox.enqueue_many(system=CREDLY, action="issue",
                        items=[(badge.lane, {"badge_id": badge.pk}) for badge in badges])
    audit.record_many([_issue_line(badge, bulk.created_by, bulk=bulk, line=line)
                       for line, badge in new])


def _issue_chunk(bulk: BulkIssue, rows: list[list], start: int) -> bool:
    """Queue the badges of rows[start:start + BULK_CHUNK] in one transaction, with the new
    position; False when another worker had already handled them."""
    with transaction.atomic():
        locked = BulkIssue.objects.select_for_update().defer("rows").get(pk=bulk.pk)
        if locked.position != start:
            return False
        chunk = rows[start:start + BULK_CHUNK]
        templates = {t.pk: t for t in BadgeTemplate.objects.select_for_update().filter(
            pk__in={row[1] for row in chunk})}
        held = set(Badge.objects.filter(
            template_id__in=list(templates), recipient_email__in={row[2] for row in chunk},
            state__in=Badge.LIVE_STATES).values_list("template_id", "recipient_email"))
        new: list[tuple[int, Badge]] = []
        for line, template_id, email, first, last, issued_at, expires_at in chunk:
            template = templates.get(template_id)
            if (template_id, email) in held:
                # A re-run of the same file, or an earner who got it meanwhile.
                locked.skipped += 1
                continue
            if template is None or template.state != BadgeTemplate.State.ACTIVE:
                locked.refused += 1
                if len(locked.problems) < SHOWN_PROBLEMS:
                    locked.problems.append([line, "the template cannot issue badges any more"])
                continue
            new.append((line, Badge(
                template=template, recipient_email=email, recipient_first_name=first,
                recipient_last_name=last, issued_at=_when(issued_at) or timezone.now(),
                expires_at=_when(expires_at), bulk=bulk)))
            held.add((template_id, email))
            locked.queued += 1
        _queue_issues(bulk, new)
        locked.position = start + len(chunk)
        locked.save(update_fields=["position", "queued", "skipped", "refused", "problems"])
    return True


def run_bulk_issue(*, bulk_id: int) -> BulkIssue:
    """Issue an upload's rows from where it stands, a chunk per transaction: a worker that
    dies loses at most its open chunk, and running again (or the same file again) queues only
    what no earner holds yet."""
    bulk = BulkIssue.objects.filter(pk=bulk_id).first()
    if bulk is None or bulk.state in (BulkIssue.State.PREVIEW, BulkIssue.State.DONE):
        return bulk
    BulkIssue.objects.filter(pk=bulk.pk).update(state=BulkIssue.State.RUNNING,
                                                started_at=bulk.started_at or timezone.now())
    rows = bulk.rows
    try:
        position = BulkIssue.objects.values_list("position", flat=True).get(pk=bulk.pk)
        while position < len(rows):
            _issue_chunk(bulk, rows, position)
            position = BulkIssue.objects.values_list("position", flat=True).get(pk=bulk.pk)
    except Exception as exc:
        BulkIssue.objects.filter(pk=bulk.pk).update(state=BulkIssue.State.FAILED,
                                                    last_error=str(exc)[:1000])
        raise
    with transaction.atomic():
        done = BulkIssue.objects.select_for_update().defer("rows").get(pk=bulk.pk)
        if done.state != BulkIssue.State.DONE:
            done.state, done.finished_at = BulkIssue.State.DONE, timezone.now()
            done.save(update_fields=["state", "finished_at"])
            audit.record(actor=done.created_by, verb="bulk_done", subject=done.subject_key,
                         summary=f"{done.filename}: {done.queued} badges queued, {done.skipped} "
                                 f"already held, {done.refused} refused",
                         changes={"queued": done.queued, "skipped": done.skipped,
                                  "refused": done.refused})
    return done
