"""Reads of results and badges; each decides its joins once, here, for a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from integrations.models import OutboxMessage

from .models import Badge, Submission

CREDLY = "credly"
RECENT_PAGE_SIZE = 50


def normal_email(email: str) -> str:
    """Addresses are compared lower-cased: Credly keeps them so."""
    return (email or "").strip().lower()


def badges_with_delivery() -> QuerySet[Badge]:
    """Badges with their template, and how their lane's latest Credly delivery stands:
    `delivery_state` (queued, sent, failed, conflict; None before any) and `delivery_error`
    (Credly's words when it refused)."""
    latest = OutboxMessage.objects.filter(system=CREDLY, subject=OuterRef("lane")).order_by("-pk")
    return Badge.objects.select_related("template").annotate(
        delivery_state=Subquery(latest.values("state")[:1]),
        delivery_error=Subquery(latest.values("last_error")[:1]),
    )


@dataclass(frozen=True)
class EarnerRecord:
    email: str
    submissions: list[Submission]
    badges: list[Badge]


def submissions_of_earner(email: str) -> QuerySet[Submission]:
    return Submission.objects.filter(earner_email=normal_email(email)).select_related(
        "certification", "certification__badge_template", "sender").order_by("-received_at", "-id")


def badges_of_earner(email: str) -> QuerySet[Badge]:
    """Badges sent to the address, and those earned by its results but moved to another."""
    email = normal_email(email)
    return badges_with_delivery().filter(
        Q(recipient_email=email) | Q(submission__earner_email=email)
    ).order_by("-created_at", "-id")


def earner_record(email: str) -> EarnerRecord:
    """Everything about one earner, in two queries whatever they hold."""
    return EarnerRecord(email=normal_email(email), submissions=list(submissions_of_earner(email)),
                        badges=list(badges_of_earner(email)))


def reconciliation_queue(*, received_before: datetime) -> QuerySet[Submission]:
    """Passing results received before `received_before` with no badge on Credly for them:
    neither the badge they issued nor one of their template to the earner (issued elsewhere,
    say) has a Credly id. One query."""
    on_credly = Badge.objects.filter(credly_id__isnull=False).filter(
        Q(submission=OuterRef("pk"))
        | Q(template=OuterRef("certification__badge_template"),
            recipient_email=OuterRef("earner_email")))
    return Submission.objects.filter(passed=True, received_at__lt=received_before).filter(
        ~Exists(on_credly)).select_related(
        "certification", "certification__badge_template", "sender").order_by("received_at", "id")


def recent_submissions(*, before_id: int | None = None,
                       size: int = RECENT_PAGE_SIZE) -> list[Submission]:
    """The newest results (keyset by id), each with `badges` loaded: two queries a page."""
    rows = Submission.objects.select_related(
        "certification", "certification__badge_template", "sender").prefetch_related(
        Prefetch("badges", queryset=badges_with_delivery().order_by("created_at", "id")))
    if before_id is not None:
        rows = rows.filter(id__lt=before_id)
    return list(rows.order_by("-id")[:size])


def live_badge(*, template_id: int, email: str) -> Badge | None:
    """The earner's badge of the template that is on Credly or on its way there, if any."""
    return Badge.objects.filter(template_id=template_id, recipient_email=normal_email(email),
                                state__in=Badge.LIVE_STATES).order_by("pk").first()
