"""A code scanner in USB-COM (serial) mode: one code per line, Chinese content intact."""
from __future__ import annotations

from typing import Any

import serial

from devices.base import driver_options
from devices.records import Scan
from devices.scanner_common import QueuedCodeScanner
from devices.status import Reason

MAX_LINE = 4096
OPTIONS: dict[str, tuple[Any, str]] = {
    "port": ("/dev/kiosk/scanner", "serial port of the scanner"),
    "baud": (9600, "line speed"),
    "encoding": ("utf-8", "utf-8 or gb18030, as the scanner is set up"),
}


class SerialCodeScanner(QueuedCodeScanner):
    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("port",))
        self.port, self.baud, self.encoding = cfg["port"], int(cfg["baud"]), cfg["encoding"]

    async def open(self) -> None:
        try:
            link = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0.2)
        except (serial.SerialException, OSError) as exc:
            self._set_reasons({Reason.NO_DEVICE}, str(exc)[:80])
            return
        self._start_reader(self._read, link)

    def _read(self, link, loop) -> None:
        buf = bytearray()
        try:
            while not self._stop.is_set():
                chunk = link.read(256)
                if not chunk:
                    continue
                buf += chunk
                while (end := min((i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0), default=-1)) >= 0:
                    line, buf = bytes(buf[:end]), buf[end + 1:]
                    text = line.decode(self.encoding, "replace").strip()
                    if text:
                        loop.call_soon_threadsafe(self._deliver, Scan(text, "unknown", self.name))
                if len(buf) > MAX_LINE:
                    buf.clear()  # a line this long is noise, not a code
        except (serial.SerialException, OSError):
            loop.call_soon_threadsafe(self._set_reasons, {Reason.NO_DEVICE}, "unplugged")
        finally:
            link.close()
