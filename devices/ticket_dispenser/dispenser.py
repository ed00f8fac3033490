"""The queue-ticket dispenser: a queue-number provider plus any receipt printer with a cutter.

Why this order: the printer's standing status is checked first, so a kiosk
that knows it is out of paper does not take a number that nobody will hold
(a "ghost" the hall would call for nobody). Then a number is taken with the
caller's request id, then printed. When printing fails the printer's own
error (MediaError, DeviceOffline, DeviceTimeout) is raised and the number is
kept: the same request id again prints the same number. A job that failed is
never reported as dispensed.

Registry entry: ("ticket_dispenser", "printer") -> "devices.ticket_dispenser.dispenser:PrinterTicketDispenser".
The printer is built through the registry from the ``printer`` table, so any
receipt-printer driver works and nothing here depends on one's internals.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import structlog

from devices import registry
from devices.base import driver_options
from devices.contracts import ReceiptPrinter, TicketDispenser
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout, MediaError
from devices.records import Cut, Feed, QrCode, Receipt, Text, Ticket
from devices.status import UNREACHABLE, Reason, State, Status
from devices.ticket_dispenser.queue import QueueError, QueueNumber, QueueProvider, QueueUnavailable
from devices.ticket_dispenser.queue_http import DEFAULT_OK_STATUS, HttpQueueProvider
from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider

log = structlog.get_logger("devices.ticket")

# option: (default, meaning); validated once in the constructor
OPTIONS: dict[str, tuple[Any, str]] = {
    "printer": (None, "the ticket printer as a receipt_printer table, e.g. {driver = 'escpos', "
                      "uri = 'tcp://10.0.0.5:9100'}; its other keys are that driver's options"),
    "queue": ("local", "'local' (numbering in SQLite on this kiosk) or the http(s) base URL of the hall's "
                       "queue system"),
    "queue_file": (None, "local numbering: the SQLite file, e.g. /var/lib/kiosk/queue.db (required for 'local')"),
    "prefixes": ({}, "local numbering: category -> prefix of 1-3 capital letters, e.g. {social = 'A'}; "
                     "a category that is itself 1-3 capital letters is its own prefix"),
    "digits": (3, "local numbering: zero-padded width (A023); past 999 numbers widen to A1000, never wrap"),
    "reset_time": ("00:00", "local numbering: local time HH:MM at which numbering starts again at 001"),
    "queue_endpoint": ("/take", "hall queue system: path of the take-number call under the base URL"),
    "queue_timeout_s": (5.0, "hall queue system: deadline of one take-number request, seconds"),
    "queue_ok_status": (list(DEFAULT_OK_STATUS), "hall queue system: values of the reply's 'status' meaning success"),
    "token_env": ("", "hall queue system: environment variable holding its bearer token"),
    "hall_name": ("", "printed at the top of every ticket"),
    "qr_url": ("", "QR payload, e.g. https://hall.example.gov.cn/rate?no={number}&d={date}; "
                   "{number}, {category}, {date} (YYYYMMDD) are filled in; empty prints no QR"),
}
GRACE = 0.5  # the printer's deadline is the caller's less this (at most a quarter), so its own timeout fires first
MEDIA_REASONS = (Reason.PAPER_OUT, Reason.COVER_OPEN, Reason.JAM, Reason.CUTTER_ERROR)


def new_request_id() -> str:
    """A fresh idempotency key, for callers that want to retry a dispense they start now."""
    return uuid.uuid4().hex


def ticket_layout(ticket: Ticket, hall_name: str | None = None) -> Receipt:
    """The ticket as device-neutral elements: pure, so the flow engine, previews and tests share it.

    Lines are kept within 32 columns (a 58 mm roll; a CJK character takes two)
    except the hall and service names, which the printer wraps. The number is
    at quadruple size because people read it from a distance and compare it
    with the hall's display.
    """
    hall = hall_name if hall_name is not None else ticket.hall_name
    elements: list = []
    if hall:
        elements.append(Text(hall, "center", 1, True))
    elements += [
        Text("排队号 Queue number", "center"),
        Text(ticket.number, "center", 4, True),
        Text(ticket.service_name, "center", 1, True),
        Feed(1),
        Text(f"前方等待 {ticket.waiting_ahead} 人", "center"),
        Text(f"Waiting ahead: {ticket.waiting_ahead}", "center"),
        Text(f"取号时间 Time {ticket.issued_at:%Y-%m-%d %H:%M}", "center"),
    ]
    if ticket.qr_payload:
        elements.append(QrCode(ticket.qr_payload))
    elements += [
        Text("请留意叫号，过号请重新取号", "center"),
        Text("Please listen for your number", "center"),
        Text("谢谢您的耐心等候 Thank you", "center"),
        Feed(2),
        Cut(),
    ]
    return Receipt(tuple(elements), job_id=f"ticket-{ticket.number}")


class PrinterTicketDispenser(TicketDispenser):
    """Numbers from a :class:`QueueProvider`, printed on a :class:`ReceiptPrinter`; status is the printer's.

    ``printer`` may be a ReceiptPrinter instance (tests, shared wiring) or a
    configuration table; ``provider`` may be passed instead of the queue options.
    """

    def __init__(self, name: str, *, provider: QueueProvider | None = None, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS)
        self.printer = _build_printer(name, cfg["printer"])
        self.provider = provider if provider is not None else _build_provider(name, cfg)
        self.hall_name: str = cfg["hall_name"]
        self.qr_url: str = cfg["qr_url"]
        try:
            self.qr_url.format(number="A001", category="A", date="20260101")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"{name}: option 'qr_url' may use only {{number}}, {{category}}, {{date}}") from exc
        self._queue_ok: bool | None = None  # for logging the queue going away and coming back once each
        self.printer.on_status(lambda event: self._set_status(event.new))  # as well as its printer
        self._set_status(self.printer.status)

    # lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        await self.printer.open()
        self._set_status(self.printer.status)
        try:
            await self.provider.open()
            self._queue_state(True)
        except QueueError as exc:  # not fatal: each dispense tries again and fails visibly
            self._queue_state(False, exc)

    async def close(self) -> None:
        await self.printer.close()
        await self.provider.close()
        await super().close()

    async def check_health(self) -> Status:
        self._set_status(await self.printer.check_health())
        return self.status

    def capabilities(self) -> dict[str, Any]:
        return {"printer": self.printer.capabilities(), "queue": self.provider.kind}

    # the job ---------------------------------------------------------------------------
    async def dispense(self, category: str, service_name: str, *, timeout: float = 30.0,
                       request_id: str | None = None) -> Ticket:
        """Take a number, print it, cut; the Ticket only once the printer confirmed it.

        ``timeout`` bounds the whole call: status check, number and print.
        Pass ``request_id`` to make a retry print the same number; without one a
        fresh id is made, and it is attached to any error as ``exc.request_id``
        so that the caller can still retry with it.
        """
        rid = request_id or new_request_id()
        deadline = time.monotonic() + timeout
        try:
            ticket = await self._pending(self._dispense(category, service_name, rid, deadline))
        except DeviceError as exc:
            exc.request_id = rid  # type: ignore[attr-defined]
            raise
        log.info("ticket.dispensed", device=self.name, number=ticket.number, category=category,
                 waiting_ahead=ticket.waiting_ahead)
        return ticket

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """The printer went away: it goes offline (the dispenser's status is its own), a pending dispense fails."""
        await self.printer.device_removed(detail)
        self._fail_pending(f"{self.name}: {detail}")

    async def _dispense(self, category: str, service_name: str, rid: str, deadline: float) -> Ticket:
        await self._printer_ready(deadline)
        number = await self._take_number(category, service_name, rid, deadline)
        ticket = Ticket(number.number, category, service_name, number.waiting_ahead, number.issued_at,
                        self.hall_name, self._qr_payload(number.number, category, number.issued_at))
        await self._print(ticket, rid, deadline)
        return ticket

    async def _printer_ready(self, deadline: float) -> None:
        """Refuse before taking a number when the printer is known unable; ask it again first (paper refilled?)."""
        if self.printer.status.state not in (State.ERROR, State.OFFLINE):
            return
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                status = await self.printer.check_health()
        except TimeoutError as exc:
            raise DeviceTimeout(f"{self.name}: printer did not answer a status check in time") from exc
        self._set_status(status)
        if status.state in (State.ERROR, State.OFFLINE):
            raise _status_error(self.name, status)

    async def _take_number(self, category: str, service_name: str, rid: str, deadline: float) -> QueueNumber:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())) as cm:
                number = await self.provider.take_number(category, service_name, request_id=rid)
        except TimeoutError as exc:
            if not cm.expired():
                raise
            error = QueueUnavailable(f"{self.name}: no queue number before the deadline")
            self._queue_state(False, error)
            raise error from exc
        except QueueError as exc:
            self._queue_state(False, exc)
            raise
        self._queue_state(True)
        return number

    async def _print(self, ticket: Ticket, rid: str, deadline: float) -> None:
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout(f"{self.name}: no time left to print {ticket.number}")
            try:  # the printer's own timeout fires first, with its reason; this backstop keeps the caller's deadline
                async with asyncio.timeout(remaining) as cm:
                    result = await self.printer.print_receipt(ticket_layout(ticket, self.hall_name),
                                                              timeout=remaining - min(GRACE, remaining / 4))
            except TimeoutError as exc:
                if not cm.expired():
                    raise
                raise DeviceTimeout(f"{self.name}: printer did not finish within {remaining:.1f}s") from exc
            if not result.printed:
                raise MediaError(f"{self.name}: printer did not confirm the ticket ({result.detail[:60]})",
                                 Reason.HARDWARE_ERROR)
        except DeviceError as exc:  # the number stays issued: the same request id prints it again
            log.warning("ticket.print_failed", device=self.name, number=ticket.number, request_id=rid,
                        error=type(exc).__name__, reason=str(exc.reason))
            raise

    def _qr_payload(self, number: str, category: str, issued_at: dt.datetime) -> str:
        if not self.qr_url:
            return ""
        return self.qr_url.format(number=quote(number, safe=""), category=quote(category, safe=""),
                                  date=issued_at.strftime("%Y%m%d"))

    def _queue_state(self, ok: bool, exc: Exception | None = None) -> None:
        """Log the queue going away and coming back once each, not on every ticket."""
        if ok == self._queue_ok:
            return
        self._queue_ok = ok
        if ok:
            log.info("ticket.queue_ok", device=self.name, queue=self.provider.kind)
        else:
            log.warning("ticket.queue_failed", device=self.name, queue=self.provider.kind,
                        error=type(exc).__name__, detail=str(exc)[:120])


def _build_printer(name: str, spec: Any) -> ReceiptPrinter:
    if isinstance(spec, ReceiptPrinter):
        return spec
    if not isinstance(spec, Mapping) or not isinstance(spec.get("driver"), str):
        raise ConfigError(f"{name}: option 'printer' is required ({OPTIONS['printer'][1]})")
    opts = dict(spec)
    driver = opts.pop("driver")
    try:
        return registry.build(f"{name}.printer", "receipt_printer", driver, **opts)  # type: ignore[return-value]
    except ConfigError as exc:
        raise ConfigError(f"{name}.printer: {exc}") from exc


def _build_provider(name: str, cfg: dict[str, Any]) -> QueueProvider:
    try:
        if cfg["queue"] == "local":
            if not cfg["queue_file"] or not isinstance(cfg["queue_file"], str):
                raise ConfigError(f"option 'queue_file' is required ({OPTIONS['queue_file'][1]})")
            return SqliteQueueProvider(cfg["queue_file"], dict(cfg["prefixes"]), cfg["digits"], cfg["reset_time"])
        token = None
        if cfg["token_env"]:
            token = os.environ.get(cfg["token_env"]) or None
            if token is None:  # the variable's name only, never a value
                raise ConfigError(f"option 'token_env': environment variable {cfg['token_env']} is not set")
        return HttpQueueProvider(cfg["queue"], cfg["queue_timeout_s"], token, path=cfg["queue_endpoint"],
                                 ok_status=cfg["queue_ok_status"])
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _status_error(name: str, status: Status) -> DeviceError:
    """The error the printer itself would raise for this standing condition."""
    detail = ", ".join(sorted(str(r) for r in status.reasons)) or str(status.state)
    if Reason.NO_REPLY in status.reasons and Reason.NO_DEVICE not in status.reasons:
        return DeviceTimeout(f"{name}: printer does not answer ({detail})", Reason.NO_REPLY)
    if status.reasons & UNREACHABLE or status.state == State.OFFLINE:
        return DeviceOffline(f"{name}: printer unreachable ({detail})")
    for reason in MEDIA_REASONS:
        if reason in status.reasons:
            return MediaError(f"{name}: printer not ready ({detail})", reason)
    return DeviceError(f"{name}: printer not ready ({detail})", next(iter(sorted(status.reasons)), None))
