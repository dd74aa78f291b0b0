"""Badge actions from the outbox to Credly (issue, revoke, replace), with Credly's answer recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from badges.models import Badge
from integrations.errors import PermanentError, UpstreamError
from integrations.models import OutboxMessage
from people import audit

from . import mapping, store
from .client import CredlyClient
from .conf import get_client
from .mapping import Malformed

SYSTEM = "credly"
# Credly's word for a replaced badge is unconfirmed; either means it no longer counts.
GONE_STATES = ("revoked", "replaced")


def deliver(message: OutboxMessage) -> dict[str, Any]:
    """Outbox deliverer for system "credly"; payload: badge_id, plus `reason` (revoke) or
    `replacement_id` (replace). Raises integrations.errors.*; a refusal keeps Credly's words."""
    action = ACTIONS.get(message.action)
    if action is None:
        raise PermanentError(f"Unknown Credly action {message.action!r}")
    return action(get_client(), message)


def _retried(message: OutboxMessage) -> bool:
    """An earlier attempt may have reached Credly and lost its answer (a timeout, a 504, a
    worker that died): look before acting again."""
    return message.attempts > 1 or bool(message.last_error)


def _badge(badge_id: int) -> Badge:
    badge = Badge.objects.select_related("template").filter(pk=badge_id).first()
    if badge is None:
        raise PermanentError(f"Badge {badge_id} no longer exists in EduDesk")
    return badge


def _fields(badge: Badge, answer: dict[str, Any]) -> dict[str, Any]:
    try:
        return mapping.badge_fields(answer)
    except Malformed as exc:
        # Credly acted but said something we cannot read; a retry looks it up first.
        raise PermanentError(f"Credly's answer about {badge.subject_key} is unreadable: {exc}") \
            from None


def _line(badge: Badge, recorded: Badge, summary: str) -> audit.Line:
    return audit.Line(actor=None, verb="credly", subject=badge.subject_key,
                      summary=f"{summary} (Credly {recorded.credly_id}, {recorded.state})",
                      changes={"credly_id": recorded.credly_id, "state": recorded.state})


def _record(badge: Badge, answer: dict[str, Any], summary: str) -> dict[str, Any]:
    recorded = store.record_badge(badge.pk, _fields(badge, answer))
    audit.record_many([_line(badge, recorded, summary)])
    return {"credly_id": recorded.credly_id, "state": recorded.state}


def _issue_call(client: CredlyClient, badge: Badge) -> dict[str, Any]:
    return client.issue_badge(
        badge.template.credly_id, badge.recipient_email, badge.recipient_first_name,
        badge.recipient_last_name, badge.issued_at, badge.issuer_earner_id,
        badge.expires_at)  # None: the template's default


def _require_revoked(client: CredlyClient, badge_id: int) -> None:
    """A reissue goes out only once the badge it takes over from no longer counts."""
    old = _badge(badge_id)
    if old.state in (Badge.State.REVOKED, Badge.State.REJECTED) or not old.credly_id:
        return
    # Our copy may be behind (revoked on Credly's site): Credly's word decides.
    current = client.get_badge(old.credly_id)
    _record(old, current, "Read before a reissue")
    if current.get("state") not in GONE_STATES:
        raise PermanentError(f"Not issued: {old.subject_key}, which it reissues, is still "
                             f"{current.get('state')} on Credly; revoke it first")


def issue(client: CredlyClient, message: OutboxMessage) -> dict[str, Any]:
    badge = _badge(message.payload["badge_id"])
    if badge.credly_id:  # the sync saw it on Credly before this answer was recorded
        return {"credly_id": badge.credly_id, "state": badge.state, "already": True}
    if badge.reissued_from_id:
        _require_revoked(client, badge.reissued_from_id)
    template_id = badge.template.credly_id
    found = client.find_live_badge(template_id, badge.issuer_earner_id) \
        if _retried(message) and badge.issuer_earner_id else None
    answer = found or _issue_call(client, badge)
    return {**_record(badge, answer, "Found on Credly after a lost answer" if found
                      else "Issued on Credly"), "found_after_lost_answer": found is not None}


def revoke(client: CredlyClient, message: OutboxMessage) -> dict[str, Any]:
    badge = _badge(message.payload["badge_id"])
    if not badge.credly_id:
        raise PermanentError(f"{badge.subject_key} was never issued on Credly, so there is "
                             "nothing to revoke")
    if _retried(message):
        current = client.get_badge(badge.credly_id)
        if current.get("state") in GONE_STATES:
            return {**_record(badge, current, "Found revoked on Credly"), "already": True}
    answer = client.revoke_badge(badge.credly_id, message.payload["reason"])
    return _record(badge, answer, f"Revoked on Credly: {message.payload['reason']}")


def replace(client: CredlyClient, message: OutboxMessage) -> dict[str, Any]:
    old = _badge(message.payload["badge_id"])
    new = _badge(message.payload["replacement_id"])
    if new.credly_id:
        return {"credly_id": new.credly_id, "state": new.state, "already": True}
    if not old.credly_id:
        raise PermanentError(f"{old.subject_key} was never issued on Credly, so it cannot be "
                             "replaced")
    template_id = new.template.credly_id
    found = client.find_live_badge(template_id, new.issuer_earner_id) \
        if _retried(message) and new.issuer_earner_id else None
    answer = found or client.replace_badge(
        old.credly_id, template_id=template_id, issued_at=new.issued_at,
        recipient_email=new.recipient_email, issued_to_first_name=new.recipient_first_name,
        issued_to_last_name=new.recipient_last_name, issuer_earner_id=new.issuer_earner_id)
    result = _record(new, answer, f"Replaced {old.subject_key} on Credly")
    # Credly took the old one out of play; its own record of that comes with the next sync.
    now = timezone.now()
    Badge.objects.filter(pk=old.pk).exclude(state=Badge.State.REVOKED).update(
        state=Badge.State.REVOKED, revoked_at=now, revocation_reason="Replaced", updated_at=now)
    return {**result, "replaced": old.credly_id}


def deliver_batch(messages: list[OutboxMessage]) -> list[dict[str, Any] | UpstreamError]:
    """Batch deliverer (integrations.batch): first attempts at an issue, the bulk of a CSV
    upload, read in one query and recorded in one transaction; any other row (a revoke, a
    replace, a retry that must look on Credly first, a reissue) goes through deliver()."""
    answers: list[dict[str, Any] | UpstreamError | None] = [None] * len(messages)
    first_issues: dict[int, OutboxMessage] = {}
    for index, message in enumerate(messages):
        if message.action == "issue" and not _retried(message):
            first_issues[index] = message
        else:
            answers[index] = _answer_of(message)
    if first_issues:
        _issue_many(first_issues, answers)
    return answers  # type: ignore[return-value]  # every index is set by now


def _answer_of(message: OutboxMessage) -> dict[str, Any] | UpstreamError:
    try:
        return deliver(message)
    except UpstreamError as exc:
        return exc


def _issue_many(messages: dict[int, OutboxMessage], answers: list) -> None:
    wanted = [m.payload["badge_id"] for m in messages.values()]
    badges = Badge.objects.select_related("template").in_bulk(wanted)
    try:
        client = get_client()
    except PermanentError as exc:
        for index in messages:
            answers[index] = exc
        return
    issued: list[tuple[int, Badge, dict[str, Any]]] = []
    for index, message in messages.items():
        badge = badges.get(message.payload["badge_id"])
        if badge is None or badge.credly_id or badge.reissued_from_id:
            answers[index] = _answer_of(message)  # gone, already recorded, or a reissue
            continue
        try:
            issued.append((index, badge, _fields(badge, _issue_call(client, badge))))
        except UpstreamError as exc:  # Credly's refusal, or an answer we cannot read
            answers[index] = exc
    with transaction.atomic():  # one commit for the badges and their audit lines
        _record_issued(issued, answers)


def _record_issued(issued: list[tuple[int, Badge, dict[str, Any]]], answers: list) -> None:
    recorded = store.record_badges([(badge.pk, fields) for _, badge, fields in issued])
    lines = []
    for index, badge, _ in issued:
        row = recorded.get(badge.pk)
        if row is None:  # deleted in EduDesk while Credly issued it; the sync brings it back
            answers[index] = PermanentError(f"Badge {badge.pk} no longer exists in EduDesk")
            continue
        answers[index] = {"credly_id": row.credly_id, "state": row.state,
                          "found_after_lost_answer": False}
        lines.append(_line(badge, row, "Issued on Credly"))
    audit.record_many(lines)


ACTIONS: dict[str, Callable[[CredlyClient, OutboxMessage], dict[str, Any]]] = {
    "issue": issue, "revoke": revoke, "replace": replace}
