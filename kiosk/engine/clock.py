"""Time as the engine sees it: a real loop clock, or a virtual one for tests.

Every wait in the engine is a timer on one of these, so a flow test can
run a 60-second timeout in microseconds and in a deterministic order.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import time
from collections.abc import Callable


class Handle:
    def __init__(self):
        self.cancelled = False
        self._inner = None

    def cancel(self) -> None:
        self.cancelled = True
        if self._inner is not None:
            self._inner.cancel()


class LoopClock:
    """Monotonic time for waits (the wall clock jumps on these machines), local time for display."""

    def monotonic(self) -> float:
        return time.monotonic()

    def wallclock(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Handle:
        h = Handle()
        h._inner = asyncio.get_running_loop().call_later(seconds, fn)
        return h

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class VirtualClock:
    def __init__(self, start: dt.datetime | None = None):
        self.now = 0.0
        self.start = start or dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        self._heap: list[tuple[float, int, Handle, Callable[[], None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def wallclock(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=self.now)

    def call_later(self, seconds: float, fn: Callable[[], None]) -> Handle:
        h = Handle()
        heapq.heappush(self._heap, (self.now + max(0.0, seconds), next(self._seq), h, fn))
        return h

    async def sleep(self, seconds: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        await fut

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def fire_next(self, until: float) -> bool:
        """Fire the earliest timer due by `until`; False when none is."""
        deadline = self.next_deadline()
        if deadline is None or deadline > until:
            return False
        _, _, h, fn = heapq.heappop(self._heap)
        self.now = max(self.now, deadline)
        fn()
        return True
