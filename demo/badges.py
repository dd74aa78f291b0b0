"""Demo certifications, results and badges in every state; safe to run again.

Templates carry the ids the fake Credly seeds (a UUID5 of each name under its organization's
id, integrations/credly/fake/data.py), so the Credly sync and issues against the fake line up.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from badges import services
from badges.models import Audience, Badge, BadgeTemplate, Certification, ResultSender, Submission

FAKE_ORGANIZATION_ID = uuid.UUID("6f1c3a52-8d0e-4b7a-9c2f-1e5d7b3a9c40")
TEMPLATES = (  # name, state, certification code, passing score (None: the sender's word)
    ("GitLab Certified Git Associate", "active", "git-associate", Decimal("80")),
    ("GitLab Certified CI/CD Associate", "active", "cicd-associate", Decimal("80")),
    ("GitLab Certified Project Management Associate", "active", "pm-associate", Decimal("75")),
    ("GitLab Certified Security Specialist", "active", "security-specialist", None),
    ("GitLab Certified Associate (2019, retired)", "archived", None, None),
)
# (first, last, certification code, score, badge state or None, hours ago); "queued" goes
# through the service (an outbox row), "none" leaves a passing result without a badge.
EARNERS = (
    ("Priya", "Iyer", "git-associate", "92", "accepted", 24 * 40),
    ("Tomás", "Herrera", "cicd-associate", "88", "pending", 24 * 3),
    ("Mei", "Tanaka", "git-associate", "95", "rejected", 24 * 20),
    ("Kwame", "Mensah", "pm-associate", "81", "revoked", 24 * 60),
    ("Sofia", "Rossi", "security-specialist", None, "queued", 1),
    ("Lars", "Nilsson", "git-associate", "90", "none", 3),
    ("Aisha", "Bello", "cicd-associate", "62", None, 24 * 2),
    ("Diego", "Alvarez", "pm-associate", "77", "accepted", 24 * 90),
)


def _template(name: str, state: str) -> BadgeTemplate:
    credly_id = str(uuid.uuid5(FAKE_ORGANIZATION_ID, name))
    return BadgeTemplate.objects.get_or_create(credly_id=credly_id,
                                               defaults={"name": name, "state": state})[0]


def seed_badges() -> int:
    """The demo's certification world; returns how many results it added."""
    customers = Audience.objects.get_or_create(name="Customers")[0]
    Audience.objects.get_or_create(name="Partners")
    Audience.objects.get_or_create(name="Team members")
    certifications = {}
    for name, state, code, passing in TEMPLATES:
        template = _template(name, state)
        if template.audience_id is None:
            BadgeTemplate.objects.filter(pk=template.pk).update(audience=customers)
        if code:
            certifications[code] = Certification.objects.get_or_create(
                code=code, defaults={"name": name.replace("GitLab Certified ", ""),
                                     "badge_template": template, "passing_score": passing})[0]
    sender = ResultSender.objects.get_or_create(name="Certification grading form")[0]
    now, added = timezone.now(), 0
    for n, (first, last, code, score, state, hours) in enumerate(EARNERS, start=1):
        email = f"{first}.{last}@example.com".lower().replace("á", "a")
        certification = certifications[code]
        at = now - timedelta(hours=hours)
        submission, created = Submission.objects.get_or_create(
            sender=sender, submission_id=f"demo-{n}", defaults={
                "certification": certification, "earner_email": email,
                "earner_first_name": first, "earner_last_name": last,
                "score": Decimal(score) if score else None,
                "passed": state is not None, "submitted_at": at, "received_at": at,
                "raw_payload": {"demo": True}})
        added += created
        if not created or state in (None, "none"):
            continue
        if state == "queued":
            services.issue_badge(template=certification.badge_template, recipient_email=email,
                                 recipient_first_name=first, recipient_last_name=last,
                                 submission=submission, issued_at=at)
            continue
        badge = Badge.objects.create(
            template=certification.badge_template, recipient_email=email,
            recipient_first_name=first, recipient_last_name=last, state=state,
            credly_id=str(uuid.uuid5(FAKE_ORGANIZATION_ID, f"demo-badge-{n}")),
            issued_at=at, submission=submission, issuer_earner_id=f"edudesk-demo-{n}",
            accepted_at=at + timedelta(hours=5) if state == "accepted" else None,
            revoked_at=at + timedelta(days=2) if state == "revoked" else None,
            revocation_reason="Issued to the wrong earner" if state == "revoked" else "")
        Badge.objects.filter(pk=badge.pk).update(lane=badge.subject_key)
    return added
