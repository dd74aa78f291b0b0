"""Times as upstream APIs write them, read once for every adapter."""

from datetime import UTC, datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time ('2014-04-01T14:41:00.000Z', '...+00:00') as an aware datetime, UTC
    when it names no zone; None for anything else (upstream data is not trusted)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
