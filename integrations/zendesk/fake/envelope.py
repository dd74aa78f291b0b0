"""Zendesk's JSON envelopes for errors and for offset- and cursor-paginated lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from integrations.fakes import Response, cursor_page, encode_cursor, json_response, offset_page

# Zendesk refuses offset paging past this many records ("use cursor pagination").
OFFSET_LIMIT = 10_000


def error(status: int, err: str, description: str, details: Any = None) -> Response:
    """{"error": ..., "description": ...[, "details": {field: [{description, error}]}]}."""
    payload: dict[str, Any] = {"error": err, "description": description}
    if details is not None:
        payload["details"] = details
    return json_response(status, payload)


def not_found() -> Response:
    return error(404, "RecordNotFound", "Not found")


def invalid(details: dict[str, Any]) -> Response:
    return error(422, "RecordInvalid", "Record validation errors", details)


def paginate(query: dict[str, str], url: str, key: str, count: int,
             get: Callable[[int, int], list[dict[str, Any]]],
             pos_after: Callable[[int], int], max_size: int = 100) -> dict[str, Any]:
    """Cursor pagination when any page[...] param is present, otherwise offset pagination.

    `get(start, stop)` renders items by position; `pos_after(id)` is the position of the first
    item whose id is greater than `id`, so cursors survive inserts (ids only grow).
    """
    if not any(k.startswith("page[") for k in query):
        page, number = offset_page(query, count, max_size=max_size, max_records=OFFSET_LIMIT)

        def link(n: int) -> str:
            return f"{url}?{urlencode({'page': n, 'per_page': page.size})}"
        return {key: get(page.start, page.stop), "count": count,
                "next_page": link(number + 1) if page.start + page.size < count else None,
                "previous_page": link(number - 1) if number > 1 else None}
    page = cursor_page(query, count, pos_after, max_size=max_size)
    items = get(page.start, page.stop)
    after = encode_cursor(items[-1]["id"]) if items else None
    before = encode_cursor(items[0]["id"]) if items else None
    has_more = page.stop < count
    nxt = (f"{url}?{urlencode({'page[size]': page.size, 'page[after]': after})}"
           if has_more else None)
    prev = (f"{url}?{urlencode({'page[size]': page.size, 'page[before]': before})}"
            if page.start > 0 and before else None)
    return {key: items, "meta": {"has_more": has_more, "after_cursor": after,
                                 "before_cursor": before},
            "links": {"next": nxt, "prev": prev}}
