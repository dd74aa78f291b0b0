"""Certifications, their results and the Credly badges they earn, with the templates behind them."""

from __future__ import annotations

import base64
import binascii
import uuid
from decimal import Decimal
from secrets import token_bytes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# Badges EduDesk issues carry this prefix in Credly's issuer_earner_id; a badge issued
# elsewhere with another id is never mistaken for one of ours.
EARNER_ID_PREFIX = "edudesk-"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret


def new_issuer_earner_id() -> str:
    return f"{EARNER_ID_PREFIX}{uuid.uuid4().hex}"


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode()


class Audience(models.Model):
    """Who a badge is for (customers, partners, team members): the monthly reports' split."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BadgeTemplate(models.Model):
    """A Credly badge template, mirrored by the sync; only its audience is ours to set."""

    class State(models.TextChoices):
        ACTIVE = "active"
        ARCHIVED = "archived"
        DRAFT = "draft"

    credly_id = models.CharField(max_length=64, unique=True, help_text="Credly template id")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    allows_duplicates = models.BooleanField(default=False)
    image_url = models.URLField(max_length=500, blank=True)
    audience = models.ForeignKey(Audience, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="templates")
    upstream_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    """An exam whose passing result earns its badge template."""

    code = models.SlugField(max_length=60, unique=True,
                            help_text="How result senders name this certification")
    name = models.CharField(max_length=200)
    badge_template = models.ForeignKey(BadgeTemplate, on_delete=models.PROTECT,
                                       related_name="certifications")
    passing_score = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True,
        help_text="A score at or above it passes; empty: the sender's own pass/fail decides")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def passes(self, score: Decimal | None, reported: bool | None) -> bool:
        """The passing rule: the score against passing_score when set, else the sender's word."""
        if self.passing_score is not None:
            return score is not None and score >= self.passing_score
        return bool(reported)


class ResultSender(models.Model):
    """A grading form or LMS that posts signed results to /hooks/certifications/."""

    name = models.CharField(max_length=100, unique=True)
    secrets = models.TextField(
        blank=True, default=new_signing_secret,
        help_text="Active whsec_ signing secrets, one per line. To rotate: add the new one, "
                  "switch the sender over, then remove the old one.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_list(self) -> list[str]:
        return [line.strip() for line in self.secrets.splitlines() if line.strip()]

    def clean(self) -> None:
        for line in self.secret_list:
            if not line.startswith(SECRET_PREFIX):
                raise ValidationError({"secrets": f"Every secret starts with {SECRET_PREFIX}."})
            try:
                key = base64.b64decode(line[len(SECRET_PREFIX):], validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError({"secrets": "A secret is not valid base64."}) from None
            # Standard Webhooks: 24 to 64 random bytes.
            if not 24 <= len(key) <= 64:
                raise ValidationError({"secrets": "A secret must hold 24 to 64 bytes."})
        # The secret that signs a request names its sender, so no two senders may share one.
        others = ResultSender.objects.exclude(pk=self.pk).values_list("secrets", flat=True)
        if set(self.secret_list) & {line.strip() for text in others for line in text.splitlines()}:
            raise ValidationError({"secrets": "Another sender already uses one of these secrets."})


class Submission(models.Model):
    """One exam result as its sender reported it, kept with the raw payload."""

    sender = models.ForeignKey(ResultSender, on_delete=models.PROTECT, related_name="submissions")
    submission_id = models.CharField(max_length=100, help_text="The sender's id for this result")
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT,
                                      related_name="submissions")
    earner_email = models.EmailField()
    earner_first_name = models.CharField(max_length=200)
    earner_last_name = models.CharField(max_length=200)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField()
    submitted_at = models.DateTimeField()
    raw_payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "submission_id"],
                                               name="submission_once_per_sender")]
        indexes = [
            models.Index(fields=["earner_email", "received_at"], name="submission_earner"),
            # The reconciliation queue: passing results received before the grace period.
            models.Index(fields=["passed", "received_at"], name="submission_passed"),
        ]
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.earner_email}: {self.certification} ({'passed' if self.passed else 'failed'})"

    @property
    def subject_key(self) -> str:
        return f"submission:{self.pk}"

    @property
    def earner_name(self) -> str:
        return f"{self.earner_first_name} {self.earner_last_name}".strip()


class Badge(models.Model):
    """A badge on Credly, or on its way there: `credly_id` is empty until Credly has issued it.

    `state` is Credly's once it knows the badge; "queued" before. How its deliveries fare
    (queued, sent, failed with Credly's words) is read from the outbox rows of its `lane`.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued (not yet on Credly)"
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        REVOKED = "revoked"

    # The earner holds it, or will once delivered: another of its template would be a duplicate.
    LIVE_STATES = (State.QUEUED, State.PENDING, State.ACCEPTED)

    credly_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    template = models.ForeignKey(BadgeTemplate, on_delete=models.PROTECT, related_name="badges")
    recipient_email = models.EmailField()
    recipient_first_name = models.CharField(max_length=200)
    recipient_last_name = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # Before Credly answers, the issue time we ask for (when it was earned); then Credly's.
    issued_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=1000, blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="replaced_by",
                                 help_text="The pending badge Credly replaced with this one")
    reissued_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="reissues",
                                      help_text="The badge revoked so this one could be issued")
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="badges")
    bulk = models.ForeignKey("BulkIssue", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="badges", help_text="The CSV upload that issued it")
    # Ours for badges EduDesk issues (a retry after a lost answer finds the badge by it);
    # empty for badges issued elsewhere.
    issuer_earner_id = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                        default=new_issuer_earner_id)
    # The outbox subject its actions queue under: its own "badge:ID", or that of the badge
    # it replaces or was reissued from, so that a revoke and the reissue after it keep order.
    lane = models.CharField(max_length=60, blank=True)
    badge_url = models.URLField(max_length=500, blank=True)
    upstream_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # An earner's badges, and whether one of a template is live for them.
            models.Index(fields=["recipient_email", "template"], name="badge_recipient"),
            models.Index(fields=["lane"], name="badge_lane"),
            # Reports: a month's badges counted from the index alone, and what changed since.
            models.Index(fields=["issued_at", "template", "state", "id"],
                         name="badge_issued_month"),
            models.Index(fields=["updated_at"], name="badge_changed"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.template} for {self.recipient_email} ({self.state})"

    @property
    def subject_key(self) -> str:
        """How the audit trail and the outbox name this badge."""
        return f"badge:{self.pk}"

    @property
    def recipient_name(self) -> str:
        return f"{self.recipient_first_name} {self.recipient_last_name}".strip()

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES


class TemplateRequest(models.Model):
    """A new badge template asked of the design team; created on Credly only once approved."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        CREATED = "created"

    name = models.CharField(max_length=200)
    design_request_url = models.URLField(max_length=500,
                                         help_text="The design team's request (issue) link")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    template = models.OneToOneField(BadgeTemplate, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="request",
                                    help_text="The Credly template, once created")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def clean(self) -> None:
        if self.status == self.Status.CREATED and self.template_id is None:
            raise ValidationError({"template": "Choose the Credly template that was created."})
        if self.template_id is not None and self.status != self.Status.CREATED:
            raise ValidationError({"status": "A request with a template is created."})
        if self.status == self.Status.CREATED and self.pk:
            # A template is created only once its design is approved.
            before = TemplateRequest.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if before == self.Status.REQUESTED:
                raise ValidationError({"status": "Approve the design before creating the template."})
        elif self.status == self.Status.CREATED:
            raise ValidationError({"status": "A new request starts as requested."})


class BulkIssue(models.Model):
    """One CSV upload: its validated rows, then how far issuing them has got.

    `rows` holds what validation kept ([line, template pk, email, first, last, issued_at,
    expires_at]); the task walks them from `position`, saved with every chunk it queues, so
    a worker killed mid-run resumes where the last committed chunk ended.
    """

    class State(models.TextChoices):
        PREVIEW = "preview", "Validated, waiting for confirmation"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    filename = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    rows = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0, help_text="Rows handled so far")
    queued = models.PositiveIntegerField(default=0, help_text="Badges queued for Credly")
    skipped = models.PositiveIntegerField(default=0, help_text="Rows whose earner held the badge")
    refused = models.PositiveIntegerField(default=0, help_text="Rows the issue refused")
    problems = models.JSONField(default=list, blank=True,
                                help_text="Refused rows: [line, message], the first few hundred")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEW)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Bulk issue {self.pk} ({self.filename}, {self.total} rows, {self.state})"

    @property
    def subject_key(self) -> str:
        return f"bulk:{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)
