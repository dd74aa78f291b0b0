"""The outbox: every write to an external system is first a row here, then a Celery task."""

import uuid

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        FAILED = "failed"
        CONFLICT = "conflict"

    system = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="outbox_messages")
    # Sent upstream with every attempt so a retried delivery is applied once.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker owns the row until then; the HTTP call runs outside any transaction.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.system}.{self.action} #{self.pk} ({self.state})"


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


class ZendeskUser(models.Model):
    """A Zendesk user as last seen, so requesters and comment authors have names."""

    external_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    role = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class WebhookEvent(models.Model):
    """An inbound webhook whose signature was valid, stored raw before it is acted on."""

    class State(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        INVALID = "invalid"

    system = models.CharField(max_length=20)
    # The sender's id for the event, when it has one: a redelivery is recognised by it.
    event_id = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "event_id"], name="webhook_event_once",
                                    condition=~models.Q(event_id="")),
        ]
        indexes = [models.Index(fields=["system", "received_at"], name="webhook_received")]

    def __str__(self) -> str:
        return f"{self.system} webhook {self.event_id or self.pk} ({self.state})"
