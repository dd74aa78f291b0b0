"""Writing to and reading the application-wide audit trail."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def subject_of(kind: str, pk: int) -> str:
    """The string that names an object in the audit trail and the outbox: "ticket:42"."""
    return f"{kind}:{pk}"


def record(*, actor, verb: str, subject: str, summary: str, changes: dict | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append one line; call it inside the transaction of the change it describes. `at` is
    the change's own time where the subject carries one (a ticket's version)."""
    return AuditEvent.objects.create(actor=actor, verb=verb, subject=subject,
                                     summary=summary[:300], changes=changes or {},
                                     created_at=at or timezone.now())


def history(subject: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject=subject).select_related("actor").order_by(
        "created_at", "id")
