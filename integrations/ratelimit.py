"""A request budget shared by every worker process: at most N requests per sliding window.

Production keeps the windows in Redis (one Lua script checks and takes a slot atomically,
on Redis's clock); the embedded mode keeps them in a small file under VAR_DIR behind an
flock, which every process on the machine shares without a server.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

log = logging.getLogger(__name__)

# Windows are counted slightly longer than the upstream's, so that network jitter between
# our clock and theirs can never put one request too many into their window.
MARGIN_FRACTION = 0.01
MIN_MARGIN_SECONDS = 0.05
MAX_SLEEP_SECONDS = 1.0


class Window(NamedTuple):
    name: str
    limit: int
    seconds: float

    @property
    def counted_seconds(self) -> float:
        return self.seconds + max(MIN_MARGIN_SECONDS, self.seconds * MARGIN_FRACTION)


class Store(Protocol):
    def take(self, windows: Sequence[Window]) -> float:
        """Take a slot in every window and return 0, or take none and return seconds to wait."""

    def block(self, seconds: float) -> None:
        """Nobody takes a slot for `seconds` (the upstream answered 429)."""


class SharedBudget:
    """acquire(path) blocks until every window that applies to `path` has room."""

    def __init__(self, store: Store, windows_for: Callable[[str], Sequence[Window]]) -> None:
        self.store = store
        self.windows_for = windows_for

    def acquire(self, path: str = "") -> None:
        windows = self.windows_for(path)
        if not windows:
            return
        while (wait := self.store.take(windows)) > 0:
            time.sleep(min(wait, MAX_SLEEP_SECONDS))

    def pause(self, seconds: float) -> None:
        if seconds > 0:
            self.store.block(seconds)


class FileStore:
    """Windows in a JSON file, read and rewritten under an exclusive flock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def _locked(self, update: Callable[[dict, float], float]) -> float:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = b""
            while chunk := os.read(fd, 65536):
                raw += chunk
            try:
                state = json.loads(raw) if raw else {}
            except ValueError:
                state = {}  # a torn write from a killed process: start the windows afresh
            result = update(state, time.time())
            data = json.dumps(state, separators=(",", ":")).encode()
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, data)
            return result
        finally:
            os.close(fd)  # also releases the flock

    def take(self, windows: Sequence[Window]) -> float:
        def update(state: dict, now: float) -> float:
            blocked = state.get("blocked_until", 0.0) - now
            if blocked > 0:
                return blocked
            lists = state.setdefault("windows", {})
            wait = 0.0
            for w in windows:
                times = [t for t in lists.get(w.name, []) if t > now - w.counted_seconds]
                lists[w.name] = times
                if len(times) >= w.limit:
                    wait = max(wait, times[-w.limit] + w.counted_seconds - now)
            if wait > 0:
                return wait
            for w in windows:
                lists[w.name].append(now)
            return 0.0

        return self._locked(update)

    def block(self, seconds: float) -> None:
        def update(state: dict, now: float) -> float:
            state["blocked_until"] = max(state.get("blocked_until", 0.0), now + seconds)
            return 0.0

        self._locked(update)


TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
if blocked > now then return blocked - now end
local n = #KEYS - 1
local wait = 0
for i = 1, n do
  local key, limit, window = KEYS[i + 1], tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local edge = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(edge[2]) + window - now)
  end
end
if wait > 0 then return wait end
for i = 1, n do
  redis.call('ZADD', KEYS[i + 1], now, ARGV[#ARGV] .. ':' .. i)
  redis.call('PEXPIRE', KEYS[i + 1], tonumber(ARGV[2 * i]))
end
return 0
"""

BLOCK_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]))
end
return 0
"""


class RedisStore:
    """Sliding windows as sorted sets of request times, on the Redis server's clock."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._take = self.redis.register_script(TAKE_SCRIPT)
        self._block = self.redis.register_script(BLOCK_SCRIPT)

    def take(self, windows: Sequence[Window]) -> float:
        keys = [f"{self.prefix}:blocked", *(f"{self.prefix}:{w.name}" for w in windows)]
        args: list[int | str] = []
        for w in windows:
            args += [w.limit, int(w.counted_seconds * 1000)]
        args.append(uuid.uuid4().hex)
        return int(self._take(keys=keys, args=args)) / 1000

    def block(self, seconds: float) -> None:
        self._block(keys=[f"{self.prefix}:blocked"], args=[max(1, int(seconds * 1000))])


def store_for(name: str, redis_url: str, var_dir: Path) -> Store:
    if redis_url:
        return RedisStore(redis_url, f"edudesk:ratelimit:{name}")
    return FileStore(Path(var_dir) / "ratelimit" / f"{name}.json")
