"""Resident ID card reader over a serial line: GA/T 467 SAM protocol through pyserial.

Why this shape: the SAM answers one frame per command and never speaks on
its own, so the driver is a strict request/reply loop run in the device's
worker thread: poll find-card (20 01) until SW3 9F, then select (20 02) and
read (30 01), re-sending find and select before every read as the SAM
requires. Every exchange has its own deadline from ``time.monotonic``;
pyserial reads are sliced to ``SLICE`` so a cancelled wait stops within
about 50 ms. Observations are handed to the event loop, which owns status.

Nothing personal is logged: the ``devices.idcard.wire`` debug logger sees
commands, lengths and SW codes, never a payload.
Registry entry: ("id_reader", "sam_serial") -> "devices.id_reader.sam_serial:SerialIdCardReader".
"""
from __future__ import annotations

import asyncio
import importlib
import logging
import termios
import threading
import time
from typing import Any

import structlog

from devices.base import driver_options, close_quietly
from devices.contracts import IdCardReader
from devices.errors import CardError, Cancelled, ConfigError, DeviceError, DeviceOffline, DeviceTimeout, \
    NoCard, ProtocolError
from devices.id_reader.card_data import PhotoDecoderRegistry, decode_text_block
from devices.id_reader.protocol import (CARD_MOVED, MIN_REPLY_LEN, RETRY_SEND, SW3_CODES, BadChecksum, Command, Frame,
                                        FrameParser, format_sam_id, parse_read_reply, sw3_error)
from devices.records import IdCard
from devices.status import Reason, Status

log = structlog.get_logger("devices.idcard")
wire = logging.getLogger("devices.idcard.wire")  # commands, lengths and SW codes only; never a payload

SLICE = 0.05  # longest single pyserial read, so the stop event is seen within ~50 ms
WRITE_TIMEOUT = 0.5  # a 10-byte command takes < 1 ms at 9600 baud; longer means flow control is stuck
GRACE = 1.0  # the worker's deadline exceeds the driver's own, so the thread's timeouts fire first

# option: (default, meaning); validated once in the constructor
OPTIONS: dict[str, tuple[Any, str]] = {
    "port": (None, "serial port or pyserial URL: /dev/ttyUSB0, /dev/serial/by-id/..., spy:///dev/ttyS1"),
    "baud": (115200, "line rate, 8N1; SAM modules ship at 115200"),
    "poll_interval": (0.1, "seconds between find-card polls while no card is on the reader"),
    "reply_timeout": (0.5, "seconds to wait for a short reply (find, select, SAM status); SAMs answer in < 100 ms"),
    "read_timeout": (2.0, "seconds to wait for the 30 01 reply: ~1 s RF read + 112 ms on the wire at 115200"),
    "retries": (2, "re-sends after a bad or missing reply; re-reads after the card moved (SW3 41/47/81)"),
    "fingerprint": (False, "read with 30 10 and keep the fingerprint templates in IdCard.extra['fingerprint']"),
    "photo_decoder": (None, "module:attr of a PhotoDecoder plug-in (vendor WLT library); none keeps WLT bytes"),
}


class SerialIdCardReader(IdCardReader):
    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("port",))
        for key in ("poll_interval", "reply_timeout", "read_timeout"):
            if not isinstance(cfg[key], (int, float)) or isinstance(cfg[key], bool) or cfg[key] <= 0:
                raise ConfigError(f"{name}: option {key!r} must be a positive number of seconds")
        for key, low in (("baud", 1), ("retries", 0)):
            if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < low:
                raise ConfigError(f"{name}: option {key!r} must be an integer >= {low}")
        self.port: str = cfg["port"]
        self.baud: int = cfg["baud"]
        self._poll = float(cfg["poll_interval"])
        self._reply_timeout = float(cfg["reply_timeout"])
        self._read_timeout = float(cfg["read_timeout"]) * (1.5 if cfg["fingerprint"] else 1.0)  # 2321 bytes + RF
        self._retries: int = cfg["retries"]
        self._fingerprint = bool(cfg["fingerprint"])
        self.photo_decoders = PhotoDecoderRegistry()
        if cfg["photo_decoder"]:
            self.photo_decoders.register(cfg["photo_decoder"], load_photo_decoder(cfg["photo_decoder"]))
        self._ser = None  # pyserial port; touched only on the worker thread
        self._parser = FrameParser(min_len=MIN_REPLY_LEN)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stops: set[threading.Event] = set()
        self.sam_id: str | None = None

    # contract ---------------------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"transport": "serial", "port": self.port, "baud": self.baud, "protocol": "GA/T 467 SAM",
                "card_types": ["resident", "hmt_residence", "foreign_permanent"], "fingerprint": self._fingerprint,
                "photo_decoders": self.photo_decoders.names(), "sam_id": self.sam_id}

    async def open(self) -> None:
        """Open the port and ask the SAM; a missing reader leaves status offline instead of raising."""
        await self.check_health()

    async def check_health(self) -> Status:
        """SAM status (11 FF): reopens a closed port first, so a replugged reader comes back here.

        While a read is polling, its find replies already keep status fresh; asking
        would only queue behind it on the worker and time out into a false "no reply".
        """
        if self._stops:
            return self.status
        budget = (self._retries + 1) * self._reply_timeout * 2 + GRACE
        try:
            await self._call(self._health_blocking, timeout=budget)
        except DeviceTimeout as exc:
            self._set_reasons({Reason.NO_REPLY}, str(exc))
        return self.status

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """Fail a pending read now; its polling thread stops within a slice and the port is reopened on replug."""
        await super().device_removed(detail)
        for stop in list(self._stops):
            stop.set()
        self.sam_id = None  # whatever is plugged in next may be another module

    async def close(self) -> None:
        self._fail_pending(f"{self.name}: closed")  # before the stops: a pending read ends offline, not cancelled
        for stop in list(self._stops):
            stop.set()
        try:
            await self._call(self._close_port, timeout=GRACE)
        except DeviceError:
            pass  # the worker is shut down below either way
        await super().close()

    async def read_card(self, *, timeout: float | None = None) -> IdCard:
        """Poll for a card, then select and read it.

        ``timeout`` bounds the wait for a card (NoCard when it passes); once a
        card answers, its read runs to completion within the I/O timeouts.
        Cancelling the awaiting task stops the polling thread within ~SLICE.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        sequence = (self._retries + 1) * (2 * self._reply_timeout + self._read_timeout) + self._poll
        stop = threading.Event()
        self._stops.add(stop)
        try:
            return await self._pending(self._call(self._read_blocking, deadline, stop,
                                                  timeout=None if timeout is None else timeout + sequence + GRACE))
        finally:
            stop.set()  # cancelled, timed out or done: the thread must not poll on
            self._stops.discard(stop)

    async def decode_photo(self, card: IdCard) -> bytes | None:
        """The card photo as an image through the configured plug-in; None without one."""
        if not card.photo or not self.photo_decoders.names():
            return None
        return await self.worker.call(self.photo_decoders.decode, card.photo, timeout=5.0)

    async def _call(self, fn, *args: Any, timeout: float | None) -> Any:
        self._loop = asyncio.get_running_loop()
        return await self.worker.call(fn, *args, timeout=timeout)

    # worker thread: observations -----------------------------------------------------------
    def _observe(self, reasons: set[Reason], detail: str = "") -> None:
        """Hand what the worker learned to the event loop, which owns status (and publishes once per change)."""
        if self._loop is None or Status.from_reasons(reasons, detail) == self.status:
            return  # the common case while polling: nothing new
        try:
            self._loop.call_soon_threadsafe(self._set_reasons, set(reasons), detail)
        except RuntimeError:
            pass  # the loop is closed: nobody is listening any more

    def _fail(self, exc: DeviceError) -> DeviceError:
        """Record what a failure says about the reader; card problems leave it healthy."""
        if isinstance(exc, DeviceOffline):
            self._close_port()
            self.sam_id = None  # whatever is plugged in next may be another module
        if not isinstance(exc, (CardError, NoCard, Cancelled)):
            self._observe({exc.reason}, _one_line(exc))
        return exc

    # worker thread: port -------------------------------------------------------------------
    def _ensure_open(self) -> None:
        if self._ser is not None:
            return
        import serial  # pyserial; imported on use so that importing the driver opens and loads nothing

        try:
            # serial_for_url takes paths and URLs (spy:// hex-dumps traffic for fixtures, rfc2217://)
            self._ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=SLICE,
                                              write_timeout=WRITE_TIMEOUT, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceOffline(f"cannot open {self.port}: {exc}") from exc
        self._parser.reset()

    def _close_port(self) -> None:
        ser, self._ser = self._ser, None
        close_quietly(ser)

    def _exchange(self, command: Command, timeout: float, stop: threading.Event | None) -> Frame:
        """Send one command and return its reply frame (one attempt)."""
        import serial

        self._ensure_open()
        ser = self._ser
        garbage = self._parser.garbage
        try:
            ser.reset_input_buffer()  # late bytes of an earlier exchange are not this reply
            self._parser.reset()
            ser.write(command.frame)
            wire.debug("tx %s %s", command.name, command.frame.hex(" "))
            deadline, received = time.monotonic() + timeout, 0
            while (remaining := deadline - time.monotonic()) > 0:
                if stop is not None and stop.is_set():
                    raise Cancelled(f"{self.name}: read cancelled")
                ser.timeout = min(remaining, SLICE)
                data = ser.read(self._parser.needed())
                received += len(data)
                frames = self._parser.feed(data) if data else []
                errors = self._parser.take_errors()
                for err in errors:
                    wire.debug("rx bad frame (%s): %s", type(err).__name__, err)
                if frames:
                    f = frames[0]
                    wire.debug("rx %s reply len=%d sw=%02x %02x %02x skipped=%d", command.name, len(f.body) + 1,
                               f.sw1, f.sw2, f.sw3, self._parser.garbage - garbage)
                    return f
                if any(isinstance(e, BadChecksum) for e in errors):
                    raise errors[-1]  # a whole frame arrived damaged; the SAM will not send another
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout(f"{self.name}: the port did not accept {command.name} (flow control)") from exc
        except (serial.SerialException, OSError, termios.error) as exc:  # tcflush on a vanished tty: termios.error
            raise DeviceOffline(f"{self.name}: port lost during {command.name}: {exc}") from exc
        if received:  # something answered, but never a whole frame: wrong baud rate, line noise, cut reply
            raise ProtocolError(f"{self.name}: {received} bytes but no valid frame in reply to {command.name}")
        raise DeviceTimeout(f"{self.name}: no reply to {command.name} within {timeout:g}s")

    def _command(self, command: Command, timeout: float, stop: threading.Event | None, *,
                 resend: bool = True) -> Frame:
        """Exchange with bounded re-sends; device-level SW3 (SAM fault, damaged command) raises here."""
        attempts = self._retries + 1 if resend else 1
        for attempt in range(attempts):
            try:
                frame = self._exchange(command, timeout, stop)
                if frame.sw3 in RETRY_SEND:
                    raise sw3_error(frame.sw3, command.name)
            except (ProtocolError, DeviceTimeout) as exc:
                if attempt + 1 >= attempts:
                    raise
                wire.debug("retry %s after %s", command.name, type(exc).__name__)
                continue
            info = SW3_CODES.get(frame.sw3)
            if info is None or info.reason is not None:  # SAM fault or unknown code: the reader, not the card
                raise sw3_error(frame.sw3, command.name)
            return frame
        raise AssertionError("unreachable")

    # worker thread: operations ---------------------------------------------------------------
    def _health_blocking(self) -> None:
        try:
            self._command(Command.SAM_STATUS, self._reply_timeout, None)
            if self.sam_id is None:
                self._read_sam_id()
            self._observe(set())
        except DeviceError as exc:
            self._fail(exc)

    def _read_sam_id(self) -> None:
        """The SAM's serial number (device identity, not personal data); optional on some modules."""
        try:
            frame = self._command(Command.SAM_ID, self._reply_timeout, None, resend=False)
            if frame.sw3 == 0x90:
                self.sam_id = format_sam_id(frame.payload)
                log.info("idcard.sam_id", device=self.name, sam_id=self.sam_id)
        except (ProtocolError, DeviceTimeout):
            pass  # not every module answers 12 FF; the reader still reads cards

    def _read_blocking(self, deadline: float | None, stop: threading.Event) -> IdCard:
        started = time.monotonic()
        try:
            card = self._read_sequence(deadline, stop)
        except DeviceError as exc:
            raise self._fail(exc)
        self._observe(set())
        log.info("idcard.read", device=self.name, card_type=str(card.card_type),
                 ms=round((time.monotonic() - started) * 1000))
        return card

    def _read_sequence(self, deadline: float | None, stop: threading.Event) -> IdCard:
        failures = 0  # sequence restarts after a moved card or a damaged reply; bounded by retries
        moved = False  # the last attempt saw the card and lost it
        read_cmd = Command.READ_FINGERPRINT if self._fingerprint else Command.READ
        while True:
            found = self._command(Command.FIND, self._reply_timeout, stop)
            self._observe(set())  # the SAM answers: the reader is fine whatever the card does
            if found.sw3 == 0x80:
                if moved:
                    raise CardError(f"{self.name}: the card was taken away before it could be read")
                wait = self._poll if deadline is None else min(self._poll, deadline - time.monotonic())
                if wait <= 0:
                    raise NoCard(f"{self.name}: no card within the wait")
                if stop.wait(wait):
                    raise Cancelled(f"{self.name}: read cancelled")
                continue
            if found.sw3 != 0x9F:
                raise sw3_error(found.sw3, "find card") or ProtocolError(f"SW3 {found.sw3:#04x} after find card")
            try:
                selected = self._command(Command.SELECT, self._reply_timeout, stop, resend=False)
                reply = selected if selected.sw3 != 0x90 else \
                    self._command(read_cmd, self._read_timeout, stop, resend=False)
            except (ProtocolError, DeviceTimeout):
                failures += 1
                if failures > self._retries:
                    raise
                continue  # the SAM wants find and select again before another read
            if reply.sw3 == 0x91 and read_cmd is Command.READ_FINGERPRINT:
                read_cmd = Command.READ  # no fingerprint on this card: read text and photo only
                continue
            if reply.sw3 in CARD_MOVED:
                failures += 1
                moved = reply.sw3 != 0x81  # a failed select is not yet a card lost mid-read
                if failures > self._retries:
                    raise sw3_error(reply.sw3, "select/read")
                continue
            if reply.sw3 != 0x90:
                raise sw3_error(reply.sw3, "select/read") or ProtocolError(f"SW3 {reply.sw3:#04x} after read")
            return self._decode(reply, read_cmd)

    def _decode(self, reply: Frame, read_cmd: Command) -> IdCard:
        parts = parse_read_reply(reply, fingerprint=read_cmd is Command.READ_FINGERPRINT)
        extra = {"fingerprint": parts.fingerprint} if parts.fingerprint else {}
        return decode_text_block(parts.text, parts.photo, extra=extra)


def load_photo_decoder(spec: str):
    """Import ``module:attr``; attr is a PhotoDecoder or a factory that makes one. ConfigError names the problem."""
    module_name, _, attr = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"photo_decoder {spec!r} cannot be loaded: {exc}") from exc
    decoder = target if callable(getattr(target, "decode", None)) and not isinstance(target, type) else target()
    if not callable(getattr(decoder, "decode", None)):
        raise ConfigError(f"photo_decoder {spec!r} has no decode(wlt) method")
    return decoder


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
