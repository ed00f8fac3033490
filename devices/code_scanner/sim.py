"""The simulated code scanner: codes are scanned by the demo's panel, the flow tests or a contract test."""
from __future__ import annotations

import asyncio

from devices.contracts import CodeScanner
from devices.errors import DeviceTimeout
from devices.records import Scan
from devices.simulation import SimMixin


class SimCodeScanner(SimMixin, CodeScanner):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self._codes: asyncio.Queue = asyncio.Queue()

    def scan(self, data: str, symbology: str = "qr") -> None:
        self._codes.put_nowait(Scan(data, symbology, self.name))

    def discard_pending(self) -> int:
        dropped = 0
        while not self._codes.empty():
            self._codes.get_nowait()
            dropped += 1
        return dropped

    async def read_code(self, *, timeout: float | None = None) -> Scan:
        self._refuse_if_unreachable()
        try:
            async with asyncio.timeout(timeout):  # the queue's get is the pending task itself: an unplug
                return await self._pending(self._codes.get())  # before it starts leaves nothing unawaited
        except asyncio.TimeoutError:
            raise DeviceTimeout(f"{self.name}: no scan within {timeout}s") from None
