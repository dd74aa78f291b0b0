"""The fake Credly's records, its seed (one organization, its badge templates) and their JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

ORGANIZATION_NAME = "GitLab"
# Fixed ids, so a demo or a developer's .env can name them across restarts.
ORGANIZATION_ID = "6f1c3a52-8d0e-4b7a-9c2f-1e5d7b3a9c40"
_NAMESPACE = uuid.UUID(ORGANIZATION_ID)
# (name, state): four certifications that issue, and one retired one that must not.
SEED_TEMPLATES = (
    ("GitLab Certified Git Associate", "active"),
    ("GitLab Certified CI/CD Associate", "active"),
    ("GitLab Certified Project Management Associate", "active"),
    ("GitLab Certified Security Specialist", "active"),
    ("GitLab Certified Associate (2019, retired)", "archived"),
)
BADGE_STATES = ("pending", "accepted", "rejected", "revoked", "replaced")
# Badges that make another issue of their template to the same earner a duplicate.
LIVE_STATES = ("pending", "accepted")
LOCALES = ("en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR")
# Earner-facing links point at Credly's website, never at the API host.
WEB = "https://www.credly.com"
IMAGE = "https://images.credly.com/images/{}/image.png"


def template_id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


@dataclass
class TemplateRecord:
    id: str
    name: str
    state: str  # active | archived | draft
    created_at: datetime
    updated_at: datetime
    description: str = ""
    allow_duplicate_badges: bool = False
    public: bool = True
    skills: list[str] = field(default_factory=list)


@dataclass
class BadgeRecord:
    id: str
    seq: int  # creation order: the default sort, and the tie-break of every other
    template_id: str
    recipient_email: str
    first_name: str
    last_name: str
    issued_at: datetime
    created_at: datetime
    updated_at: datetime
    middle_name: str | None = None
    issuer_earner_id: str | None = None
    expires_at: datetime | None = None
    locale: str = "en"
    suppress_notification: bool = False
    evidence: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"
    state_updated_at: datetime | None = None
    revocation_reason: str | None = None
    replaces_badge_id: str | None = None
    replacement_badge_id: str | None = None


@dataclass
class EventRecord:
    id: str
    event_type: str
    occurred_at: datetime
    badge: dict[str, Any]  # the badge as it was when the event happened


def credly_time(value: datetime | None) -> str | None:
    """Credly's timestamp form, '2014-04-01T14:41:00.000Z' (UTC, milliseconds)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_time(value: str) -> datetime:
    """A time as clients send it: Credly's documented '2014-04-01 09:41:00 -0500', ISO 8601,
    or a bare date (midnight UTC); ValueError for anything else."""
    text = value.strip()
    for form in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            pass
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def seed_templates(now: datetime) -> dict[str, TemplateRecord]:
    return {template_id(name): TemplateRecord(
        id=template_id(name), name=name, state=state, created_at=now, updated_at=now,
        description=f"Earners of {name} passed its certification exam.",
        skills=["Git", "GitLab"]) for name, state in SEED_TEMPLATES}


def organization_json(org_id: str, base: str) -> dict[str, Any]:
    return {"id": org_id, "name": ORGANIZATION_NAME, "url": f"{base}/v1/organizations/{org_id}",
            "vanity_url": f"{WEB}/org/gitlab", "webhook_url": None, "allowed_webhooks": []}


def template_json(t: TemplateRecord, org_id: str, base: str) -> dict[str, Any]:
    return {
        "id": t.id, "name": t.name, "description": t.description, "state": t.state,
        "public": t.public, "allow_duplicate_badges": t.allow_duplicate_badges,
        "skills": list(t.skills), "image_url": IMAGE.format(t.id),
        "url": f"{WEB}/org/gitlab/badge/{t.id}",
        "created_at": credly_time(t.created_at), "updated_at": credly_time(t.updated_at),
        "state_updated_at": None,
        "owner": {"type": "Organization", "id": org_id, "name": ORGANIZATION_NAME,
                  "url": f"{base}/v1/organizations/{org_id}"},
    }


def badge_json(b: BadgeRecord, t: TemplateRecord, org_id: str, base: str) -> dict[str, Any]:
    names = [b.first_name, b.middle_name, b.last_name]
    return {
        "id": b.id, "state": b.state, "recipient_email": b.recipient_email,
        "issued_to": " ".join(n for n in names if n),
        "issued_to_first_name": b.first_name, "issued_to_middle_name": b.middle_name,
        "issued_to_last_name": b.last_name, "issuer_earner_id": b.issuer_earner_id,
        "locale": b.locale, "public": True,
        "issued_at": credly_time(b.issued_at), "issued_at_date": b.issued_at.date().isoformat(),
        "expires_at": credly_time(b.expires_at),
        "expires_at_date": b.expires_at.date().isoformat() if b.expires_at else None,
        "state_updated_at": credly_time(b.state_updated_at),
        "revocation_reason": b.revocation_reason,
        "replaces_badge_id": b.replaces_badge_id, "replacement_badge_id": b.replacement_badge_id,
        "suppress_badge_notification_email": b.suppress_notification,
        "accept_badge_url": f"{WEB}/badges/{b.id}/accept" if b.state == "pending" else None,
        "badge_url": f"{WEB}/badges/{b.id}",
        "image": {"id": t.id, "url": IMAGE.format(t.id)}, "image_url": IMAGE.format(t.id),
        # Credly links a user account once the earner accepts; until then there is none.
        "user": None if b.state == "pending" else {
            "id": str(uuid.uuid5(_NAMESPACE, b.recipient_email)), "email": b.recipient_email,
            "first_name": b.first_name, "last_name": b.last_name, "url": f"{WEB}/users/earner"},
        "badge_template": template_json(t, org_id, base),
        "issuer": {"summary": f"issued by {ORGANIZATION_NAME}", "entities": [
            {"label": "Issued by", "primary": True,
             "entity": {"type": "Organization", "id": org_id, "name": ORGANIZATION_NAME}}]},
        "evidence": list(b.evidence), "alignments": [],
        "created_at": credly_time(b.created_at), "updated_at": credly_time(b.updated_at),
    }


def event_json(e: EventRecord, org_id: str) -> dict[str, Any]:
    return {"id": e.id, "event_type": e.event_type, "organization_id": org_id,
            "occurred_at": credly_time(e.occurred_at), "badge": e.badge}
