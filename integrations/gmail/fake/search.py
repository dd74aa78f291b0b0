"""A subset of Gmail's search syntax (`q`): the operators the adapter and the team's filters use."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from integrations.gmail.fake.resources import StoredMessage, header

Predicate = Callable[[StoredMessage], bool]
_AGE_UNITS = {"d": 86_400, "m": 30 * 86_400, "y": 365 * 86_400}
# Gmail keeps these out of every search unless asked for (in:anywhere, in:spam, in:trash).
HIDDEN = ("SPAM", "TRASH")


class QueryError(ValueError):
    """A `q` Gmail would refuse; the fake answers 400 invalidArgument."""


def _epoch_seconds(value: str) -> float:
    """after:/before: take a date (2024/01/31, 2024-01-31) or epoch seconds.

    Gmail reads dates in the mailbox owner's time zone (Pacific by default); the fake uses UTC.
    """
    if value.isdigit():
        return float(value)
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise QueryError(f"Invalid date: {value}")


def _age_seconds(value: str) -> float:
    m = re.fullmatch(r"(\d+)([dmy])", value)
    if not m:
        raise QueryError(f"Invalid age: {value}")
    return int(m.group(1)) * _AGE_UNITS[m.group(2)]


def _has(headers: tuple[str, ...], needle: str) -> Predicate:
    return lambda m: any(needle in a for a in m.addresses(*headers))


def _term(op: str, value: str, now: float, labels: dict[str, str]) -> Predicate:
    v = value.lower()
    if op in ("from", "to", "cc", "bcc", "deliveredto"):
        headers = {"to": ("to", "cc", "bcc"), "deliveredto": ("delivered-to",)}.get(op, (op,))
        return _has(headers, v)
    if op in ("after", "before"):
        at = _epoch_seconds(value)
        return ((lambda m: m.internal_ms / 1000 >= at) if op == "after"
                else (lambda m: m.internal_ms / 1000 < at))
    if op in ("newer_than", "older_than"):
        limit = now - _age_seconds(v)
        return ((lambda m: m.internal_ms / 1000 >= limit) if op == "newer_than"
                else (lambda m: m.internal_ms / 1000 < limit))
    if op in ("label", "in", "is"):
        if v == "anywhere":
            return lambda m: True
        if v == "read":
            return lambda m: "UNREAD" not in m.labels
        # Names or ids; Gmail also accepts dashes for spaces and slashes in label names.
        label = labels.get(v) or labels.get(v.replace("-", " ")) or v.upper()
        return lambda m: label in m.labels
    if op == "subject":
        return lambda m: v in header(m.parsed, "subject").lower()
    if op == "rfc822msgid":
        return lambda m: header(m.parsed, "message-id").strip("<>").lower() == v.strip("<>")
    if op == "list":
        return lambda m: v in header(m.parsed, "list-id").lower()
    if op == "has" and v == "attachment":
        return lambda m: any(p.get_filename() for p in m.parsed.walk())
    return _text(f"{op}:{value}")  # Gmail reads an unknown operator as words


def _text(word: str) -> Predicate:
    w = word.lower()
    return lambda m: (w in header(m.parsed, "subject").lower() or w in m.snippet.lower()
                      or any(w in a for a in m.addresses("from")))


def compile_query(q: str, now: float, labels: dict[str, str]) -> tuple[Predicate, bool]:
    """(predicate, whether spam and trash are searched too) for a Gmail `q`; `labels` maps
    lower-case label names and ids to ids.

    Terms are ANDed; `a OR b` joins its neighbours into one alternative, binding tighter
    than the implicit AND, as Gmail reads it (`x a OR b` is x AND (a OR b)).
    """
    try:
        tokens = shlex.split(q)
    except ValueError as exc:
        raise QueryError(f"Invalid query: {exc}") from None
    clauses: list[list[tuple[bool, Predicate]]] = []
    anywhere = False
    joined = False
    for word in tokens:
        if word in ("AND", "OR"):
            joined = word == "OR" and bool(clauses)
            continue
        negate = word.startswith("-") and len(word) > 1
        word = word[1:] if negate else word
        op, sep, value = word.partition(":")
        if sep and re.fullmatch(r"[a-z][a-z0-9_]*", op.lower()) and value:
            op = op.lower()
            anywhere |= op == "in" and value.lower() in ("anywhere", "spam", "trash")
            term = (negate, _term(op, value, now, labels))
        else:
            term = (negate, _text(word))
        if joined:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        joined = False
    return (lambda m: all(any(pred(m) != negate for negate, pred in clause)
                          for clause in clauses)), anywhere
