"""Access requests: someone without a role asks, admins hear in Slack, approve with a role or
decline with a reason, the requester hears by mail; every step is in the audit trail."""

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations import outbox
from people import audit
from people.audit import subject_of
from people.roles import ALL_ROLES, ROLE_LABELS, roles_of

from .models import AccessRequest

log = logging.getLogger(__name__)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def request_access(*, user, reason: str) -> AccessRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say in a few words what you need EduDesk for."})
    if len(reason) > 1000:
        raise ValidationError({"reason": "Keep it under 1,000 characters."})
    if roles_of(user):
        raise ValidationError("You already have access to EduDesk.")
    try:
        with transaction.atomic():
            access_request = AccessRequest.objects.create(user=user, reason=reason)
            subject = subject_of("access_request", access_request.pk)
            audit.record(actor=user, verb="access_requested", subject=subject,
                         summary=f"{_name(user)} asked for access: {reason}",
                         changes={"reason": reason})
            # Plain text: the Slack adapter escapes it (the reason is the requester's words).
            review = settings.EDUDESK_URL.rstrip("/") + reverse("accounts:access-requests")
            outbox.enqueue(system="slack", action="notify_access_request", subject=subject,
                           payload={"channel": settings.ACCESS_REQUEST_SLACK_CHANNEL,
                                    "text": f"{_name(user)} ({user.email or 'no email'}) asks for "
                                            f"access to EduDesk: “{reason}”. Review: {review}"})
    except IntegrityError:  # the constraint: one open request per person
        raise ValidationError("Your request is already waiting for an admin.") from None
    return access_request


def _open_request(pk: int) -> AccessRequest:
    access_request = AccessRequest.objects.select_for_update().select_related("user").get(pk=pk)
    if access_request.status != AccessRequest.Status.OPEN:
        raise ValidationError("This request has already been decided.")
    return access_request


def approve_access(*, request_id: int, actor, role: str) -> AccessRequest:
    if role not in ALL_ROLES:
        raise ValidationError({"role": "Choose one of the roles."})
    with transaction.atomic():
        access_request = _open_request(request_id)
        user = access_request.user
        user.groups.add(Group.objects.get(name=role))
        _decide(access_request, actor, AccessRequest.Status.APPROVED, role=role)
        audit.record(actor=actor, verb="access_approved",
                     subject=subject_of("access_request", access_request.pk),
                     summary=f"Access for {_name(user)} approved as {ROLE_LABELS[role]}",
                     changes={"role": [None, role], "user": user.pk})
        _tell_requester(access_request)
    return access_request


def decline_access(*, request_id: int, actor, reason: str) -> AccessRequest:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Tell the requester why (they receive it by mail)."})
    with transaction.atomic():
        access_request = _open_request(request_id)
        _decide(access_request, actor, AccessRequest.Status.DECLINED, note=reason[:1000])
        audit.record(actor=actor, verb="access_declined",
                     subject=subject_of("access_request", access_request.pk),
                     summary=f"Access for {_name(access_request.user)} declined: {reason}",
                     changes={"reason": reason, "user": access_request.user_id})
        _tell_requester(access_request)
    return access_request


def withdraw_access(*, request_id: int, actor) -> AccessRequest:
    """Take back a role granted on approval (Okta keeps roles it maps itself)."""
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().select_related("user").get(
            pk=request_id)
        if access_request.status != AccessRequest.Status.APPROVED:
            raise ValidationError("Only approved access can be withdrawn.")
        access_request.user.groups.remove(*Group.objects.filter(name=access_request.role))
        access_request.status = AccessRequest.Status.WITHDRAWN
        access_request.save(update_fields=["status"])
        audit.record(actor=actor, verb="access_withdrawn",
                     subject=subject_of("access_request", access_request.pk),
                     summary=f"{ROLE_LABELS.get(access_request.role, access_request.role)} "
                             f"access of {_name(access_request.user)} withdrawn",
                     changes={"role": [access_request.role, None],
                              "user": access_request.user_id})
    return access_request


def _decide(access_request: AccessRequest, actor, status: str, *, role: str = "",
            note: str = "") -> None:
    access_request.status, access_request.role = status, role
    access_request.decided_by, access_request.decided_at = actor, timezone.now()
    access_request.decision_note = note
    access_request.save(update_fields=["status", "role", "decided_by", "decided_at",
                                       "decision_note"])


def _tell_requester(access_request: AccessRequest) -> None:
    """Mail the decision once it is committed; a mail server that is down must not undo it."""
    user = access_request.user
    if not user.email:
        log.warning("access request %s decided; %s has no email to tell", access_request.pk,
                    user.get_username())
        return
    approved = access_request.status == AccessRequest.Status.APPROVED
    subject = "Your EduDesk access request was " + ("approved" if approved else "declined")
    body = render_to_string("accounts/mail/access_decided.txt", {
        "access_request": access_request, "user": user, "approved": approved,
        "role_label": ROLE_LABELS.get(access_request.role, ""),
        "url": settings.EDUDESK_URL.rstrip("/") + "/",
    })
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]), robust=True)
