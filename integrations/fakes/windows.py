"""Sliding-window request budgets, the rate limiting every fake uses to answer 429."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable


class SlidingWindow:
    """Request times in the last `window` seconds; not thread-safe (callers hold a lock)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()

    def retry_after(self, now: float) -> int | None:
        """Whole seconds until a slot frees up (at least 1, as Retry-After is an integer), or
        None if a request may go now."""
        self._trim(now)
        if len(self.times) < self.limit:
            return None
        return max(1, math.ceil(self.times[0] + self.window - now))

    def add(self, now: float) -> None:
        self.times.append(now)

    def remaining(self, now: float) -> int:
        self._trim(now)
        return max(self.limit - len(self.times), 0)


def take(windows: Iterable[SlidingWindow], now: float) -> int | None:
    """Book one request in every window, or in none if any is full: then the longest wait.

    All-or-nothing, so a request refused by one budget does not use up another.
    """
    windows = list(windows)
    waits = [w for w in (win.retry_after(now) for win in windows) if w is not None]
    if waits:
        return max(waits)
    for win in windows:
        win.add(now)
    return None
