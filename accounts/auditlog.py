"""The application-wide audit trail as admins read it: filters, keyset pages and CSV rows."""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from people.models import AuditEvent
from people.pagination import Page, keyset_page

PAGE_SIZE = 50
CSV_HEADER = ["time", "person", "action", "object", "summary", "changes"]
# A cell starting with one of these is a formula to a spreadsheet; summaries quote people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilters:
    person: str = ""  # a username or an email: whose actions
    subject: str = ""  # "ticket:42" for one object, "ticket:" for every ticket
    verb: str = ""
    since: date | None = None
    until: date | None = None


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: "Use a date like 2025-09-30."}) from None


def parse_filters(params: Mapping[str, str]) -> AuditFilters:
    return AuditFilters(person=(params.get("person") or "").strip()[:150],
                        subject=(params.get("subject") or "").strip()[:60],
                        verb=(params.get("verb") or "").strip()[:30],
                        since=_date(params, "since"), until=_date(params, "until"))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if filters.person:
        people = get_user_model().objects.filter(
            Q(username__iexact=filters.person) | Q(email__iexact=filters.person))
        events = events.filter(actor__in=people)
    if filters.subject.endswith(":"):
        events = events.filter(subject__startswith=filters.subject)
    elif filters.subject:
        events = events.filter(subject=filters.subject)
    if filters.verb:
        events = events.filter(verb=filters.verb)
    if filters.since:
        events = events.filter(created_at__gte=_start_of(filters.since))
    if filters.until:
        events = events.filter(created_at__lt=_start_of(filters.until + timedelta(days=1)))
    return events


def audit_page(filters: AuditFilters, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """Newest first, a fixed number of queries at any depth (keyset on time, then id)."""
    return keyset_page(audit_events(filters), "-created_at", cursor, size)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_rows(filters: AuditFilters) -> Iterator[list[str]]:
    """Every matching event, newest first, read in chunks so the export's memory stays flat."""
    yield CSV_HEADER
    events = audit_events(filters).order_by("-created_at", "-id")
    for event in events.iterator(chunk_size=2000):
        yield [event.created_at.isoformat(), _cell(event.actor.get_username() if event.actor else ""),
               _cell(event.verb), _cell(event.subject), _cell(event.summary),
               _cell(json.dumps(event.changes, ensure_ascii=False, sort_keys=True))]
