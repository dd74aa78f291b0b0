"""Who else has a ticket open, from heartbeats kept in the shared cache."""

import time

from django.conf import settings
from django.core.cache import cache


def _key(ticket_id: int) -> str:
    return f"presence:{ticket_id}"


def _live(entries: dict) -> dict:
    cutoff = time.time() - settings.PRESENCE_TTL_SECONDS
    return {uid: e for uid, e in entries.items() if e["seen"] >= cutoff}


def touch(ticket_id: int, user, *, replying: bool = False) -> None:
    # Read-modify-write without a lock: a lost update heals at the next heartbeat.
    entries = _live(cache.get(_key(ticket_id), {}))
    entries[str(user.pk)] = {
        "name": user.get_full_name() or user.get_username(),
        "replying": replying,
        "seen": time.time(),
    }
    cache.set(_key(ticket_id), entries, settings.PRESENCE_TTL_SECONDS * 2)


def leave(ticket_id: int, user) -> None:
    entries = cache.get(_key(ticket_id), {})
    if entries.pop(str(user.pk), None) is not None:
        cache.set(_key(ticket_id), entries, settings.PRESENCE_TTL_SECONDS * 2)


def others(ticket_id: int, user) -> list[dict]:
    entries = _live(cache.get(_key(ticket_id), {}))
    return sorted((e for uid, e in entries.items() if uid != str(user.pk)),
                  key=lambda e: e["name"])
