"""The outbox: every write to an external system is first a row here, then a Celery task."""

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """One action for one external system, about one subject ("ticket:42", "badge:9").

    A subject's rows for a system are delivered one at a time in the order they were
    written (a lane); a row that failed or conflicted no longer holds up the ones after it.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"
        CONFLICT = "conflict"

    system = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    # The upstream version the action was written against, for systems that refuse a write
    # to a changed object (Zendesk's safe_update). When an earlier row of the lane replaces
    # that version, the deliverer moves the later rows on to the new one in one UPDATE.
    upstream_version = models.CharField(max_length=64, blank=True)
    # Sent upstream with every attempt so a retried delivery is applied once.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker owns the row from claimed_at until claimed_until; the HTTP call runs outside
    # any transaction. A claim that outlives its worker expires and the sweep takes it up.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["system", "subject", "state", "id"], name="outbox_lane"),
            models.Index(fields=["subject", "created_at"], name="outbox_subject"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.system}.{self.action} {self.subject} #{self.pk} ({self.state})"


class SyncState(models.Model):
    """Where one system's inbound sync stands: cursors, last run, counts, errors, progress."""

    system = models.CharField(max_length=20, unique=True)
    # e.g. {"tickets": "<after_cursor>", "ticket_events": 1700000000}; saved with each page.
    cursors = models.JSONField(default=dict, blank=True)
    # Totals imported since the first sync, and what the last run did.
    counts = models.JSONField(default=dict, blank=True)
    last_run_counts = models.JSONField(default=dict, blank=True)
    phase = models.CharField(max_length=20, blank=True, help_text="What a running sync is doing")
    # One sync at a time: a run holds the lease and renews it after every page.
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    rerun_requested = models.BooleanField(default=False)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # Upstream items the last run skipped or repaired, newest last (a few, for the admin).
    recent_problems = models.JSONField(default=list, blank=True)
    full_sync_requested_at = models.DateTimeField(null=True, blank=True)
    full_sync_started_at = models.DateTimeField(null=True, blank=True)
    full_sync_finished_at = models.DateTimeField(null=True, blank=True)
    full_sync_total = models.PositiveIntegerField(null=True, blank=True)
    full_sync_done = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.system} sync"

    @property
    def is_running(self) -> bool:
        return bool(self.lease_expires_at and self.lease_expires_at > timezone.now())

    @property
    def is_full_sync_running(self) -> bool:
        return bool(self.full_sync_started_at and not self.full_sync_finished_at)

    @property
    def full_sync_percent(self) -> int | None:
        if not self.full_sync_total:
            return None
        return min(100, round(100 * self.full_sync_done / self.full_sync_total))


class WebhookEvent(models.Model):
    """One inbound webhook request, stored raw before it is acted on (integrations.webhooks).

    A refused request is kept too, in state "rejected", with its reason in `error` and only
    the first 4 KB of its body: enough to diagnose a misconfigured sender.
    """

    class State(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        INVALID = "invalid"
        REJECTED = "rejected"

    system = models.CharField(max_length=20)
    # The sender's id for the event, for people to search by; it may be unsigned.
    event_id = models.CharField(max_length=100, blank=True)
    # Taken from signed content only (a signed id, else timestamp + body hash): a redelivery
    # or a replay is recognised by it. Empty for rejected requests.
    dedup_key = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    remote_addr = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "dedup_key"], name="webhook_event_once",
                                    condition=~models.Q(dedup_key="")),
        ]
        indexes = [models.Index(fields=["system", "received_at"], name="webhook_received")]

    def __str__(self) -> str:
        return f"{self.system} webhook {self.event_id or self.pk} ({self.state})"
