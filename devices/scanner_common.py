"""What every scanner driver shares: a reader thread feeding a small queue of recent scans."""
from __future__ import annotations

import asyncio
import threading

import structlog

from devices.contracts import CodeScanner
from devices.errors import DeviceOffline, DeviceTimeout
from devices.records import Scan
from devices.status import Reason

log = structlog.get_logger("devices.scanner")
QUEUE = 8  # recent scans kept while no step waits; the oldest are dropped


class QueuedCodeScanner(CodeScanner):
    def _start_reader(self, target, *args) -> None:
        self._scans: asyncio.Queue = asyncio.Queue(QUEUE)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=target, args=(*args, asyncio.get_running_loop()),
                                        name=f"dev-{self.name}", daemon=True)
        self._thread.start()
        self._set_reasons(set())

    async def close(self) -> None:
        if getattr(self, "_thread", None) is not None:
            self._stop.set()
            await asyncio.to_thread(self._thread.join, 2)
            self._thread = None
        await super().close()

    def _deliver(self, scan: Scan) -> None:
        if self._scans.full():
            self._scans.get_nowait()  # keep the newest
        self._scans.put_nowait(scan)
        log.info("scanner.scan", device=self.name, length=len(scan.data))  # never the content: it may be an e-ID

    async def read_code(self, *, timeout: float | None = None) -> Scan:
        if getattr(self, "_thread", None) is None or Reason.NO_DEVICE in self.status.reasons:
            raise DeviceOffline(f"{self.name}: scanner not connected")
        try:
            return await asyncio.wait_for(self._scans.get(), timeout)
        except asyncio.TimeoutError:
            raise DeviceTimeout(f"{self.name}: no scan within {timeout:g}s") from None
