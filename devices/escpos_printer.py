"""ESC/POS receipt printer driver: our encoder, our status parser, thin transports.

Why this shape: python-escpos 3.1 mis-encodes Chinese, reports "paper OK"
when the printer is silent and cannot confirm delivery (#253). Here every
job is framed by real-time status polls (DLE EOT 1..4) and closed by GS r 1,
which the printer answers only after it has processed everything before it;
a job counts as printed only when that answer came and the status after it
is sane. Anything else raises, and a failed job is never reported printed.

All blocking I/O runs in the device's worker thread with deadlines taken
from ``time.monotonic``; status is published from the event loop.
Registry entry: ("receipt_printer", "escpos") -> "devices.escpos_printer:EscposReceiptPrinter".
"""
from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog

from devices.base import driver_options
from devices.contracts import ReceiptPrinter
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.escpos_encode import EncodeError, ReceiptEncoder, get_profile
from devices.escpos_status import (GS_R_PAPER, STATUS_KINDS, RealtimeStatus, is_dle_eot_reply, is_gs_r_reply,
                                   parse, request)
from devices.records import PrintResult, Receipt
from devices.status import BLOCKING, Reason, Status

log = structlog.get_logger("devices.escpos")
wire = logging.getLogger("devices.escpos.wire")  # raw status traffic only; job bytes are logged by length

XON_XOFF = (0x11, 0x13)  # serial flow control bytes a printer may interleave with replies
MEDIA_REASONS = (Reason.COVER_OPEN, Reason.PAPER_OUT, Reason.JAM, Reason.CUTTER_ERROR)  # by what to fix first

# option: (default, meaning); validated once in the constructor
OPTIONS: dict[str, tuple[Any, str]] = {
    "uri": (None, "tcp://HOST[:PORT], serial:///dev/ttyUSB0?baud=115200, usb://VID:PID (hex)"),
    "profile": ("generic-gb18030", "capability profile name, see devices.escpos_encode.PROFILES"),
    "profile_overrides": ({}, "per-installation profile fields, e.g. {dots_per_line: 384}"),
    "unprintable": ("raster", "characters the printer font lacks: 'raster' the line or 'fail' the job"),
    "font_path": (None, "CJK font for raster lines; searched when not set"),
    "connect_timeout": (3.0, "seconds to open the connection"),
    "status_timeout": (0.5, "seconds to wait for each DLE EOT reply"),
    "poll_interval": (0.5, "seconds between DLE EOT 1 probes while waiting for GS r"),
}
GRACE = 0.5  # the worker's deadline is the job's plus this, so the thread's own timeouts fire first


@dataclass
class _Report:
    """What a blocking call saw, handed back to the event loop (status is published there)."""

    observed: list[tuple[frozenset[Reason], str]] = field(default_factory=list)
    result: PrintResult | None = None
    error: DeviceError | None = None


class EscposReceiptPrinter(ReceiptPrinter):
    def __init__(self, name: str, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("uri",))
        for key in ("connect_timeout", "status_timeout", "poll_interval"):
            if not isinstance(cfg[key], (int, float)) or cfg[key] <= 0:
                raise ConfigError(f"{name}: option {key!r} must be a positive number of seconds")
        self.uri: str = cfg["uri"]
        self.profile = get_profile(cfg["profile"], **dict(cfg["profile_overrides"]))
        self.encoder = ReceiptEncoder(self.profile, unprintable=cfg["unprintable"], font_path=cfg["font_path"])
        self._transport: Transport = open_transport(self.uri)  # parses the URI only; no I/O
        self._connect_timeout = float(cfg["connect_timeout"])
        self._status_timeout = float(cfg["status_timeout"])
        self._poll_interval = float(cfg["poll_interval"])
        self._connected = False
        self._gs_r_pending = False

    # contract -----------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        p = self.profile
        return {"profile": p.name, "cjk_encoding": p.encoding, "chinese_mode_cmds": p.chinese_mode_cmds,
                "native_qr": p.native_qr, "dots_per_line": p.dots_per_line, "paper_width_mm": p.dots_per_line / 8,
                "cut": True, "partial_cut": True, "unprintable": self.encoder.unprintable,
                "transport": self.uri.split(":", 1)[0]}

    async def open(self) -> None:
        """Connect and poll once; a missing printer leaves status offline instead of raising."""
        await self.check_health()

    async def close(self) -> None:
        try:
            await self.worker.call(self._disconnect, timeout=self._connect_timeout)
        except DeviceError:
            pass  # the worker is shut down below either way
        await super().close()

    async def check_health(self) -> Status:
        budget = self._connect_timeout + len(STATUS_KINDS) * self._status_timeout
        try:
            report = await self.worker.call(self._health_blocking, time.monotonic() + budget,
                                            timeout=budget + GRACE)
        except DeviceTimeout as exc:
            report = _Report(observed=[(frozenset({Reason.NO_REPLY}), str(exc))])
        self._publish(report)
        return self.status

    async def print_receipt(self, receipt: Receipt, *, timeout: float = 30.0) -> PrintResult:
        """Print and cut; returns printed=True only after GS r 1 and a sane status after the job."""
        deadline = time.monotonic() + timeout
        report = await self.worker.call(self._job_blocking, receipt, deadline, timeout=timeout + GRACE)
        self._publish(report)
        if report.error is not None:
            log.warning("escpos.job_failed", device=self.name, job_id=receipt.job_id,
                        reason=str(report.error.reason), error=type(report.error).__name__)
            raise report.error
        assert report.result is not None
        return report.result

    def _publish(self, report: _Report) -> None:
        for reasons, detail in report.observed:
            self._set_reasons(set(reasons), detail)

    # blocking side (worker thread) ---------------------------------------------
    def _health_blocking(self, deadline: float) -> _Report:
        report = _Report()
        try:
            self._connect(deadline)
            status = self._poll(deadline)
            report.observed.append((status.reasons(self.profile.model_reason), status.detail()))
        except DeviceError as exc:
            self._disconnect()
            report.observed.append((frozenset({exc.reason}), str(exc)))
        return report

    def _job_blocking(self, receipt: Receipt, deadline: float) -> _Report:
        report = _Report()
        unconfirmed = False  # the status after the job was sane, only GS r never came
        try:
            job = self.encoder.encode(receipt)  # before any I/O: an unprintable receipt sends nothing
        except EncodeError as exc:
            report.error = exc  # the printer is fine; its status does not change
            return report
        try:
            self._connect(deadline)
            before = self._poll(deadline)
            report.observed.append((before.reasons(self.profile.model_reason), before.detail()))
            self._refuse_unless_usable(before, after=False)
            self._transport.write(job.data, deadline)
            wire.debug("tx job=%s bytes=%d raster_lines=%d", receipt.job_id, len(job.data), job.raster_lines)
            confirmed = True
            if self.profile.confirm_with_gs_r:
                # keep time for the status poll that follows, whatever happens here
                confirmed = self._await_processed(deadline - len(STATUS_KINDS) * self._status_timeout)
            after = self._poll(deadline)
            reasons = after.reasons(self.profile.model_reason)
            report.observed.append((reasons, after.detail()))
            self._refuse_unless_usable(after, after=True)
            if not confirmed:
                unconfirmed = True
                raise DeviceTimeout("the printer did not confirm the job (GS r) in time; outcome unknown")
            report.result = PrintResult(receipt.job_id, printed=True, pages=1,
                                        detail="paper low" if Reason.PAPER_LOW in reasons else "")
            log.info("escpos.job_printed", device=self.name, job_id=receipt.job_id, bytes=len(job.data),
                     raster_lines=job.raster_lines, paper_low=Reason.PAPER_LOW in reasons)
        except DeviceError as exc:
            report.error = exc
            if isinstance(exc, (DeviceOffline, DeviceTimeout, ProtocolError, ConfigError)):
                self._disconnect()  # late bytes from this exchange must not be read as the next reply
                seen = bool(report.observed) and exc.reason in report.observed[-1][0]
                if not (seen or unconfirmed):  # e.g. connection lost or data refused mid-job
                    report.observed.append((frozenset({exc.reason}), str(exc)))
        return report

    def _refuse_unless_usable(self, status: RealtimeStatus, *, after: bool) -> None:
        """Raise the typed error for a status that must stop (or fail) a job."""
        reasons = status.reasons(self.profile.model_reason)
        if Reason.NO_REPLY in reasons:
            msg = "no reply to DLE EOT" + (" after the job; outcome unknown" if after else "")
            raise (DeviceTimeout if after else DeviceOffline)(msg, reason=Reason.NO_REPLY)
        if status.printable and not reasons & BLOCKING:
            return
        when = "after the job" if after else "before the job"
        for reason in MEDIA_REASONS:
            if reason in reasons:
                raise MediaError(f"{reason} {when} ({status.detail()})", reason=reason)
        if Reason.BUSY in reasons:
            raise DeviceOffline(f"printer offline {when} ({status.detail()})", reason=Reason.BUSY)
        raise DeviceError(f"printer error {when} ({status.detail()})", reason=Reason.HARDWARE_ERROR)

    def _connect(self, deadline: float) -> None:
        if not self._connected:
            self._transport.open(min(self._connect_timeout, max(0.0, deadline - time.monotonic())))
            self._connected = True
            self._gs_r_pending = False

    def _disconnect(self) -> None:
        self._connected = False
        self._transport.close()

    def _read_reply(self, until: float, accept_gs_r: bool = False) -> int | None:
        """The next reply byte before ``until``, skipping XON/XOFF and stale GS r answers."""
        while True:
            b = self._transport.read_byte(until)
            if b is None:
                return None
            wire.debug("rx %02x", b)
            if b in XON_XOFF:
                continue
            if self._gs_r_pending and not accept_gs_r and is_gs_r_reply(b):
                self._gs_r_pending = False  # a late answer to the last job's GS r
                continue
            return b

    def _poll(self, deadline: float) -> RealtimeStatus:
        """DLE EOT 1..4, one byte each; stops at the first silence (the printer is not there)."""
        self._transport.drain()
        replies: dict[int, int | None] = {}
        for n in STATUS_KINDS:
            self._transport.write(request(n), deadline)
            wire.debug("tx %s", request(n).hex(" "))
            replies[n] = self._read_reply(min(deadline, time.monotonic() + self._status_timeout))
            if replies[n] is None:
                break
        return parse(replies)

    def _await_processed(self, deadline: float) -> bool:
        """Send GS r 1 and wait for its answer, probing DLE EOT 1 meanwhile.

        GS r is answered only once the data before it is processed, so its
        answer means the receipt is out. A paper-out printer goes offline and
        never answers it; the DLE EOT 1 probes (real-time, told apart by bit 4)
        notice that within ``poll_interval`` instead of at the deadline.
        """
        self._transport.write(GS_R_PAPER, deadline)
        self._gs_r_pending = True
        probe_at, probe_sent = time.monotonic() + self._poll_interval, None
        while time.monotonic() < deadline:
            until = min(deadline, probe_at if probe_sent is None else probe_sent + self._status_timeout)
            b = self._read_reply(until, accept_gs_r=True)
            if b is None:
                if probe_sent is not None and time.monotonic() >= probe_sent + self._status_timeout:
                    return False  # not even real-time requests are answered
                if probe_sent is None and time.monotonic() >= probe_at:
                    self._transport.write(request(1), deadline)
                    probe_sent = time.monotonic()
                continue
            if is_gs_r_reply(b):
                self._gs_r_pending = False
                return True
            if not is_dle_eot_reply(b):
                raise ProtocolError(f"unexpected byte {b:#04x} while waiting for the job to finish")
            if b & 0x08:  # DLE EOT 1 bit 3: offline (paper end, cover, error); the poll says which
                return False
            probe_at, probe_sent = time.monotonic() + self._poll_interval, None
        return False


# Transports: thin, blocking, deadline-driven. Each reads into a small buffer so
# that replies can be taken one byte at a time whatever the link delivers.

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


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeviceTimeout("deadline passed while sending to the printer")
    return remaining


class TcpTransport(Transport):
    """Raw TCP (port 9100, "JetDirect"), one connection kept open between jobs."""

    CHUNK = 16384  # sent piecewise so the deadline is re-applied while a slow printer drains its buffer

    def __init__(self, host: str, port: int):
        super().__init__()
        self.host, self.port = host, port
        self._sock: socket.socket | None = None

    def open(self, timeout: float) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=max(timeout, 0.01))
        except OSError as exc:
            raise DeviceOffline(f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # status requests are 3 bytes
        self._rx.clear()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise DeviceOffline("not connected")
        return self._sock

    def write(self, data: bytes, deadline: float) -> None:
        sock = self._live()
        try:
            for i in range(0, len(data), self.CHUNK):
                sock.settimeout(_remaining(deadline))
                sock.sendall(data[i:i + self.CHUNK])
        except TimeoutError as exc:
            raise DeviceTimeout("the printer stopped accepting data") from exc
        except OSError as exc:
            raise DeviceOffline(f"connection lost while sending: {exc.strerror or exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        sock = self._live()
        try:
            sock.settimeout(timeout if timeout > 0 else 0.0)
            data = sock.recv(256)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise DeviceOffline(f"connection lost: {exc.strerror or exc}") from exc
        if not data:
            raise DeviceOffline("the printer closed the connection")
        return data


class SerialTransport(Transport):
    """RS-232 or USB-serial through pyserial."""

    def __init__(self, port: str, baud: int, rtscts: bool, xonxoff: bool):
        super().__init__()
        self.port, self.baud, self.rtscts, self.xonxoff = port, baud, rtscts, xonxoff
        self._ser = None

    def open(self, timeout: float) -> None:
        import serial  # pyserial; imported on use so that TCP-only kiosks do not need it

        try:
            # serial_for_url also takes pyserial URLs (spy:// hex-dumps traffic for fixtures, socket://)
            self._ser = serial.serial_for_url(self.port, baudrate=self.baud, timeout=0, write_timeout=timeout,
                                              rtscts=self.rtscts, xonxoff=self.xonxoff)
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"cannot open {self.port}: {exc}") from exc
        self._rx.clear()

    def close(self) -> None:
        if self._ser is not None:
            self._ser.close()
            self._ser = None

    def write(self, data: bytes, deadline: float) -> None:
        import serial

        if self._ser is None:
            raise DeviceOffline("not connected")
        try:
            self._ser.write_timeout = _remaining(deadline)
            self._ser.write(data)
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout("the printer stopped accepting data (flow control)") from exc
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"serial port lost: {exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        import serial

        if self._ser is None:
            raise DeviceOffline("not connected")
        try:
            self._ser.timeout = max(timeout, 0.0)
            return self._ser.read(max(1, self._ser.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceOffline(f"serial port lost: {exc}") from exc


class UsbTransport(Transport):
    """USB printer class, bulk endpoints through pyusb (detaches usblp like python-escpos)."""

    def __init__(self, vid: int, pid: int, interface: int = 0):
        super().__init__()
        self.vid, self.pid, self.interface = vid, pid, interface
        self._dev = self._ep_out = self._ep_in = None

    def open(self, timeout: float) -> None:
        try:
            import usb.core
            import usb.util
        except ImportError as exc:
            raise ConfigError("usb:// printers need pyusb (pip install pyusb)") from exc
        try:
            dev = usb.core.find(idVendor=self.vid, idProduct=self.pid)
        except usb.core.NoBackendError as exc:  # pyusb is there, the C library it drives is not
            raise ConfigError("usb:// printers need libusb-1.0 (Debian package libusb-1.0-0)") from exc
        if dev is None:
            raise DeviceOffline(f"no USB device {self.vid:04x}:{self.pid:04x}")
        try:
            if dev.is_kernel_driver_active(self.interface):
                dev.detach_kernel_driver(self.interface)  # usblp holds printer-class devices
            if dev.get_active_configuration() is None:
                dev.set_configuration()
            intf = dev.get_active_configuration()[(self.interface, 0)]
            direction = usb.util.endpoint_direction
            self._ep_out = usb.util.find_descriptor(
                intf, custom_match=lambda e: direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT)
            self._ep_in = usb.util.find_descriptor(
                intf, custom_match=lambda e: direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN)
            usb.util.claim_interface(dev, self.interface)
        except (usb.core.USBError, NotImplementedError) as exc:
            raise DeviceOffline(f"cannot claim USB device {self.vid:04x}:{self.pid:04x}: {exc}") from exc
        if self._ep_out is None or self._ep_in is None:
            raise ConfigError(f"USB device {self.vid:04x}:{self.pid:04x} has no bulk IN/OUT pair; not a printer?")
        self._dev = dev
        self._rx.clear()

    def close(self) -> None:
        if self._dev is not None:
            import usb.util

            usb.util.dispose_resources(self._dev)
            self._dev = None

    def write(self, data: bytes, deadline: float) -> None:
        import usb.core

        if self._dev is None:
            raise DeviceOffline("not connected")
        try:
            # 4 KiB bulk transfers: one long transfer times out on slow printers (python-escpos#17, #628)
            for i in range(0, len(data), 4096):
                self._ep_out.write(data[i:i + 4096], timeout=max(1, int(_remaining(deadline) * 1000)))
        except usb.core.USBTimeoutError as exc:
            raise DeviceTimeout("the printer stopped accepting data") from exc
        except usb.core.USBError as exc:
            raise DeviceOffline(f"USB transfer failed: {exc}") from exc

    def _recv(self, timeout: float) -> bytes:
        import usb.core

        if self._dev is None:
            raise DeviceOffline("not connected")
        try:
            return bytes(self._ep_in.read(self._ep_in.wMaxPacketSize, timeout=max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise DeviceOffline(f"USB transfer failed: {exc}") from exc


def open_transport(uri: str) -> Transport:
    """The transport for a URI; validates it and does no I/O. ConfigError names the problem."""
    parts = urlsplit(uri)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}

    def take(allowed: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(set(query) - set(allowed))
        if bad:
            raise ConfigError(f"{uri}: unknown parameter {bad[0]!r}; known: {', '.join(allowed) or 'none'}")
        try:
            return {k: conv(query[k]) if k in query else default for k, (conv, default) in allowed.items()}
        except ValueError as exc:
            raise ConfigError(f"{uri}: bad parameter value ({exc})") from exc

    flag = lambda v: v.lower() in ("1", "true", "yes", "on")  # noqa: E731
    if parts.scheme == "tcp":
        take({})
        try:
            port = parts.port or 9100  # raw printing port of almost every network receipt printer
        except ValueError as exc:
            raise ConfigError(f"{uri}: bad port") from exc
        if not parts.hostname:
            raise ConfigError(f"{uri}: tcp:// needs a host, e.g. tcp://192.168.1.50:9100")
        return TcpTransport(parts.hostname, port)
    if parts.scheme == "serial":
        opts = take({"baud": (int, 9600), "rtscts": (flag, False), "xonxoff": (flag, False)})
        if not parts.path or parts.netloc:
            raise ConfigError(f"{uri}: serial:// needs a device path, e.g. serial:///dev/ttyUSB0?baud=115200")
        return SerialTransport(parts.path, opts["baud"], opts["rtscts"], opts["xonxoff"])
    if parts.scheme == "usb":
        opts = take({"interface": (int, 0)})
        try:
            vid, pid = (int(x, 16) for x in parts.netloc.split(":"))
        except ValueError as exc:
            raise ConfigError(f"{uri}: usb:// needs VID:PID in hex, e.g. usb://0416:5011") from exc
        return UsbTransport(vid, pid, opts["interface"])
    raise ConfigError(f"{uri}: unsupported scheme {parts.scheme!r}; use tcp://, serial:// or usb://")
