"""What the Credly tests share besides fixtures: the token, an issue time, a short issue call."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from integrations.credly.client import CredlyClient

TOKEN = "credly-test-token"
ISSUED_AT = datetime(2024, 5, 1, 9, 41, tzinfo=UTC)
_earner_ids = itertools.count(1)


def issue(client: CredlyClient, template_id: str, email: str = "ada@example.com",
          **extra: Any) -> dict[str, Any]:
    """Issue with the fields every test needs; a fresh issuer_earner_id unless given."""
    extra.setdefault("issuer_earner_id", f"edudesk-submission-{next(_earner_ids)}")
    return client.issue_badge(template_id, email, "Ada", "Lovelace", ISSUED_AT, **extra)
