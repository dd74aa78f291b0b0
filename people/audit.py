"""Writing to and reading the application-wide audit trail."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent


def subject_of(kind: str, pk: int) -> str:
    """The string that names an object in the audit trail and the outbox: "ticket:42"."""
    return f"{kind}:{pk}"


@dataclass(frozen=True)
class Line:
    """One line of the trail, as record_many() takes them."""

    actor: object
    verb: str
    subject: str
    summary: str
    changes: dict = field(default_factory=dict)


def record(*, actor, verb: str, subject: str, summary: str, changes: dict | None = None,
           at: datetime | None = None) -> AuditEvent:
    """Append one line; call it inside the transaction of the change it describes. `at` is
    the change's own time where the subject carries one (a ticket's version)."""
    event = _event(Line(actor, verb, subject, summary, changes or {}), at or timezone.now())
    event.save(force_insert=True)
    return event


def _event(line: Line, at: datetime) -> AuditEvent:
    return AuditEvent(actor=line.actor, verb=line.verb, subject=line.subject,
                      summary=line.summary[:300], changes=line.changes or {}, created_at=at)


def record_many(lines: list[Line]) -> None:
    """Append many lines in one INSERT (a batch of deliveries), all at this moment."""
    now = timezone.now()
    AuditEvent.objects.bulk_create([_event(line, now) for line in lines])


def history(subject: str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject=subject).select_related("actor").order_by(
        "created_at", "id")
