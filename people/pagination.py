"""Keyset pagination for every list (tickets, threads, badges): a page costs the same at page 1
and page 10,000."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None = None  # counted up to a cap, where the list shows "1-25 of 32"
    start: int = 1  # the first item's position, carried by the page links (display only)
    size: int = 0  # the page size asked for: a page before this one is that long

    def at(self, start) -> "Page":
        """This page as reached from a link saying it starts at `start` (garbage reads as 1)."""
        text = str(start or "")
        self.start = int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 10 else 1
        if self.total is not None and self.total <= COUNT_CAP and self.start > self.total:
            self.start = 1
        return self

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1

    @property
    def next_start(self) -> int:
        return self.start + len(self.items)

    @property
    def previous_start(self) -> int:
        return max(1, self.start - (self.size or len(self.items)))

    @property
    def total_label(self) -> str:
        if self.total is None:
            return ""
        return f"{COUNT_CAP:,}+" if self.total > COUNT_CAP else f"{self.total:,}"


COUNT_CAP = 10_000


def encode_cursor(value, pk: int, backwards: bool) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, pk,
                      backwards])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


MAX_PK = 2**63 - 1


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a cursor value")


def _decode(cursor: str) -> tuple:
    """The cursor's (value, pk, backwards); anything but what encode_cursor writes is refused.

    A cursor comes from the URL, so it may hold any JSON: a number, an object, Infinity.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded), parse_constant=_refuse_constant)
        if not isinstance(decoded, list) or len(decoded) != 3:
            raise ValueError("not a cursor")
        value, pk, backwards = decoded
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError("bad value")
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_PK:
            raise ValueError("bad id")
        if not isinstance(backwards, bool):
            raise ValueError("bad direction")
        return value, pk, backwards
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValidationError({"cursor": "This page link is not valid any more."}) from exc


def after_key(field: str, op: str, value, pk: int) -> Q:
    """(field, id) strictly after (value, pk) in `op` ("gt"/"lt") order.

    The redundant inclusive bound gives the database an index range to start from;
    the OR alone would make most planners scan.
    """
    inclusive = "gte" if op == "gt" else "lte"
    return Q(**{f"{field}__{inclusive}": value}) & (
        Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk})
    )


def keyset_page(queryset: QuerySet, sort: str, cursor: str | None, size: int) -> Page:
    """One page of `queryset` ordered by `sort` (e.g. "-updated_at") then id.

    Fetches size + 1 rows to know whether another page follows, in a single query.
    """
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    backwards = False
    if cursor:
        value, pk, backwards = _decode(cursor)
        if field.endswith("_at"):
            try:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError("naive time")
            except (TypeError, ValueError) as exc:
                raise ValidationError({"cursor": "This page link is not valid any more."}) from exc
        # Walking backwards flips the comparison and the order, then the rows are reversed.
        after = descending != backwards
        op = "lt" if after else "gt"
        queryset = queryset.filter(after_key(field, op, value, pk))
    forward_desc = descending != backwards
    order = [f"-{field}", "-id"] if forward_desc else [field, "id"]
    rows = list(queryset.order_by(*order)[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = rows[0], rows[-1]
    if backwards:
        next_cursor = encode_cursor(getattr(last, field), last.pk, False)
        previous_cursor = encode_cursor(getattr(first, field), first.pk, True) if has_more else None
    else:
        next_cursor = encode_cursor(getattr(last, field), last.pk, False) if has_more else None
        previous_cursor = encode_cursor(getattr(first, field), first.pk, True) if cursor else None
    return Page(rows, next_cursor, previous_cursor, size=size)
