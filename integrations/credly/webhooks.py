"""POST /hooks/credly/: Credly's event notifications, unsigned, so each is only a hint to read the API."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from rest_framework import serializers

from integrations import webhooks
from integrations.models import WebhookEvent
from integrations.webhooks import Signed

from .tasks import refresh_from_event

SYSTEM = "credly"
# Credly retries an event until it gets a 200; one read per event id in this window.
DEBOUNCE_SECONDS = 60


class Unsigned:
    """Credly documents no signature: every request is stored as its own event (nothing in
    it can be trusted to recognise a repeat), and acted on only through the API."""

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str],
               now: datetime | None = None) -> Signed:
        return Signed(dedup_key=f"unsigned:{uuid.uuid4().hex}")


class EventSerializer(serializers.Serializer):
    """What Credly posts: the event's id, type and organization (CR-EDX reads only these)."""

    id = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$")
    event_type = serializers.CharField(max_length=100)
    organization_id = serializers.CharField(max_length=64)

    def validate_organization_id(self, value: str) -> str:
        if value != settings.CREDLY_ORGANIZATION_ID:
            raise serializers.ValidationError("Not the Credly organization EduDesk works with.")
        return value


def handle(payload: dict[str, Any], event: WebhookEvent) -> None:
    event_id = payload["id"]
    if cache.add(f"credly:event:{event_id}", 1, DEBOUNCE_SECONDS):
        transaction.on_commit(lambda: refresh_from_event.delay(event_id), robust=True)


def receive(request: HttpRequest) -> JsonResponse:
    return webhooks.receive(request, sender=SYSTEM, scheme=Unsigned(), secrets=[],
                            validate=EventSerializer, handle=handle)
