"""Who else has a ticket open, from heartbeats kept in the shared cache.

Presence is a courtesy: with the cache unreachable nobody is shown, and nothing an agent
does fails because of it (leave() runs after a committed reply).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _read(ticket_id: int) -> dict:
    try:
        return cache.get(_key(ticket_id), {}) or {}
    except Exception:  # noqa: BLE001 - whatever the cache backend raises when it is down
        log.warning("presence: cache unavailable")
        return {}


def _write(ticket_id: int, entries: dict) -> None:
    try:
        cache.set(_key(ticket_id), entries, settings.PRESENCE_TTL_SECONDS * 2)
    except Exception:  # noqa: BLE001
        log.warning("presence: cache unavailable")


def _key(ticket_id: int) -> str:
    return f"presence:{ticket_id}"


def _live(entries: dict) -> dict:
    cutoff = time.time() - settings.PRESENCE_TTL_SECONDS
    return {uid: e for uid, e in entries.items() if e["seen"] >= cutoff}


def touch(ticket_id: int, user, *, replying: bool = False) -> None:
    # Read-modify-write without a lock: a lost update heals at the next heartbeat.
    entries = _live(_read(ticket_id))
    entries[str(user.pk)] = {
        "name": user.get_full_name() or user.get_username(),
        "replying": replying,
        "seen": time.time(),
    }
    _write(ticket_id, entries)


def leave(ticket_id: int, user) -> None:
    entries = _read(ticket_id)
    if entries.pop(str(user.pk), None) is not None:
        _write(ticket_id, entries)


def others(ticket_id: int, user) -> list[dict]:
    entries = _live(_read(ticket_id))
    return sorted((e for uid, e in entries.items() if uid != str(user.pk)),
                  key=lambda e: e["name"])
