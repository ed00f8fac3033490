"""A recorder of a driver's content-free events, for tests that wait on them."""
from __future__ import annotations

import asyncio


class Events:
    """Collects the driver's content-free events; waits for one without sleeping."""

    def __init__(self, device):
        self.seen: list[tuple[str, dict]] = []
        self._changed = asyncio.Event()
        device.on_event(self._on)

    def _on(self, kind, data):
        self.seen.append((kind, data))
        self._changed.set()

    async def until(self, kind: str, count: int = 1, timeout: float = 2.0) -> list[dict]:
        async with asyncio.timeout(timeout):
            while len(got := [d for k, d in self.seen if k == kind]) < count:
                self._changed.clear()
                await self._changed.wait()
        return got
