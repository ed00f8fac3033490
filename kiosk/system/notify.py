"""sd_notify without a library: one datagram per message to $NOTIFY_SOCKET.

A no-op outside systemd; never raises into the caller (a failed status
update must not take the kiosk down), and logs a failure once.
"""
from __future__ import annotations

import os
import socket
import time

import structlog

log = structlog.get_logger("kiosk.notify")


class Notifier:
    def __init__(self, path: str | None = None):
        self.path = path if path is not None else os.environ.get("NOTIFY_SOCKET")
        self._warned = False

    @property
    def enabled(self) -> bool:
        return bool(self.path)

    def send(self, *lines: str) -> bool:
        if not self.path:
            return False
        address = "\0" + self.path[1:] if self.path.startswith("@") else self.path  # '@' = abstract namespace
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.sendto("\n".join(lines).encode(), address)
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("notify.failed", error=type(exc).__name__)
                self._warned = True
            return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def reloading(self) -> bool:
        return self.send("RELOADING=1", f"MONOTONIC_USEC={int(time.monotonic() * 1e6)}")

    def reloaded(self) -> bool:
        return self.send("READY=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")
