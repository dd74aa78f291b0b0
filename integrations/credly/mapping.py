"""Credly JSON to the field values of a badge or badge template, with no queries; bad items are refused."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from integrations.times import parse_time

BADGE_STATES = ("pending", "accepted", "rejected", "revoked")
TEMPLATE_STATES = ("active", "archived", "draft")
MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 254
MAX_REASON_CHARS = 1000
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Malformed(ValueError):
    """A Credly item that cannot be stored as it is; the message says why."""




def plain(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return CONTROL_CHARS.sub("", text).strip()[:limit]


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.fullmatch(value) else None


def _time(item: dict[str, Any], key: str, what: str) -> datetime | None:
    """The time under `key`; Malformed when a value is there but is not a time (silently
    dropping it would, say, make an expiring badge look permanent)."""
    value = item.get(key)
    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        raise Malformed(f"{what}: {key} {value!r} is not a time")
    return parsed


def _state(item: dict[str, Any], what: str) -> str:
    state = item.get("state")
    if state == "replaced":
        # Whether Credly says "replaced" or "revoked" for a replaced badge is unconfirmed;
        # either way it no longer counts, and replacement_badge_id says what took its place.
        return "revoked"
    if state not in BADGE_STATES:
        raise Malformed(f"{what}: unknown state {state!r}")
    return str(state)


def badge_fields(item: Any) -> dict[str, Any]:
    """The values a Badge row holds, from a Credly badge object (an API answer or the
    `badge` of an event)."""
    if not isinstance(item, dict):
        raise Malformed("badge is not a JSON object")
    credly_id = _id(item.get("id"))
    if credly_id is None:
        raise Malformed(f"badge without a usable id: {item.get('id')!r}")
    what = f"badge {credly_id}"
    state = _state(item, what)
    template = item.get("badge_template")
    template_id = _id(template.get("id") if isinstance(template, dict)
                      else item.get("badge_template_id"))
    if template_id is None:
        raise Malformed(f"{what}: no badge template id")
    email = plain(item.get("recipient_email"), MAX_EMAIL_CHARS).lower()
    if "@" not in email:
        raise Malformed(f"{what}: recipient email {item.get('recipient_email')!r} is not an address")
    issued_at = _time(item, "issued_at", what)
    if issued_at is None:
        raise Malformed(f"{what}: no issued_at")
    first = plain(item.get("issued_to_first_name"), MAX_NAME_CHARS)
    last = plain(item.get("issued_to_last_name"), MAX_NAME_CHARS)
    # Credly has no accepted_at or revoked_at: the time of the last state change is that time.
    state_changed = _time(item, "state_updated_at", what)
    return {
        "credly_id": credly_id,
        "template_credly_id": template_id,
        "template_name": plain(template.get("name"), MAX_NAME_CHARS)
        if isinstance(template, dict) else "",
        "recipient_email": email,
        "recipient_first_name": first,
        "recipient_last_name": last,
        "recipient_name": plain(item.get("issued_to"), MAX_NAME_CHARS) or f"{first} {last}".strip(),
        "issuer_earner_id": plain(item.get("issuer_earner_id"), 255) or None,
        "state": state,
        "issued_at": issued_at,
        "accepted_at": state_changed if state == "accepted" else None,
        "rejected_at": state_changed if state == "rejected" else None,
        "revoked_at": state_changed if state == "revoked" else None,
        "expires_at": _time(item, "expires_at", what),
        "revocation_reason": plain(item.get("revocation_reason"), MAX_REASON_CHARS),
        "replaces_credly_id": _id(item.get("replaces_badge_id")),
        "replaced_by_credly_id": _id(item.get("replacement_badge_id")),
        "badge_url": item["badge_url"] if isinstance(item.get("badge_url"), str) else "",
        "upstream_updated_at": _time(item, "updated_at", what) or issued_at,
    }


def template_fields(item: Any) -> dict[str, Any]:
    """The values a BadgeTemplate row holds, from a Credly badge template object."""
    if not isinstance(item, dict):
        raise Malformed("badge template is not a JSON object")
    credly_id = _id(item.get("id"))
    if credly_id is None:
        raise Malformed(f"badge template without a usable id: {item.get('id')!r}")
    what = f"badge template {credly_id}"
    name = plain(item.get("name"), MAX_NAME_CHARS)
    if not name:
        raise Malformed(f"{what}: no name")
    state = item.get("state")
    if state not in TEMPLATE_STATES:
        raise Malformed(f"{what}: unknown state {state!r}")
    allow = item.get("allow_duplicate_badges", False)
    if not isinstance(allow, bool):
        raise Malformed(f"{what}: allow_duplicate_badges {allow!r} is not true or false")
    return {
        "credly_id": credly_id,
        "name": name,
        "description": plain(item.get("description"), 5000),
        "state": state,
        "allows_duplicates": allow,
        "image_url": item["image_url"] if isinstance(item.get("image_url"), str) else "",
        "upstream_updated_at": _time(item, "updated_at", what),
    }
