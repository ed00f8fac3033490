"""Code scanner in USB-COM (CDC ACM) or RS-232 mode: one scan per CR/LF-terminated line, over pyserial.

Why serial: keyboard-wedge mode cannot carry Chinese, because the keystrokes
depend on the keymap. A scanner in USB-COM mode sends the code's own bytes,
in UTF-8 or GB18030 as configured on the scanner. This matters for e-ID and
health-code QR content.

A scanner speaks on its own, so one pump per scanner runs in the device's
worker thread as long as the port is open. Its reads are sliced to ``SLICE``
so that ``close`` stops it within about 50 ms. The pump splits bytes into
lines (:class:`LineAssembler`, pure, fed with monotonic time) and posts the
decoded scans to the event loop, which owns status and the small queue
shared with the wedge driver (:class:`devices.code_scanner.scans.ScanInbox`).
Undecodable bytes are dropped with a warning, never turned into "?".

Nothing scanned is logged: the ``devices.scanner.wire`` debug logger sees
byte counts only.
Registry entry: ("code_scanner", "serial") -> "devices.code_scanner.serial:SerialCodeScanner".
"""
from __future__ import annotations

import asyncio
import errno
import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from devices.base import driver_options, close_quietly
from devices.code_scanner.scans import SCAN_OPTIONS, ScanInbox, check_scan_options, split_aim
from devices.contracts import CodeScanner
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout
from devices.records import Scan
from devices.status import Reason, Status

log = structlog.get_logger("devices.scanner")
wire = logging.getLogger("devices.scanner.wire")  # byte counts only; never content

SLICE = 0.05  # longest single pyserial read, so a stop is seen within ~50 ms
OPEN_TIMEOUT = 2.0  # opening a tty takes milliseconds; longer means the USB stack is wedged
STOP_TIMEOUT = 1.0
ENCODINGS = ("utf-8", "gb18030", "auto")
ENDS = ("newline", "gap")
LINE_END = re.compile(rb"[\r\n]")

OPTIONS: dict[str, tuple[Any, str]] = {
    "port": (None, "serial port or pyserial URL: /dev/kiosk/scanner (udev rule), /dev/ttyACM0, spy:///dev/ttyACM0"),
    "baud": (9600, "line rate for RS-232 scanners; USB-COM (CDC ACM) ignores it"),
    "encoding": ("utf-8", "what the scanner is set to send: utf-8, gb18030, or auto (UTF-8, else GB18030)"),
    "end": ("newline", "newline: CR, LF or CRLF ends a scan and a pause discards a partial one; "
                       "gap: a pause of char_gap also ends a scan (for scanners set to send no suffix)"),
    "char_gap": (0.2, "seconds of silence inside a scan that discard it (end=newline) or end it (end=gap); "
                      "a scanner streams a code without pauses, USB-COM delivers 64-byte packets"),
    **SCAN_OPTIONS,
}

Discard = Callable[[str, int], None]


class LineAssembler:
    """Bytes in, raw scans out. Pure: the caller passes the monotonic time of each chunk.

    CR, LF and CRLF end a scan (empty lines are ignored). A partial scan older
    than ``char_gap`` is discarded, or in ``gap`` mode returned. One longer
    than ``max_length`` bytes is discarded whole when it ends.
    """

    def __init__(self, *, end: str = "newline", char_gap: float = 0.2, max_length: int = 4096,
                 on_discard: Discard | None = None):
        self.end, self.char_gap, self.max_length, self.on_discard = end, char_gap, max_length, on_discard
        self._buf = bytearray()
        self._count = 0  # bytes of this partial, including those past max_length
        self._bad: str | None = None
        self._last: float | None = None

    def feed(self, data: bytes, now: float) -> list[bytes]:
        out = self.tick(now)
        if not data:
            return out
        self._last = now
        *complete, rest = LINE_END.split(data)
        for part in complete:
            self._append(part)
            raw = self._finish()
            if raw:
                out.append(raw)
        self._append(rest)
        return out

    def tick(self, now: float) -> list[bytes]:
        """Apply the pause rule; call it when a read returned nothing."""
        if not self._count or self._last is None or now - self._last <= self.char_gap:
            return []
        if self.end == "gap":
            raw = self._finish()
            return [raw] if raw else []
        self._report("gap", self._count)
        self._reset()
        return []

    def _append(self, chunk: bytes) -> None:
        self._count += len(chunk)
        if self._bad or not chunk:
            return
        if len(self._buf) + len(chunk) > self.max_length:
            self._bad = "too_long"
            self._buf.clear()
        else:
            self._buf += chunk

    def _finish(self) -> bytes | None:
        raw, bad, count = bytes(self._buf), self._bad, self._count
        self._reset()
        if bad:
            self._report(bad, count)
            return None
        return raw or None

    def _reset(self) -> None:
        self._buf.clear()
        self._count, self._bad = 0, None

    def _report(self, reason: str, length: int) -> None:
        if self.on_discard is not None:
            self.on_discard(reason, length)


def decode_scan(raw: bytes, encoding: str) -> str | None:
    """The scan as text, or None when the bytes are not valid in the configured encoding."""
    for enc in ("utf-8", "gb18030") if encoding == "auto" else (encoding,):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


class SerialCodeScanner(CodeScanner):
    """``read_code`` returns the next line the scanner sends, decoded.

    Events as :class:`devices.code_scanner.wedge.EvdevCodeScanner`: ``scan`` and
    ``discarded`` (reasons gap, too_long, not_utf-8, not_gb18030, not_auto).
    """

    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("port",))
        check_scan_options(name, cfg, ("char_gap",))
        if not isinstance(cfg["baud"], int) or isinstance(cfg["baud"], bool) or cfg["baud"] < 1:
            raise ConfigError(f"{name}: option 'baud' must be a positive integer")
        if cfg["encoding"] not in ENCODINGS:
            raise ConfigError(f"{name}: option 'encoding' must be one of {', '.join(ENCODINGS)}")
        if cfg["end"] not in ENDS:
            raise ConfigError(f"{name}: option 'end' must be one of {', '.join(ENDS)}")
        self.port: str = cfg["port"]
        self.baud: int = cfg["baud"]
        self._encoding: str = cfg["encoding"]
        self._end: str = cfg["end"]
        self._char_gap = float(cfg["char_gap"])
        self._max_length: int = cfg["max_length"]
        self._aim: bool = cfg["aim_prefix"]
        self._inbox = ScanInbox(cfg["queue"], float(cfg["keep_for"]))
        self._ser = None  # pyserial port; touched only on the worker thread
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: threading.Event | None = None
        self._pump: asyncio.Future | None = None  # the worker's read loop while the port is open

    # contract ---------------------------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"transport": "serial", "port": self.port, "baud": self.baud, "encoding": self._encoding,
                "end": self._end, "symbology": "aim" if self._aim else "unknown"}

    async def open(self) -> None:
        """Open the port and start listening; a missing scanner leaves status offline instead of raising."""
        if self._pump is None:
            await self._start()

    async def check_health(self) -> Status:
        """Reopens a scanner that is offline, so a replug recovers without a hotplug event."""
        if self._pump is None:
            await self._start()
        return self.status

    async def close(self) -> None:
        await self._halt()
        self._inbox.fail(DeviceOffline(f"{self.name}: scanner closed"))
        await super().close()

    async def reconnect(self) -> None:
        """Reopen without failing a waiting read_code: it gets the first scan after the replug."""
        await self._halt()
        await self._start()

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """The hotplug monitor saw the port go: release it and go offline now, not at the next read."""
        await self._halt()
        self._gone(detail)

    async def read_code(self, *, timeout: float | None = None) -> Scan:
        if self._pump is None:
            await self._start()  # it may have come back since
            if self._pump is None and not self._inbox.pending():
                raise DeviceOffline(f"{self.name}: {self.status.detail or 'scanner not available'}")
        return await self._inbox.get(timeout, self.name)

    def discard_pending(self) -> int:
        """Forget kept scans, e.g. when a session ends; returns how many were dropped."""
        return self._inbox.clear()

    # event loop -------------------------------------------------------------------------------
    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self.worker.call(self._open_port, timeout=OPEN_TIMEOUT)
        except DeviceError as exc:
            self._set_reasons({exc.reason}, _one_line(exc))
            return
        stop = threading.Event()
        self._stop = stop
        self._pump = asyncio.ensure_future(self.worker.call(self._pump_blocking, stop, timeout=None))
        self._pump.add_done_callback(lambda fut: self._pump_ended(fut, stop))
        log.info("scanner.open", device=self.name, port=self.port)
        self._set_reasons(set(), self.port)

    async def _halt(self) -> None:
        """Stop the pump (it closes the port as it leaves) and wait until it has."""
        stop, pump = self._stop, self._pump
        self._stop = self._pump = None
        if stop is not None:
            stop.set()
        if pump is not None:
            await asyncio.wait([pump], timeout=STOP_TIMEOUT)
        try:
            await self.worker.call(self._close_port, timeout=STOP_TIMEOUT)
        except DeviceTimeout:
            pass  # the worker is stuck in the driver; close() shuts it down regardless

    def _pump_ended(self, fut: asyncio.Future, stop: threading.Event) -> None:
        if stop.is_set() or fut.cancelled():
            return  # stopped on purpose
        if self._stop is stop:
            self._stop = self._pump = None
        exc = fut.exception()
        self._gone(_one_line(exc) if exc else "read loop ended")
        if exc is not None and not isinstance(exc, DeviceOffline):
            log.error("scanner.pump_failed", device=self.name, error=type(exc).__name__)

    def _gone(self, detail: str) -> None:
        if self.status.usable:
            log.warning("scanner.lost", device=self.name, detail=detail)
        self._set_reasons({Reason.NO_DEVICE}, detail)
        self._inbox.fail(DeviceOffline(f"{self.name}: {detail}"))

    def _deliver(self, text: str) -> None:
        symbology, payload = split_aim(text) if self._aim else ("unknown", text)
        kept = self._inbox.put(Scan(payload, symbology, self.name))
        log.info("scanner.scan", device=self.name, symbology=symbology, length=len(payload), kept=kept)
        self._emit("scan", symbology=symbology, length=len(payload), kept=kept)

    # worker thread ------------------------------------------------------------------------------
    def _open_port(self) -> None:
        import serial  # pyserial; imported on use so that importing the driver opens and loads nothing

        self._close_port()
        try:
            # serial_for_url takes paths and URLs (spy:// hex-dumps traffic when recording fixtures)
            ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=SLICE, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise _open_error(self.port, exc) from exc
        ser.reset_input_buffer()  # bytes from before anyone listened belong to nobody
        self._ser = ser

    def _close_port(self) -> None:
        ser, self._ser = self._ser, None
        close_quietly(ser)

    def _pump_blocking(self, stop: threading.Event) -> None:
        import serial

        assembler = LineAssembler(end=self._end, char_gap=self._char_gap, max_length=self._max_length,
                                  on_discard=self._discarded)
        try:
            while not stop.is_set():
                ser = self._ser
                data = ser.read(max(1, ser.in_waiting))  # returns within SLICE
                if data:
                    wire.debug("rx %d bytes", len(data))
                now = time.monotonic()
                for raw in assembler.feed(data, now) if data else assembler.tick(now):
                    self._decoded(raw)
        except (serial.SerialException, OSError) as exc:  # EIO / "returned no data": the USB device went away
            raise DeviceOffline(f"{self.port} lost: {_one_line(exc)}") from exc
        finally:
            self._close_port()

    def _decoded(self, raw: bytes) -> None:
        text = decode_scan(raw, self._encoding)
        if text is None:
            self._discarded(f"not_{self._encoding}", len(raw))
            return
        self._to_loop(self._deliver, text)

    def _discarded(self, reason: str, length: int) -> None:
        log.warning("scanner.discarded", device=self.name, reason=reason, length=length)
        self._to_loop(functools.partial(self._emit, "discarded", reason=reason, length=length))

    def _to_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop is closed: nobody is listening any more


def _open_error(port: str, exc: BaseException) -> DeviceOffline:
    text = _one_line(exc)
    if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
        return DeviceOffline(f"{port}: permission denied; the kiosk user needs the group of 99-kiosk.rules",
                             reason=Reason.NOT_CONFIGURED)
    if "exclusively lock" in text:  # pyserial's flock: another process has the port open
        return DeviceOffline(f"{port}: another process owns the port", reason=Reason.HARDWARE_ERROR)
    return DeviceOffline(f"cannot open {port}: {text}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
