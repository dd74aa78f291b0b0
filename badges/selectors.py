"""Reads of results and badges; each decides its joins once, here, for a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from integrations.models import OutboxMessage
from people import audit
from people.models import AuditEvent
from people.pagination import Page, keyset_page

from .models import Audience, Badge, BadgeTemplate, BulkIssue, Certification, Submission

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
    """Badges sent to the address, those earned by its results, and those moved from it to
    another address (same lane: the replacement or reissue of one of its badges)."""
    email = normal_email(email)
    moved = Badge.objects.filter(recipient_email=email).exclude(lane="").values("lane")
    return badges_with_delivery().filter(
        Q(recipient_email=email) | Q(submission__earner_email=email) | Q(lane__in=moved)
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


# ---- monthly figures (the reports app reads these) ------------------------------------------
def badge_counts_by_month(*, start: datetime, end: datetime, zone,
                          template_ids: list[int] | None = None) -> list[dict]:
    """Badges issued in [start, end) counted per month (in `zone`), template and whether
    revoked, in one GROUP BY query: rows {"month", "template_id", "revoked", "count"}.

    A chain of badges (one replaced by another, or revoked and reissued to a new address)
    counts once, as its newest badge: the replacement carries the first one's issue time,
    and its state says whether the certification still stands.
    """
    badges = Badge.objects.filter(issued_at__gte=start, issued_at__lt=end).exclude(
        pk__in=Badge.objects.filter(replaces__isnull=False).values("replaces_id")).exclude(
        pk__in=Badge.objects.filter(reissued_from__isnull=False).values("reissued_from_id"))
    if template_ids is not None:
        badges = badges.filter(template_id__in=template_ids)
    rows = (badges.annotate(month=TruncMonth("issued_at", tzinfo=zone),
                            revoked=Case(When(state=Badge.State.REVOKED, then=Value(True)),
                                         default=Value(False), output_field=BooleanField()))
            .values("month", "template_id", "revoked").annotate(count=Count("id"))
            .order_by("month", "template_id", "revoked"))
    return [{**row, "month": _first_day(row["month"], zone)} for row in rows]


def _first_day(month, zone) -> date:
    """TruncMonth gives a datetime in `zone` (a date on some backends): the month's 1st."""
    if isinstance(month, datetime):
        month = month.astimezone(zone).date() if month.tzinfo else month.date()
    return month.replace(day=1)


def templates_with_audience() -> list[BadgeTemplate]:
    return list(BadgeTemplate.objects.select_related("audience").order_by("name"))


def audiences() -> list[Audience]:
    return list(Audience.objects.order_by("name"))


def certifications() -> list[Certification]:
    return list(Certification.objects.select_related("badge_template").order_by("name"))


def submission_page(*, cursor: str | None = None, size: int = RECENT_PAGE_SIZE) -> Page:
    """The newest results, keyset-paginated, each with its `badges` and their delivery:
    two queries a page."""
    rows = Submission.objects.select_related(
        "certification", "certification__badge_template", "sender").prefetch_related(
        Prefetch("badges", queryset=badges_with_delivery().order_by("created_at", "id")))
    return keyset_page(rows, "-received_at", cursor, size)


def reconciliation_page(*, received_before: datetime, size: int = 100) -> list[Submission]:
    """The reconciliation queue's oldest `size`, with any badge of theirs that is still on
    its way (or failed on the way): two queries."""
    return list(reconciliation_queue(received_before=received_before).prefetch_related(
        Prefetch("badges", queryset=badges_with_delivery().order_by("created_at", "id")))[:size])


@dataclass(frozen=True)
class Failure:
    message: OutboxMessage
    badges: list[Badge]


def delivery_failures(*, limit: int = 100) -> list[Failure]:
    """Badge actions Credly refused (or that ran out of retries), newest first, with Credly's
    words in `message.last_error`: the lane's latest row only, since a later action in the
    same lane supersedes it. Two queries."""
    later = OutboxMessage.objects.filter(system=CREDLY, subject=OuterRef("subject"),
                                         pk__gt=OuterRef("pk"))
    failed = list(OutboxMessage.objects.filter(
        system=CREDLY, state=OutboxMessage.State.FAILED, subject__startswith="badge:").filter(
        ~Exists(later)).order_by("-pk")[:limit])
    ids = {m.payload.get(key) for m in failed for key in ("badge_id", "replacement_id")}
    badges = Badge.objects.select_related("template").in_bulk(
        [i for i in ids if isinstance(i, int)])
    return [Failure(m, [badges[i] for i in (m.payload.get("badge_id"),
                                            m.payload.get("replacement_id")) if i in badges])
            for m in failed]


@dataclass(frozen=True)
class BadgeDetail:
    badge: Badge
    lane_badges: list[Badge]  # the badges of its lane: what it replaced or was reissued as
    steps: list[OutboxMessage]  # the lane's Credly deliveries, in order
    history: list[AuditEvent]

    @property
    def is_settling(self) -> bool:
        return any(step.state == OutboxMessage.State.QUEUED for step in self.steps)


def badge_detail(badge_id: int) -> BadgeDetail | None:
    """A badge with its lane: every badge in it, each delivery and its outcome, the trail."""
    badge = badges_with_delivery().select_related("submission", "bulk").filter(
        pk=badge_id).first()
    if badge is None:
        return None
    lane = list(badges_with_delivery().filter(lane=badge.lane).order_by("created_at", "id"))
    steps = list(OutboxMessage.objects.filter(system=CREDLY, subject=badge.lane).order_by("pk"))
    history = list(AuditEvent.objects.filter(subject__in=[b.subject_key for b in lane])
                   .select_related("actor").order_by("created_at", "id"))
    return BadgeDetail(badge, lane, steps, history)


def lane_steps(badge_id: int) -> list[OutboxMessage]:
    lane = Badge.objects.filter(pk=badge_id).values_list("lane", flat=True).first()
    return list(OutboxMessage.objects.filter(system=CREDLY, subject=lane).order_by("pk")) \
        if lane else []


def active_templates() -> QuerySet[BadgeTemplate]:
    return BadgeTemplate.objects.filter(state=BadgeTemplate.State.ACTIVE).order_by("name")


def recent_bulk_issues(limit: int = 5) -> list[BulkIssue]:
    return list(BulkIssue.objects.defer("rows").select_related("created_by")[:limit])


def bulk_for(bulk_id: int, *, with_rows: bool = False) -> BulkIssue | None:
    rows = BulkIssue.objects.select_related("created_by")
    return (rows if with_rows else rows.defer("rows")).filter(pk=bulk_id).first()


def bulk_progress(bulk: BulkIssue) -> dict:
    """Where an upload stands, for the progress bar: rows handled, badges queued, on Credly,
    and deliveries Credly refused. Two queries besides the upload's own row."""
    delivered = Badge.objects.filter(bulk=bulk).aggregate(
        on_credly=Count("pk", filter=Q(credly_id__isnull=False)))["on_credly"]
    failed = OutboxMessage.objects.filter(
        system=CREDLY, state=OutboxMessage.State.FAILED,
        subject__in=Badge.objects.filter(bulk=bulk).values("lane")).count()
    settled = bulk.state == BulkIssue.State.DONE and delivered + failed >= bulk.queued
    return {"state": bulk.state, "state_label": bulk.get_state_display(), "total": bulk.total,
            "position": bulk.position, "queued": bulk.queued, "skipped": bulk.skipped,
            "refused": bulk.refused, "delivered": delivered, "failed": failed,
            "last_error": bulk.last_error, "settled": settled}


def history_of(subject: str) -> list[AuditEvent]:
    return list(audit.history(subject))


def badge_change_mark() -> tuple[datetime | None, int | None]:
    """The newest change time and the highest id: when neither moved, no figure did
    (two index lookups)."""
    found = Badge.objects.aggregate(changed=Max("updated_at"), last_id=Max("id"))
    return found["changed"], found["last_id"]


def months_with_changes(*, changed_since: datetime, after_id: int, zone) -> set[date]:
    """Months (in `zone`) of badges changed after `changed_since` or added after `after_id`,
    and of the badges they replace or were reissued from: the months whose counts moved."""
    changed = Badge.objects.filter(Q(updated_at__gt=changed_since) | Q(id__gt=after_id))
    months: set[date] = set()
    for field in ("issued_at", "replaces__issued_at", "reissued_from__issued_at"):
        rows = changed.filter(**{f"{field}__isnull": False}).annotate(
            month=TruncMonth(field, tzinfo=zone)).order_by().values_list("month", flat=True)
        months |= {_first_day(month, zone) for month in rows.distinct()}
    return months
