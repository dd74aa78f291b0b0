"""What the badge tests share: draining the outbox as a worker would, and signed result requests."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

from integrations import outbox
from integrations.models import OutboxMessage

URL = "/hooks/certifications/"


def deliver_all(system: str = "credly", seconds: float = 30.0) -> None:
    """What the Celery worker does, in this process: deliver whatever is due until done."""
    deadline = time.monotonic() + seconds
    while OutboxMessage.objects.filter(system=system, state=OutboxMessage.State.QUEUED).exists():
        assert time.monotonic() < deadline, "outbox did not drain"
        lanes = [lane for lane in outbox.lanes_to_sweep() if lane[0] == system]
        for lane in lanes:
            outbox.drain(*lane)
        if not lanes:
            time.sleep(0.005)


def result(code: str, *, submission_id: str = "result-1", email: str = "ada@example.com",
           score: Any = 92, passed: bool | None = None, **data: Any) -> dict[str, Any]:
    """A certification result as a grading form posts it."""
    body: dict[str, Any] = {
        "submission_id": submission_id, "certification": code,
        "earner": {"email": email, "first_name": "Ada", "last_name": "Lovelace"},
        "score": score, "submitted_at": "2024-05-01T09:40:00Z", **data}
    if passed is not None:
        body["passed"] = passed
    return {"type": "certification.submitted", "timestamp": "2024-05-01T09:41:00Z", "data": body}


def post_signed(client, payload: dict[str, Any] | bytes, secret: str, *,
                msg_id: str | None = None, at: datetime | None = None,
                signature: str | None = None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = signature or Webhook(secret).sign(msg_id, at, body.decode())
    return client.post(URL, data=body, content_type="application/json",
                       headers={"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
                                "webhook-signature": signature})
