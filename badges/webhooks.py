"""POST /hooks/certifications/: results signed after Standard Webhooks, taken in by the kit's intake.

One URL serves every sender: the secret that signed a request names its sender, so a
sender's results are recorded under its name and deduplicated among its own ids.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from standardwebhooks import Webhook

from integrations import webhooks
from integrations.models import WebhookEvent
from integrations.webhooks import Rejected, Signed, StandardWebhooks

from . import services
from .models import Certification, ResultSender
from .serializers import RESULT_TYPE, ResultSerializer

SYSTEM = "certifications"
MAX_KEY_CHARS = 200


@dataclass
class SenderSignatures:
    """Standard Webhooks against every active sender's secrets; `signed_by` is the sender
    whose secret matched."""

    senders: Sequence[ResultSender]
    scheme: StandardWebhooks = field(default_factory=StandardWebhooks)
    signed_by: ResultSender | None = None

    def verify(self, headers: Mapping[str, str], body: bytes, secrets: Sequence[str],
               now: datetime | None = None) -> Signed:
        # Sender by sender, so a request is checked once against its own sender's secrets.
        for sender in self.senders:
            if not sender.secret_list:
                continue
            try:
                signed = self.scheme.verify(headers, body, sender.secret_list, now)
            except Rejected:
                continue
            self.signed_by = sender
            # Two senders' message ids may coincide; each sender's are its own.
            key = f"{sender.pk}:{signed.dedup_key}"
            if len(key) > MAX_KEY_CHARS:
                key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            return Signed(dedup_key=key, event_id=signed.event_id)
        # No sender's secret signed it: the kit's own refusal says why (headers, replay
        # window, no match, no secret at all).
        self.scheme.verify(headers, body, secrets, now)
        raise Rejected(401, "signature does not match")


def receive(request: HttpRequest) -> JsonResponse:
    senders = list(ResultSender.objects.filter(active=True))
    scheme = SenderSignatures(senders)

    def handle(payload: dict[str, Any], event: WebhookEvent) -> None:
        data, earner = payload["data"], payload["data"]["earner"]
        services.record_submission(
            sender=scheme.signed_by, submission_id=data["submission_id"],
            certification=data["certification"], earner_email=earner["email"],
            earner_first_name=earner["first_name"], earner_last_name=earner["last_name"],
            score=data.get("score"), reported_passed=data.get("passed"),
            submitted_at=data["submitted_at"], raw_payload=json.loads(event.body))

    return webhooks.receive(request, sender=SYSTEM, scheme=scheme,
                            secrets=[s for sender in senders for s in sender.secret_list],
                            validate=ResultSerializer, handle=handle)


@dataclass(frozen=True)
class ExampleRequest:
    url: str
    headers: dict[str, str]
    body: str
    signed_at: datetime

    @property
    def curl(self) -> str:
        lines = [f"curl -X POST {shlex.quote(self.url)}"]
        lines += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in self.headers.items()]
        lines.append(f"--data-raw {shlex.quote(self.body)}")
        return " \\\n  ".join(lines)


def example_request(sender: ResultSender, url: str, *, now: datetime | None = None
                    ) -> ExampleRequest | None:
    """A request `sender` could send, signed with its first secret (valid for the replay
    window). Its result fails, so running it records a submission and issues nothing."""
    if not sender.secret_list:
        return None
    now = now or datetime.now(UTC)
    certification = Certification.objects.filter(active=True).order_by("name").first()
    body = json.dumps({
        "type": RESULT_TYPE, "timestamp": now.isoformat(timespec="seconds"),
        "data": {"submission_id": f"example-{uuid.uuid4().hex[:12]}",
                 "certification": certification.code if certification else "certification-code",
                 "earner": {"email": "earner@example.com", "first_name": "Example",
                            "last_name": "Earner"},
                 "score": 0, "passed": False,
                 "submitted_at": now.isoformat(timespec="seconds")}})
    msg_id = f"msg_{uuid.uuid4().hex}"
    signature = Webhook(sender.secret_list[0]).sign(msg_id, now, body)
    return ExampleRequest(url=url, body=body, signed_at=now, headers={
        "content-type": "application/json", "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature})
