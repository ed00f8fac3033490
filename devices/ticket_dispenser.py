"""The queue-ticket dispenser: a numbering provider plus a receipt printer with a cutter.

The number is taken before printing, with the caller's request id, so that
a paper fault followed by a retry prints the same number again instead of
skipping one; a job that failed raises and is never reported as dispensed.
"""
from __future__ import annotations

import os
import uuid
from typing import Any

from devices.base import driver_options
from devices.contracts import ReceiptPrinter, TicketDispenser
from devices.queue_provider import HttpQueueProvider, QueueProvider, SqliteQueueProvider
from devices.records import Cut, Feed, QrCode, Receipt, Text, Ticket

OPTIONS: dict[str, tuple[Any, str]] = {
    "printer_uri": ("", "URI of the ticket printer: tcp://HOST:PORT, serial:///dev/kiosk/ticket?baud=115200, usb://VID:PID"),
    "profile": ("generic-gb18030", "ESC/POS printer profile (see devices.escpos_encode.PROFILES)"),
    "queue": ("local", "'local' (SQLite numbering) or the http(s) URL of the hall's queue system"),
    "queue_db": ("/var/lib/kiosk/queue.db", "SQLite file of the local numbering"),
    "prefixes": ({}, "category -> number prefix, e.g. {social = 'A', housing = 'B'}"),
    "hall_name": ("", "printed at the top of every ticket"),
    "qr_url": ("", "QR payload template, e.g. https://hall.example.gov.cn/q/{number}; empty for none"),
    "token_env": ("", "environment variable holding the queue system's bearer token"),
}


def ticket_layout(ticket: Ticket, hall_name: str = "") -> Receipt:
    """Number at quadruple size, people ahead, time, QR; bilingual where a foreigner needs it."""
    elements: list = []
    if hall_name:
        elements.append(Text(hall_name, "center", 1, True))
    elements += [
        Text(ticket.service_name, "center", 2, True),
        Text(ticket.number, "center", 4, True),
        Text(f"前方等待 {ticket.waiting_ahead} 人  {ticket.waiting_ahead} ahead of you", "center"),
        Text(ticket.issued_at.strftime("%Y-%m-%d %H:%M"), "center"),
    ]
    if ticket.qr_payload:
        elements.append(QrCode(ticket.qr_payload))
    elements += [Text("请留意叫号，过号请重新取号", "center"), Text("Please listen for your number", "center"),
                 Feed(2), Cut()]
    return Receipt(tuple(elements), job_id=ticket.number)


class PrinterTicketDispenser(TicketDispenser):
    def __init__(self, name: str, printer: ReceiptPrinter | None = None, provider: QueueProvider | None = None,
                 **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=() if printer else ("printer_uri",))
        if printer is None:
            from devices.escpos_printer import EscposReceiptPrinter

            printer = EscposReceiptPrinter(f"{name}-printer", uri=cfg["printer_uri"], profile=cfg["profile"])
        if provider is None:
            if cfg["queue"] == "local":
                provider = SqliteQueueProvider(cfg["queue_db"], dict(cfg["prefixes"]))
            else:
                token = os.environ.get(cfg["token_env"]) if cfg["token_env"] else None
                provider = HttpQueueProvider(cfg["queue"], token=token)
        self.printer, self.provider = printer, provider
        self.hall_name, self.qr_url = cfg["hall_name"], cfg["qr_url"]
        printer.on_status(lambda event: self._set_status(event.new))  # a dispenser is as well as its printer

    async def open(self) -> None:
        await self.printer.open()
        self._set_status(self.printer.status)

    async def close(self) -> None:
        await self.printer.close()
        await super().close()

    async def check_health(self):
        self._set_status(await self.printer.check_health())
        return self.status

    def capabilities(self) -> dict:
        return {"printer": self.printer.capabilities(), "queue": type(self.provider).__name__}

    async def dispense(self, category: str, service_name: str, *, timeout: float = 30.0,
                       request_id: str | None = None) -> Ticket:
        q = await self.provider.take_number(category, service_name, request_id=request_id or uuid.uuid4().hex)
        ticket = Ticket(q.number, category, service_name, q.waiting_ahead, q.issued_at, self.hall_name,
                        self.qr_url.format(number=q.number) if self.qr_url else "")
        await self.printer.print_receipt(ticket_layout(ticket, self.hall_name), timeout=timeout)
        return ticket
