"""Pagination for fakes: opaque cursors, and which slice of a list a page or cursor asks for."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import NamedTuple

from integrations.fakes.web import int_param


class Page(NamedTuple):
    start: int  # first position served
    stop: int  # one past the last position served
    size: int  # the page size asked for (after clamping)


def encode_cursor(*parts: int) -> str:
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, n: int) -> tuple[int, ...]:
    """Inverse of encode_cursor for an n-part cursor; ValueError on anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        parts = tuple(int(p) for p in raw.split(":"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if len(parts) != n:
        raise ValueError("invalid cursor")
    return parts


def offset_page(query: Mapping[str, str], count: int, *, max_size: int = 100,
                max_records: int | None = None, page_param: str = "page",
                size_param: str = "per_page") -> tuple[Page, int]:
    """The slice `?page=N&per_page=M` selects from `count` items, and N.

    `max_records` mimics APIs that refuse offset paging deep into a collection (ValueError).
    """
    size = int_param(query, size_param, max_size, 1, max_size)
    number = int_param(query, page_param, 1, 1, 10**9)
    if max_records is not None and number * size > max_records:
        raise ValueError(f"Offset pagination is limited to the first {max_records:,} records")
    start = (number - 1) * size
    return Page(start, min(start + size, count), size), number


def cursor_page(query: Mapping[str, str], count: int, pos_after: Callable[[int], int], *,
                max_size: int = 100, size_param: str = "page[size]",
                after_param: str = "page[after]", before_param: str = "page[before]") -> Page:
    """The slice a cursor request selects; cursors hold one item id (see encode_cursor).

    `pos_after(id)` is the position of the first item whose id is greater than `id`, so a
    cursor stays valid across inserts as long as ids only grow.
    """
    size = int_param(query, size_param, max_size, 1, max_size)
    if after_param in query:
        start = pos_after(decode_cursor(query[after_param], 1)[0])
        return Page(start, min(start + size, count), size)
    if before_param in query:
        stop = pos_after(decode_cursor(query[before_param], 1)[0] - 1)
        return Page(max(stop - size, 0), stop, size)
    return Page(0, min(size, count), size)
