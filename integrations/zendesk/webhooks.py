"""Zendesk webhooks: verify the signature, keep the raw event, trigger an incremental sync."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import WebhookEvent

from .mapping import parse_time

log = logging.getLogger(__name__)
SYSTEM = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
ID_HEADERS = ("X-Zendesk-Webhook-Invocation-Id",)
REPLAY_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 1_000_000
# Many events in a burst need one sync, not one each (a running sync also reruns once).
DEBOUNCE_SECONDS = 2


class Rejected(Exception):
    """The request is refused with `status` (401: not authentic, 400: malformed)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(*, secret: str, signature: str, timestamp: str, body: bytes,
           now: datetime | None = None) -> None:
    """Raise Rejected unless `signature` is Zendesk's for this timestamp and body, and recent."""
    if not secret:
        raise Rejected(401, "ZENDESK_WEBHOOK_SECRET is not set; refusing unsigned webhooks")
    if not signature or not timestamp:
        raise Rejected(400, "missing signature or timestamp header")
    sent_at = parse_time(timestamp)
    if sent_at is None:
        raise Rejected(400, f"malformed signature timestamp {timestamp[:40]!r}")
    age = abs(((now or datetime.now(UTC)) - sent_at).total_seconds())
    if age > REPLAY_WINDOW_SECONDS:
        raise Rejected(401, f"timestamp {age:.0f}s away from now, outside the replay window")
    expected = signature_for(secret, timestamp, body).encode()
    if not hmac.compare_digest(expected, signature.strip().encode(errors="replace")):
        raise Rejected(401, "signature does not match")


def receive(*, secret: str, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
    """Check and store one webhook; schedule a sync. None means a redelivery seen before."""
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(400, "body too large")
    verify(secret=secret, signature=headers.get(SIGNATURE_HEADER, ""),
           timestamp=headers.get(TIMESTAMP_HEADER, ""), body=body)
    text = body.decode("utf-8", errors="replace")
    kept = {k: v for k, v in headers.items() if k.lower().startswith("x-zendesk")}
    try:
        payload = json.loads(text) if text.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object")
    except ValueError as exc:
        # Authentic but unusable: kept with its error, so the trigger's body can be fixed.
        WebhookEvent.objects.create(system=SYSTEM, headers=kept, body=text,
                                    state=WebhookEvent.State.INVALID, error=str(exc)[:500])
        raise Rejected(400, f"body is not a JSON object: {exc}") from exc
    event_id = next((headers[h] for h in ID_HEADERS if headers.get(h)), "") or str(
        payload.get("id") or "")
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(system=SYSTEM, event_id=event_id[:100],
                                                headers=kept, body=text)
    except IntegrityError:
        log.info("zendesk webhook %s delivered again; already handled", event_id)
        return None
    if cache.add("zendesk:webhook-sync", timezone.now().isoformat(), DEBOUNCE_SECONDS):
        from .tasks import sync_incremental

        transaction.on_commit(sync_incremental.delay)
    WebhookEvent.objects.filter(pk=event.pk).update(state=WebhookEvent.State.PROCESSED)
    return event
