"""Zendesk webhooks: its signature scheme on the kit's intake, and one incremental sync per burst."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from integrations import webhooks
from integrations.models import WebhookEvent

from .tasks import sync_incremental

SYSTEM = "zendesk"
SCHEME = webhooks.TimestampedHmac(signature_header="X-Zendesk-Webhook-Signature",
                                  timestamp_header="X-Zendesk-Webhook-Signature-Timestamp",
                                  id_header="X-Zendesk-Webhook-Invocation-Id")
# Many events in a burst need one sync, not one each (a running sync also reruns once).
DEBOUNCE_SECONDS = 2


def active_secrets() -> list[str]:
    """ZENDESK_WEBHOOK_SECRET: during a rotation, the new and the old secret, comma-separated."""
    value = settings.ZENDESK_WEBHOOK_SECRET
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item and item.strip()]


def handle(payload: dict[str, Any], event: WebhookEvent) -> None:
    """Any event means "something changed": the incremental sync fetches what."""
    if cache.add("zendesk:webhook-sync", timezone.now().isoformat(), DEBOUNCE_SECONDS):
        transaction.on_commit(sync_incremental.delay)


def receive(request: HttpRequest) -> JsonResponse:
    return webhooks.receive(request, sender=SYSTEM, scheme=SCHEME, secrets=active_secrets(),
                            handle=handle)
