"""Sign-in attempts per minute, per address and per typed name, in memory.

In memory on purpose: it answers floods at once and costs no write. Each worker counts alone, so with W
workers an address gets at most W times the limit; the lockout (in the database) is what holds across them.
"""
from __future__ import annotations

import collections
import time
from typing import Callable

WINDOW = 60.0
MAX_KEYS = 20_000  # a flood of distinct names or addresses must not grow memory without bound


class Limiter:
    def __init__(self, per_window: int, clock: Callable[[], float] = time.monotonic):
        self.per_window, self.clock = per_window, clock
        self._hits: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()

    def allow(self, key: str) -> bool:
        """Count one attempt for `key`; False when it is over the limit (the refused attempt counts too)."""
        return self.hit(key) <= self.per_window

    def hit(self, key: str) -> int:
        """Count one attempt for `key`; how many there have been in the window, this one included."""
        now = self.clock()
        hits = self._hits.pop(key, None) or collections.deque()
        while hits and now - hits[0] >= WINDOW:
            hits.popleft()
        hits.append(now)
        self._hits[key] = hits  # most recently used last
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)
        return len(hits)
