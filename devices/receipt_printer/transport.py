"""What an ESC/POS transport is: thin, blocking, deadline-driven.

Each transport reads into a small buffer so that replies can be taken one byte
at a time whatever the link delivers; the driver never knows which link it is.
"""
from __future__ import annotations

import time

from devices.errors import DeviceTimeout


class Transport:
    def __init__(self) -> None:
        self._rx = bytearray()

    def open(self, timeout: float) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def write(self, data: bytes, deadline: float) -> None:
        raise NotImplementedError

    def _recv(self, timeout: float) -> bytes:
        """Some bytes within ``timeout`` (0 = only what is waiting), b"" when none came."""
        raise NotImplementedError

    def read_byte(self, deadline: float) -> int | None:
        while not self._rx:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._rx += self._recv(remaining)
        b = self._rx[0]
        del self._rx[0]
        return b

    def drain(self) -> None:
        """Drop unread input (late replies of an earlier exchange)."""
        self._rx.clear()
        for _ in range(64):  # bounded: a chattering device must not hold the worker
            if not self._recv(0):
                return


def remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeviceTimeout("deadline passed while sending to the printer")
    return remaining
