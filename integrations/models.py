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
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["ticket", "created_at"], name="outbox_ticket"),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.system}.{self.action} #{self.pk} ({self.state})"
