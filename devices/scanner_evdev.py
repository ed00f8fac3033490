"""Keyboard-wedge code scanner through evdev, grabbed so a scan never types into the UI."""
from __future__ import annotations

import errno
import select
from typing import Any

from devices.base import driver_options
from devices.records import Scan
from devices.scanner_common import QueuedCodeScanner
from devices.scanner_keys import WedgeDecoder
from devices.status import Reason

OPTIONS: dict[str, tuple[Any, str]] = {
    "path": ("/dev/kiosk/scanner", "the scanner's event node (a udev symlink survives re-plugging)"),
    "max_gap_ms": (50, "longer gaps between keys are a person typing, not a scan"),
    "grab": (True, "take the node exclusively so scans never reach the UI"),
}


class EvdevCodeScanner(QueuedCodeScanner):
    def __init__(self, name: str, *, opener=None, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS)
        self.path, self.grab = cfg["path"], bool(cfg["grab"])
        self.decoder = WedgeDecoder(max_gap_s=float(cfg["max_gap_ms"]) / 1000)
        self._opener = opener  # tests pass a fake; the real one is evdev.InputDevice

    async def open(self) -> None:
        try:
            dev = (self._opener or _evdev_open)(self.path)
            if self.grab:
                dev.grab()
        except OSError as exc:
            self._set_reasons({Reason.NO_DEVICE}, f"{self.path}: {exc.strerror or exc}")
            return
        self._start_reader(self._read, dev)

    def _read(self, dev, loop) -> None:
        """Blocking reads on this device's own thread; scans are handed to the loop thread-safely."""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([dev.fd], [], [], 0.2)
                if not ready:
                    continue
                for ev in dev.read():
                    scan = self.decoder.feed(ev.type, ev.code, ev.value, ev.timestamp())
                    if scan is not None:
                        loop.call_soon_threadsafe(self._deliver, Scan(scan, "unknown", self.name))
        except OSError as exc:
            if exc.errno in (errno.ENODEV, errno.EBADF, errno.EIO):
                loop.call_soon_threadsafe(self._set_reasons, {Reason.NO_DEVICE}, "unplugged")
            else:
                raise
        finally:
            try:
                dev.close()
            except OSError:
                pass

def _evdev_open(path: str):
    import evdev

    return evdev.InputDevice(path)
