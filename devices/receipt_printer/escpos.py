"""ESC/POS receipt printer driver: our encoder, our status parser, thin transports.

Why this shape: python-escpos 3.1 mis-encodes Chinese, reports "paper OK"
when the printer is silent and cannot confirm delivery (#253). Here every
job is framed by real-time status polls (DLE EOT 1..4) and closed by GS r 1,
which the printer answers only after it has processed everything before it;
a job counts as printed only when that answer came and the status after it
is sane. Anything else raises, and a failed job is never reported printed.

All blocking I/O runs in the device's worker thread with deadlines taken
from ``time.monotonic``; status is published from the event loop.
Registry entry: ("receipt_printer", "escpos") -> "devices.receipt_printer.escpos:EscposReceiptPrinter".
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from devices.base import driver_options
from devices.contracts import ReceiptPrinter
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError, ProtocolError
from devices.receipt_printer.encode import EncodeError, ReceiptEncoder, get_profile
from devices.receipt_printer.status import (GS_R_PAPER, STATUS_KINDS, RealtimeStatus, is_dle_eot_reply, is_gs_r_reply,
                                            parse, request)
from devices.receipt_printer.transport import Transport
from devices.receipt_printer.uri import open_transport
from devices.records import PrintResult, Receipt
from devices.status import BLOCKING, Reason, Status

log = structlog.get_logger("devices.escpos")
wire = logging.getLogger("devices.escpos.wire")  # raw status traffic only; job bytes are logged by length

XON_XOFF = (0x11, 0x13)  # serial flow control bytes a printer may interleave with replies
MEDIA_REASONS = (Reason.COVER_OPEN, Reason.PAPER_OUT, Reason.JAM, Reason.CUTTER_ERROR)  # by what to fix first

# option: (default, meaning); validated once in the constructor
OPTIONS: dict[str, tuple[Any, str]] = {
    "uri": (None, "tcp://HOST[:PORT], serial:///dev/ttyUSB0?baud=115200, usb://VID:PID (hex)"),
    "profile": ("generic-gb18030", "capability profile name, see devices.receipt_printer.encode.PROFILES"),
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
        report = await self._pending(self.worker.call(self._job_blocking, receipt, deadline, timeout=timeout + GRACE))
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
