"""Credly's {"data", "metadata"} envelope for answers and errors, its `filter` syntax and page metadata."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from integrations.fakes import Response, int_param, json_response

MAX_PER_PAGE = 100


def envelope(status: int, data: Any, metadata: dict[str, Any] | None = None) -> Response:
    return json_response(status, {"data": data, "metadata": metadata if metadata is not None else {}})


def error(status: int, message: str) -> Response:
    """Every Credly error: the message under data, metadata null."""
    return json_response(status, {"data": {"message": message}, "metadata": None})


def parse_filter(raw: str, keys: Collection[str]) -> dict[str, str]:
    """`filter=state::pending|issuer_earner_id::abc` as {key: value}; ValueError on a term
    without '::' or an unknown key (a typo must not quietly widen a lookup to everything)."""
    terms: dict[str, str] = {}
    for term in filter(None, raw.split("|")):
        key, sep, value = term.partition("::")
        if not sep:
            raise ValueError(f"Invalid filter: {term}")
        if key not in keys:
            raise ValueError(f"Invalid filter key: {key}")
        terms[key] = value
    return terms


def parse_sort(raw: str | None, keys: Collection[str]) -> list[tuple[str, bool]]:
    """`sort=-issued_at|name` as [(key, descending)]; ValueError on an unknown key."""
    order = []
    for term in filter(None, (raw or "").split("|")):
        key = term.lstrip("-")
        if key not in keys:
            raise ValueError(f"Invalid sort key: {key}")
        order.append((key, term.startswith("-")))
    return order


def page(items: Sequence[Any], query: Mapping[str, str], url: str,
         per_default: int) -> tuple[Sequence[Any], dict[str, Any]]:
    """The `?page=N` slice of `items` and Credly's list metadata; its links keep the query's
    other parameters (filter, sort, per), as Credly's do."""
    per = int_param(query, "per", per_default, 1, MAX_PER_PAGE)
    number = int_param(query, "page", 1, 1, 10**9)
    start = (number - 1) * per
    chunk = items[start:start + per]
    total_pages = math.ceil(len(items) / per)

    def link(n: int) -> str:
        return f"{url}?{urlencode({**query, 'page': n})}"

    return chunk, {
        "count": len(chunk), "current_page": number, "total_count": len(items),
        "total_pages": total_pages, "per": per,
        "previous_page_url": link(number - 1) if 1 < number <= total_pages + 1 else None,
        "next_page_url": link(number + 1) if number < total_pages else None,
    }
