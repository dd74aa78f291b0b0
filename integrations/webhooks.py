"""Signed-webhook intake: refuse, verify, store raw, deduplicate, validate and hand over one request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.http import HttpRequest, JsonResponse
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.serializers import BaseSerializer
from standardwebhooks import Webhook

from .models import WebhookEvent

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
REPLAY_WINDOW_SECONDS = 300
# A refused request is kept for diagnosis only, so a flood of junk stays small.
LOG_BODY_BYTES = 4096
LOG_HEADER_CHARS = 500
MAX_KEY_CHARS = 200
# Credentials of our own users never belong in a webhook log.
UNKEPT_HEADERS = {"cookie", "authorization", "proxy-authorization"}

Validator = Callable[[Any], Any] | type[BaseSerializer]
Handler = Callable[[Any, WebhookEvent], None]


class Rejected(Exception):
    """The request is refused with `status` (401: not authentic, 413: too large)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Signed:
    """A verified request: its dedup key (from signed content only) and the sender's id."""

    dedup_key: str
    event_id: str = ""


class Scheme(Protocol):
    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str],
               now: datetime | None = None) -> Signed: ...


@dataclass(frozen=True)
class TimestampedHmac:
    """base64(HMAC-SHA256(secret, timestamp + body)) in one header, the timestamp in another
    (Zendesk's scheme). The timestamp is ISO-8601 or Unix seconds."""

    signature_header: str
    timestamp_header: str
    # The sender's delivery id is not signed: shown to people, never trusted for dedup.
    id_header: str = ""
    window: int = REPLAY_WINDOW_SECONDS

    @staticmethod
    def signature(secret: str, timestamp: str, body: bytes) -> str:
        digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str],
               now: datetime | None = None) -> Signed:
        keys, found = _active(secrets), {k.lower(): v for k, v in headers.items()}
        signature = found.get(self.signature_header.lower(), "").strip()
        timestamp = found.get(self.timestamp_header.lower(), "").strip()
        if not signature or not timestamp:
            raise Rejected(401, "missing signature or timestamp header")
        _check_age(_parse_time(timestamp), self.window, now)
        offered = signature.encode(errors="replace")
        if not any(hmac.compare_digest(self.signature(key, timestamp, body).encode(), offered)
                   for key in keys):
            raise Rejected(401, "signature does not match")
        # Nothing else is signed, so a replay with a fresh id header is still the same event.
        key = f"{timestamp}.{hashlib.sha256(body).hexdigest()}"
        return Signed(dedup_key=_fit(key), event_id=found.get(self.id_header.lower(), "")[:100])


@dataclass(frozen=True)
class StandardWebhooks:
    """standardwebhooks.com v1: HMAC-SHA256 over "id.timestamp.body", whsec_ secrets."""

    window: int = REPLAY_WINDOW_SECONDS

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str],
               now: datetime | None = None) -> Signed:
        keys, found = _active(secrets), {k.lower(): v for k, v in headers.items()}
        msg_id, stamp, signatures = (found.get(f"webhook-{name}", "").strip()
                                     for name in ("id", "timestamp", "signature"))
        if not (msg_id and stamp and signatures):
            raise Rejected(401, "missing webhook-id, webhook-timestamp or webhook-signature")
        if not stamp.isdigit():
            raise Rejected(401, f"malformed webhook-timestamp {stamp[:40]!r}")
        sent_at = _parse_time(stamp)
        # The package's own verify() has a fixed window and no clock to inject; its sign()
        # is the scheme, so it is used for each active secret instead.
        _check_age(sent_at, self.window, now)
        try:
            text = body.decode()
        except UnicodeDecodeError as exc:
            raise Rejected(401, "body is not UTF-8, so its signature cannot be checked") from exc
        # Several "v1,<sig>" entries, space-separated: the sender's own rotation.
        offered = [entry[3:].encode(errors="replace") for entry in signatures.split()
                   if entry.startswith("v1,")]
        for key in keys:
            expected = Webhook(key).sign(msg_id, sent_at, text).partition(",")[2].encode()
            if any(hmac.compare_digest(expected, sig) for sig in offered):
                return Signed(dedup_key=_fit(msg_id), event_id=msg_id[:100])
        raise Rejected(401, "signature does not match")


class Invalid(Exception):
    """An authentic payload that its validator refused; `errors` maps field -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def receive(request: HttpRequest, *, sender: str, scheme: Scheme, secrets: Sequence[str],
            validate: Validator | None = None, handle: Handler | None = None,
            max_bytes: int = MAX_BODY_BYTES) -> JsonResponse:
    """Answer one webhook request from `sender` (the `system` its events are stored under).

    `secrets` are the active signing secrets (several during a rotation). `validate` is a DRF
    serializer class or a function returning the cleaned payload (None: keep it) or raising
    ValidationError. `handle(payload, event)` runs in the transaction marking it processed.
    """
    body = b""
    try:
        body = _read_body(request, max_bytes)
        signed = scheme.verify(request.headers, body, secrets)
    except Rejected as exc:
        return _refuse(request, sender, exc, body)
    try:
        return _accept(request, sender, signed, body, validate, handle)
    except (OperationalError, InterfaceError) as exc:
        # Nothing half-done is committed; a 5xx makes the sender deliver it again later.
        log.error("%s webhook not taken, the database is unavailable: %s", sender, exc)
        return JsonResponse({"error": "temporarily unavailable; retry later"}, status=503)


def _accept(request: HttpRequest, sender: str, signed: Signed, body: bytes,
            validate: Validator | None, handle: Handler | None) -> JsonResponse:
    event = _store(request, sender, signed, body)
    if event.state == WebhookEvent.State.PROCESSED:
        return JsonResponse({"ok": True, "duplicate": True})
    # A new event, or one a previous delivery stored but could not finish (database down,
    # handler crash, a validator since corrected): its redelivery takes it from here.
    try:
        raw = _parsed(body)
        payload = raw if validate is None else _validated(raw, validate)
    except Invalid as exc:
        WebhookEvent.objects.filter(pk=event.pk).exclude(state=WebhookEvent.State.PROCESSED).update(
            state=WebhookEvent.State.INVALID, error=json.dumps(exc.errors)[:10_000])
        return JsonResponse({"errors": exc.errors}, status=400)
    # No id header named it: the payload's own id does, for people searching the log.
    event.event_id = event.event_id or str(raw.get("id") or "")[:100]
    event.state, event.error = WebhookEvent.State.PROCESSED, ""
    try:
        with transaction.atomic():
            # The conditional update is the claim: of two concurrent deliveries, one handles.
            claimed = WebhookEvent.objects.filter(pk=event.pk).exclude(
                state=WebhookEvent.State.PROCESSED).update(
                state=event.state, error="", event_id=event.event_id)
            if claimed and handle is not None:
                handle(payload, event)
    except Exception as exc:
        if not isinstance(exc, (OperationalError, InterfaceError)):
            WebhookEvent.objects.filter(pk=event.pk).update(error=f"handler failed: {exc!r}"[:500])
        raise
    return JsonResponse({"ok": True, "duplicate": not claimed})


def _store(request: HttpRequest, sender: str, signed: Signed, body: bytes) -> WebhookEvent:
    """The raw event, stored once per dedup key before anything acts on it."""
    fields = {"system": sender, "dedup_key": signed.dedup_key, "event_id": signed.event_id,
              "headers": _kept_headers(request), "remote_addr": _remote(request),
              "body": _text(body)}
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a collision must not spoil the caller's
                return WebhookEvent.objects.create(**fields)
        # On its own the INSERT is its own transaction: one round trip, where BEGIN, INSERT
        # and COMMIT would be three for every request.
        return WebhookEvent.objects.create(**fields)
    except IntegrityError:
        # Delivered before (or by a concurrent delivery): the stored event decides.
        return WebhookEvent.objects.get(system=sender, dedup_key=signed.dedup_key)


def _refuse(request: HttpRequest, sender: str, exc: Rejected, body: bytes) -> JsonResponse:
    log.warning("%s webhook refused (%s) from %s: %s", sender, exc.status, _remote(request),
                exc.reason)
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                system=sender, state=WebhookEvent.State.REJECTED, error=exc.reason,
                headers=_kept_headers(request, LOG_HEADER_CHARS), remote_addr=_remote(request),
                body=_text(body[:LOG_BODY_BYTES]))
    except (OperationalError, InterfaceError) as err:
        # The refusal stands either way; only its trace in the database is lost.
        log.error("could not log the refused %s webhook: %s", sender, err)
    return JsonResponse({"error": exc.reason}, status=exc.status)


def _read_body(request: HttpRequest, max_bytes: int) -> bytes:
    too_big = Rejected(413, f"body over the {max_bytes}-byte limit")
    declared = str(request.META.get("CONTENT_LENGTH") or "")
    if declared.isdigit() and int(declared) > max_bytes:  # refused before a byte is read
        raise too_big
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise too_big from exc
    if len(body) > max_bytes:  # declared no length (chunked, under ASGI)
        raise too_big
    return body


def _parsed(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        raise Invalid({"body": [str(exc)]}) from exc
    if not isinstance(payload, dict):
        raise Invalid({"body": ["must be a JSON object"]})
    return payload


def _validated(payload: dict[str, Any], validate: Validator) -> Any:
    if isinstance(validate, type) and issubclass(validate, BaseSerializer):
        serializer = validate(data=payload)
        if not serializer.is_valid():
            raise Invalid(_flat(serializer.errors))
        return serializer.validated_data
    try:
        cleaned = validate(payload)
    except DjangoValidationError as exc:
        raise Invalid(_flat(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)) \
            from exc
    except DrfValidationError as exc:
        raise Invalid(_flat(exc.detail)) from exc
    return payload if cleaned is None else cleaned


def _flat(errors: Any, prefix: str = "", out: dict | None = None) -> dict[str, list[str]]:
    """Nested serializer errors as {"data.score": ["..."]}; field-less ones under
    "non_field_errors", as DRF names them."""
    out = {} if out is None else out
    if isinstance(errors, Mapping):
        for field, value in errors.items():
            _flat(value, f"{prefix}.{field}" if prefix else str(field), out)
    elif isinstance(errors, list) and any(isinstance(e, Mapping | list) for e in errors):
        for index, value in enumerate(errors):
            if value:
                _flat(value, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        messages = errors if isinstance(errors, list) else [errors]
        out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)
    return out


def _active(secrets: Sequence[str]) -> list[str]:
    # An empty secret would let anyone sign; none configured refuses every request.
    keys = [s for s in secrets if s]
    if not keys:
        raise Rejected(401, "no signing secret is configured; refusing unsigned webhooks")
    return keys


def _parse_time(value: str) -> datetime:
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise Rejected(401, f"malformed signature timestamp {value[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _check_age(sent_at: datetime, window: int, now: datetime | None) -> None:
    age = ((now or datetime.now(UTC)) - sent_at).total_seconds()
    if abs(age) > window:
        raise Rejected(401, f"timestamp {age:+.0f}s from now, outside the {window}s replay window")


def _kept_headers(request: HttpRequest, limit: int | None = None) -> dict[str, str]:
    return {name: value[:limit] for name, value in request.headers.items()
            if name.lower() not in UNKEPT_HEADERS}


def _remote(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")[:64]


def _text(body: bytes) -> str:
    # PostgreSQL text cannot hold NUL; the signed bytes were already checked.
    return body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _fit(key: str) -> str:
    # An over-long key is hashed rather than cut, so two keys never collide by truncation.
    return key if len(key) <= MAX_KEY_CHARS else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
