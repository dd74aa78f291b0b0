"""Gmail's list and get parameters: repeated values, format, maxResults and page tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.fakes import decode_cursor, encode_cursor
from integrations.gmail.fake.resources import FORMATS

Query = dict[str, list[str]]  # parse_qs: Gmail repeats labelIds, historyTypes, metadataHeaders


def one(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def message_format(query: Query) -> str:
    fmt = (one(query, "format") or "full").lower()
    if fmt not in FORMATS:
        raise ValueError(f"Invalid value for format: {fmt}")
    return fmt


def page_of(query: Query, items: list[Any], key: Callable[[Any], int]) -> tuple[list[Any], str | None]:
    """One page of `items` (already in order) and the token for the next.

    The token names the position reached plus that item's key, so a token minted before new
    items arrived still resumes after the item it stopped at.
    """
    size_text = one(query, "maxResults") or "100"
    if not size_text.isdigit():
        raise ValueError(f"Invalid value for maxResults: {size_text}")
    size = min(max(int(size_text), 1), 500)
    start = 0
    token = one(query, "pageToken")
    if token:
        try:
            position, last_key = decode_cursor(token, 2)
        except ValueError:
            raise ValueError("Invalid pageToken") from None
        # Resume after the item the token stopped at; by position only if that item is gone.
        start = next((i + 1 for i, it in enumerate(items) if key(it) == last_key), position + 1)
    page = items[start:start + size]
    more = start + size < len(items)
    return page, encode_cursor(start + len(page) - 1, key(page[-1])) if more and page else None
