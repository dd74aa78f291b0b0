"""Credly's badges and templates written to the badges app's tables: idempotent, never stepping back."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from badges.models import EARNER_ID_PREFIX, Badge, BadgeTemplate
from integrations import rows

from . import mapping
from .mapping import Malformed

log = logging.getLogger(__name__)
Problem = Callable[[str, Counter], Any]
BADGE_FIELDS = ["credly_id", "state", "recipient_email", "recipient_first_name",
                "recipient_last_name", "issued_at", "accepted_at", "expires_at", "revoked_at",
                "revocation_reason", "badge_url", "upstream_updated_at", "updated_at"]
TEMPLATE_FIELDS = ["name", "description", "state", "allows_duplicates", "image_url",
                   "upstream_updated_at"]


def logged(text: str, counts: Counter) -> None:
    counts["skipped"] += 1
    log.warning("credly: %s", text)


def is_ours(issuer_earner_id: str | None) -> bool:
    return bool(issuer_earner_id and issuer_earner_id.startswith(EARNER_ID_PREFIX))


def apply(badge: Badge, fields: dict[str, Any]) -> bool:
    """Set Credly's values on `badge` unless they are older than what it holds; True if
    anything changed. Times Credly stops reporting (accepted, then revoked) are kept."""
    if (badge.credly_id and badge.upstream_updated_at
            and fields["upstream_updated_at"] < badge.upstream_updated_at):
        return False
    state = fields["state"]
    values = {
        "credly_id": fields["credly_id"], "state": state,
        "recipient_email": fields["recipient_email"],
        "recipient_first_name": fields["recipient_first_name"],
        "recipient_last_name": fields["recipient_last_name"],
        "issued_at": fields["issued_at"],
        "accepted_at": fields["accepted_at"] or badge.accepted_at,
        "expires_at": fields["expires_at"],
        "revoked_at": (fields["revoked_at"] or badge.revoked_at or timezone.now())
        if state == Badge.State.REVOKED else None,
        "revocation_reason": fields["revocation_reason"],
        "badge_url": fields["badge_url"], "upstream_updated_at": fields["upstream_updated_at"],
    }
    changed = any(getattr(badge, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(badge, name, value)
    badge.updated_at = timezone.now()
    return changed


@transaction.atomic
def record_badge(badge_id: int, fields: dict[str, Any]) -> Badge:
    """What Credly answered about one of our badges, on its row."""
    badge = Badge.objects.select_for_update().get(pk=badge_id)
    if apply(badge, fields):
        badge.save(update_fields=BADGE_FIELDS)
    return badge


@transaction.atomic
def record_badges(answers: list[tuple[int, dict[str, Any]]]) -> dict[int, Badge]:
    """record_badge() for many badges: one read, one write. Locked in id order, so two
    workers recording overlapping sets cannot deadlock."""
    ids = [badge_id for badge_id, _ in answers]
    badges = {b.pk: b for b in Badge.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    changed = [badges[badge_id] for badge_id, fields in answers
               if badge_id in badges and apply(badges[badge_id], fields)]
    rows.update_each(Badge, [({name: getattr(badge, name) for name in BADGE_FIELDS},
                              {"pk": badge.pk}) for badge in changed])
    return badges


def _templates(found: Iterable[dict[str, Any]]) -> dict[str, BadgeTemplate]:
    wanted = {f["template_credly_id"]: f["template_name"] for f in found}
    known = {t.credly_id: t for t in BadgeTemplate.objects.filter(credly_id__in=wanted)}
    for credly_id in wanted.keys() - known.keys():
        # A template the template pass has not brought in yet; the next one fills it in.
        known[credly_id] = BadgeTemplate.objects.get_or_create(
            credly_id=credly_id, defaults={"name": wanted[credly_id] or credly_id})[0]
    return known


def _link_replacements(found: dict[str, dict[str, Any]]) -> None:
    """Credly's replaces/replacement ids as `replaces` links, whichever side came first."""
    pairs = {(f["credly_id"], f["replaces_credly_id"]) for f in found.values()
             if f["replaces_credly_id"]}
    pairs |= {(f["replaced_by_credly_id"], f["credly_id"]) for f in found.values()
              if f["replaced_by_credly_id"]}
    if not pairs:
        return
    ids = dict(Badge.objects.filter(credly_id__in={i for pair in pairs for i in pair})
               .values_list("credly_id", "pk"))
    for new, old in pairs:
        if new in ids and old in ids:
            Badge.objects.filter(pk=ids[new], replaces__isnull=True).update(replaces_id=ids[old])


def upsert_badges(items: Iterable[Any], problem: Problem = logged) -> Counter:
    """Store a page of Credly badges: ours matched by Credly id or issuer_earner_id, others
    (issued outside EduDesk) added; unchanged or older answers change nothing."""
    counts: Counter = Counter()
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        try:
            fields = mapping.badge_fields(item)
        except Malformed as exc:
            problem(str(exc), counts)
            continue
        seen = found.get(fields["credly_id"])
        if seen is None or fields["upstream_updated_at"] >= seen["upstream_updated_at"]:
            found[fields["credly_id"]] = fields
    if not found:
        return counts
    templates = _templates(found.values())
    by_credly = {b.credly_id: b for b in Badge.objects.filter(credly_id__in=found)}
    ours = {f["issuer_earner_id"] for c, f in found.items()
            if c not in by_credly and is_ours(f["issuer_earner_id"])}
    by_earner_id = {b.issuer_earner_id: b for b in Badge.objects.filter(issuer_earner_id__in=ours)}
    changed: list[Badge] = []
    added: list[Badge] = []
    for credly_id, fields in found.items():
        badge = by_credly.get(credly_id) or by_earner_id.get(fields["issuer_earner_id"])
        if badge is None:
            badge = Badge(template=templates[fields["template_credly_id"]],
                          issuer_earner_id=fields["issuer_earner_id"]
                          if is_ours(fields["issuer_earner_id"]) else None)
            apply(badge, fields)
            added.append(badge)
        elif apply(badge, fields):
            changed.append(badge)
    Badge.objects.bulk_update(changed, BADGE_FIELDS, batch_size=500)
    Badge.objects.bulk_create(added, batch_size=500)
    for badge in added:
        badge.lane = badge.subject_key
    Badge.objects.bulk_update(added, ["lane"], batch_size=500)
    _link_replacements(found)
    counts["badges"] += len(changed) + len(added)
    counts["badges_added"] += len(added)
    return counts


def upsert_templates(items: Iterable[Any], problem: Problem = logged) -> Counter:
    """Mirror Credly's templates; the audience, which is ours, is left alone."""
    counts: Counter = Counter()
    rows: dict[str, BadgeTemplate] = {}
    for item in items:
        try:
            fields = mapping.template_fields(item)
        except Malformed as exc:
            problem(str(exc), counts)
            continue
        # One row per id: PostgreSQL refuses to upsert the same row twice in one statement.
        rows[fields["credly_id"]] = BadgeTemplate(**fields)
    BadgeTemplate.objects.bulk_create(list(rows.values()), update_conflicts=True, unique_fields=["credly_id"],
                                      update_fields=TEMPLATE_FIELDS, batch_size=500)
    counts["templates"] += len(rows)
    return counts
