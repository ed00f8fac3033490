"""What the wedge and serial scanners share: AIM prefixes, scan options, and the inbox that hands scans out.

Scans that arrive while nobody waits go to a small queue. The queue is
bounded and its scans expire (``keep_for``), so a code scanned by one
citizen is never handed to the next.
"""
from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from typing import Any

import structlog

from devices.errors import ConfigError, DeviceError, DeviceTimeout
from devices.records import Scan

log = structlog.get_logger("devices.scanner")

# AIM symbology identifiers (ISO/IEC 15424), sent as "]" + code + modifier when the scanner is set to prefix them
AIM_CODES = {"Q": "qr", "d": "datamatrix", "C": "code128", "E": "ean_upc", "A": "code39", "I": "itf",
             "L": "pdf417", "z": "aztec", "e": "gs1_databar", "F": "codabar", "G": "code93", "X": "other"}


def split_aim(data: str) -> tuple[str, str]:
    """(symbology, payload) from a scan that starts with an AIM identifier such as ``]Q1``.

    Without a recognisable prefix the scan is returned whole as ``unknown``,
    so a scanner that lost its prefix setting still delivers its codes.
    """
    if len(data) >= 3 and data[0] == "]" and data[1] in AIM_CODES:
        return AIM_CODES[data[1]], data[3:]
    return "unknown", data


# options the wedge and serial scanners share: (default, meaning)
SCAN_OPTIONS: dict[str, tuple[Any, str]] = {
    "max_length": (4096, "longest scan kept (characters on a wedge, bytes on a serial line); longer ones are "
                         "discarded with a warning. A QR code holds at most 2953 bytes or 4296 alphanumerics"),
    "queue": (4, "scans kept while no read_code() is waiting, oldest dropped first; 0 discards them"),
    "keep_for": (2.0, "seconds a kept scan stays valid, so a reader that comes just late still gets it "
                      "but the next citizen never gets the previous one's code"),
    "aim_prefix": (False, "the scanner is set to prefix AIM identifiers (]Q1...): strip them into Scan.symbology"),
}


def check_scan_options(name: str, cfg: dict[str, Any], seconds: tuple[str, ...]) -> None:
    """Type checks on validated options; ConfigError names the option."""
    for key in seconds + ("keep_for",):
        if not isinstance(cfg[key], (int, float)) or isinstance(cfg[key], bool) or cfg[key] <= 0:
            raise ConfigError(f"{name}: option {key!r} must be a positive number of seconds")
    for key, low in (("max_length", 1), ("queue", 0)):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < low:
            raise ConfigError(f"{name}: option {key!r} must be an integer >= {low}")
    if not isinstance(cfg["aim_prefix"], bool):
        raise ConfigError(f"{name}: option 'aim_prefix' must be true or false")


class ScanInbox:
    """Hands each scan to the longest-waiting reader, or keeps it briefly for one that is about to come.

    Lives on the event loop. ``clock`` is monotonic: the wall clock jumps on these machines.
    """

    def __init__(self, size: int, keep_for: float, clock: Callable[[], float] = time.monotonic):
        self._kept: collections.deque[tuple[float, Scan]] = collections.deque(maxlen=size or None)
        self._size, self._keep_for, self._clock = size, keep_for, clock
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    def put(self, scan: Scan) -> bool:
        """Deliver or keep; False when the scan was discarded (nobody waits and keeping is off)."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(scan)
                return True
        if not self._size:
            return False
        if len(self._kept) == self._size:
            log.info("scanner.queue_full", kept=self._size)  # the oldest is dropped
        self._kept.append((self._clock(), scan))
        return True

    def pending(self) -> int:
        self._expire()
        return len(self._kept)

    def clear(self) -> int:
        n = len(self._kept)
        self._kept.clear()
        return n

    async def get(self, timeout: float | None, name: str) -> Scan:
        self._expire()
        if self._kept:
            return self._kept.popleft()[1]
        if timeout is not None and timeout <= 0:
            raise DeviceTimeout(f"{name}: no scan waiting")
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                return fut.result()  # delivered in the same instant the wait ran out
            raise DeviceTimeout(f"{name}: no scan within {timeout:g}s") from None
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    def fail(self, exc: DeviceError) -> None:
        """Wake every waiting reader with ``exc`` (the scanner went away or was closed)."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(exc)

    def _expire(self) -> None:
        limit = self._clock() - self._keep_for
        while self._kept and self._kept[0][0] < limit:
            self._kept.popleft()
            log.info("scanner.expired")  # kept too long with no reader: never handed to a later session
