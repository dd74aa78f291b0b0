"""What the fake Credly refuses in an issue, replace or revoke body, and the messages it refuses with."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from integrations.credly.fake import data

# Attested (a 422 body kept in a public test suite): the id follows the colon, blank if none.
MISSING_TEMPLATE = "Invalid or missing Badge Template ID: {}"
# The rest are the fake's own wording (Credly's is not published); each names the badge or
# template so that an agent reading it knows which one.
ARCHIVED_TEMPLATE = "Badge template {} is archived and cannot be used to issue badges"
DUPLICATE = ("Validation failed: {} already has a pending or accepted badge from this template "
             "and the template does not allow duplicate badges")
NOT_PENDING = "Badge {} cannot be replaced because it is {}; only pending badges can be replaced"
ALREADY_REVOKED = "Badge {} has already been revoked"
ALREADY_REPLACED = "Badge {} has been replaced and cannot be revoked"
UNAUTHORIZED = "You are not authorized to access this resource"
NOT_FOUND = "Not Found"
RATE_LIMITED = "Rate limit exceeded, retry later"
BAD_JSON = "Request body must be a JSON object"

ISSUE_REQUIRED = ("recipient_email", "issued_to_first_name", "issued_to_last_name", "issued_at")
STRING_FIELDS = ("recipient_email", "issued_to_first_name", "issued_to_middle_name",
                 "issued_to_last_name", "badge_template_id", "issued_at", "issuer_earner_id",
                 "locale", "country_name", "state_or_province", "notification_message",
                 "issued_to", "reason")
BOOL_FIELDS = ("suppress_badge_notification_email", "suppress_revoke_notification_email")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 255


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()  # Rails' humanised attribute names


def _blank(value: Any) -> bool:
    return not (isinstance(value, str) and value.strip())


def _time(value: Any) -> datetime | None:
    try:
        # Stored in UTC, so that a date filter means the same day for every badge.
        return data.parse_time(value).astimezone(UTC) if isinstance(value, str) else None
    except ValueError:
        return None


def type_errors(body: dict[str, Any]) -> list[str]:
    """Values of the wrong JSON type; checked before anything reads them."""
    errors = [f"{_label(n)} must be a string" for n in STRING_FIELDS
              if body.get(n) is not None and not isinstance(body[n], str)]
    errors += [f"{_label(n)} must be true or false" for n in BOOL_FIELDS
               if body.get(n) is not None and not isinstance(body[n], bool)]
    evidence = body.get("evidence")
    if evidence is not None and not (isinstance(evidence, list)
                                     and all(isinstance(e, dict) for e in evidence)):
        errors.append("Evidence must be a list of objects")
    return errors


def badge_errors(body: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    """What is wrong with the badge fields of an issue or replace body; [] when valid."""
    errors = type_errors(body)
    if errors:
        return errors
    errors = [f"{_label(n)} can't be blank" for n in required if _blank(body.get(n))]
    email = body.get("recipient_email")
    if isinstance(email, str) and email.strip() and not EMAIL.fullmatch(email.strip()):
        errors.append("Recipient email is invalid")
    for name in ("issued_to_first_name", "issued_to_last_name", "issued_to_middle_name"):
        if isinstance(body.get(name), str) and len(body[name]) > MAX_NAME:
            errors.append(f"{_label(name)} is too long (maximum is {MAX_NAME} characters)")
    issued = _time(body.get("issued_at"))
    if not _blank(body.get("issued_at")) and issued is None:
        errors.append("Issued at is not a valid date")
    expires = body.get("expires_at")
    # null: the template's default expiry; false: never expires; else a time.
    if expires not in (None, False):
        expires_at = _time(expires)
        if expires_at is None:
            errors.append("Expires at is not a valid date")
        elif issued is not None and expires_at <= issued:
            errors.append("Expires at must be after issued at")
    if body.get("locale") is not None and body["locale"] not in data.LOCALES:
        errors.append("Locale is not included in the list")
    return errors


def failed(errors: list[str]) -> str:
    return "Validation failed: " + ", ".join(errors)


def badge_values(body: dict[str, Any]) -> dict[str, Any]:
    """BadgeRecord attributes from a validated body; keys absent from the body are left out,
    so a replace keeps the old badge's value for them."""
    names = {"recipient_email": "recipient_email", "issued_to_first_name": "first_name",
             "issued_to_last_name": "last_name", "issued_to_middle_name": "middle_name",
             "issuer_earner_id": "issuer_earner_id", "locale": "locale",
             "suppress_badge_notification_email": "suppress_notification",
             "evidence": "evidence"}
    values = {attr: body[key] for key, attr in names.items() if key in body}
    if "recipient_email" in values:
        values["recipient_email"] = values["recipient_email"].strip().lower()
    for attr in ("first_name", "last_name", "middle_name"):
        if isinstance(values.get(attr), str):
            values[attr] = values[attr].strip()
    if "issued_at" in body:
        values["issued_at"] = _time(body["issued_at"])
    if "expires_at" in body:
        # The seeded templates have no default expiry, so null and false both mean none.
        values["expires_at"] = _time(body["expires_at"]) if body["expires_at"] else None
    return values
