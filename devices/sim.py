"""Simulated twins of every device class, scriptable, for the demo and flow tests.

They run only when configuration names the ``sim`` driver; the runtime never
falls back to them. Faults are injected on demand (``inject``) or on a
schedule (``inject_after``), and each twin reports status exactly as its
real driver would, so the engine and the UI cannot tell the difference.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any, ClassVar

from devices.base import driver_options
from devices.contracts import (CodeScanner, DocumentPrinter, HelpPanel, IdCardReader, ReceiptPrinter,
                               TicketDispenser)
from devices.errors import CardError, DeviceOffline, DeviceTimeout, MediaError, NoCard
from devices.records import IdCard, PrintResult, Receipt, Scan, Ticket
from devices.status import Reason

FAULTS = {
    "paper_low": Reason.PAPER_LOW, "paper_out": Reason.PAPER_OUT, "cover_open": Reason.COVER_OPEN,
    "jam": Reason.JAM, "cutter_error": Reason.CUTTER_ERROR, "unplug": Reason.NO_DEVICE,
    "sam_error": Reason.SAM_ERROR, "toner_low": Reason.TONER_LOW,
}
BLOCKING_JOB = {Reason.PAPER_OUT, Reason.COVER_OPEN, Reason.JAM, Reason.CUTTER_ERROR, Reason.NO_DEVICE}


class SimMixin:
    """Fault injection shared by every twin."""

    # option -> (default, description); a misspelt option is an error here too, as with the real drivers
    OPTIONS: ClassVar[dict[str, tuple[Any, str]]] = {}

    def _sim_init(self) -> None:
        driver_options(self.name, self.options, self.OPTIONS)
        self.faults: set[Reason] = set()
        self.scheduled: list[tuple[int, Reason]] = []  # (jobs from now, fault)
        self.jobs = 0

    async def open(self) -> None:
        self._publish()

    def inject(self, fault: str) -> None:
        self.faults.add(FAULTS[fault])
        self._publish()

    def clear(self, fault: str | None = None) -> None:
        if fault is None:
            self.faults.clear()
        else:
            self.faults.discard(FAULTS[fault])
        self._publish()

    def inject_after(self, jobs: int, fault: str) -> None:
        """The fault strikes during the job `jobs` from now (1 = the next one)."""
        self.scheduled.append((self.jobs + jobs, FAULTS[fault]))

    def _publish(self) -> None:
        self._set_reasons(set(self.faults), "simulated")

    def _job_faults(self) -> set[Reason]:
        self.jobs += 1
        due = {f for n, f in self.scheduled if n <= self.jobs}
        self.scheduled = [(n, f) for n, f in self.scheduled if n > self.jobs]
        return due

    async def check_health(self):
        return self.status


class SimIdCardReader(SimMixin, IdCardReader):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self._cards: asyncio.Queue = asyncio.Queue()

    def insert_card(self, card: IdCard | None) -> None:
        """Put a card on the reader; None simulates a card that cannot be read."""
        self._cards.put_nowait(card)

    async def read_card(self, *, timeout: float | None = None) -> IdCard:
        while True:
            if Reason.NO_DEVICE in self.faults:
                raise DeviceOffline(f"{self.name}: reader unplugged")
            try:
                card = await asyncio.wait_for(self._cards.get(), timeout)
            except asyncio.TimeoutError:
                raise NoCard(f"{self.name}: no card within {timeout}s") from None
            if Reason.NO_DEVICE in self.faults:
                raise DeviceOffline(f"{self.name}: reader unplugged")
            if card is None or Reason.SAM_ERROR in self.faults:
                raise CardError(f"{self.name}: card could not be read")
            return card


class SimCodeScanner(SimMixin, CodeScanner):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self._codes: asyncio.Queue = asyncio.Queue()

    def scan(self, data: str, symbology: str = "qr") -> None:
        self._codes.put_nowait(Scan(data, symbology, self.name))

    def discard_pending(self) -> int:
        dropped = 0
        while not self._codes.empty():
            self._codes.get_nowait()
            dropped += 1
        return dropped

    async def read_code(self, *, timeout: float | None = None) -> Scan:
        if Reason.NO_DEVICE in self.faults:
            raise DeviceOffline(f"{self.name}: scanner unplugged")
        try:
            return await asyncio.wait_for(self._codes.get(), timeout)
        except asyncio.TimeoutError:
            raise DeviceTimeout(f"{self.name}: no scan within {timeout}s") from None


class _SimPrinter(SimMixin):
    OPTIONS = {"output_dir": (None, "folder where each job lands as a file (the demo shows it)")}

    def _job(self) -> None:
        """Raise as the real driver would: before the job for standing faults, during it for scheduled ones."""
        blocking = self.faults & BLOCKING_JOB
        if blocking:
            self._raise(blocking)
        due = self._job_faults()
        if due:
            self.faults |= due
            self._publish()
            if due & BLOCKING_JOB:
                self._raise(due & BLOCKING_JOB)

    def _raise(self, reasons: set[Reason]) -> None:
        if Reason.NO_DEVICE in reasons:
            raise DeviceOffline(f"{self.name}: printer unreachable")
        reason = Reason.PAPER_OUT if Reason.PAPER_OUT in reasons else sorted(reasons)[0]
        raise MediaError(f"{self.name}: {reason}", reason)


KEEP_PRINTED = 200  # a simulated printer runs for days in the demo: keep only the recent jobs


def _keep(printed: list, item) -> int:
    """Append a job, drop the oldest beyond KEEP_PRINTED; returns the job's number for file names."""
    printed.append(item)
    del printed[:-KEEP_PRINTED]
    return next(_job_numbers)


_job_numbers = itertools.count(1)


def _output_dir(options: dict):
    """Where a simulated printer puts what it printed (the demo shows this folder); None keeps it in memory."""
    from pathlib import Path

    folder = options.get("output_dir")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return None


class SimReceiptPrinter(_SimPrinter, ReceiptPrinter):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.printed: list[Receipt] = []
        self.output_dir = _output_dir(options)

    def capabilities(self) -> dict:
        return {"cjk_encoding": "gb18030", "native_qr": True, "dots_per_line": 576, "cutter": True}

    async def print_receipt(self, receipt: Receipt, *, timeout: float = 30.0) -> PrintResult:
        self._job()
        n = _keep(self.printed, receipt)
        if self.output_dir is not None:
            from devices.receipt_image import render_receipt

            render_receipt(receipt).save(self.output_dir / f"{n:03d}-{receipt.job_id or 'receipt'}.png")
        return PrintResult(receipt.job_id, True, 1)


class SimDocumentPrinter(_SimPrinter, DocumentPrinter):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.printed: list[tuple[str, bytes]] = []
        self.output_dir = _output_dir(options)

    async def print_pdf(self, pdf: bytes, *, title: str, copies: int = 1, timeout: float = 120.0) -> PrintResult:
        self._job()
        n = _keep(self.printed, (title, pdf))
        if self.output_dir is not None:
            suffix = ".pdf" if pdf.startswith(b"%PDF") else ".html"  # HTML until a PDF renderer is configured
            (self.output_dir / f"{n:03d}-{title}{suffix}").write_bytes(pdf)
        return PrintResult(title, True, copies)


class SimTicketDispenser(_SimPrinter, TicketDispenser):
    def __init__(self, name: str, hall_name: str = "", **options):
        super().__init__(name, **options)
        self._sim_init()
        self.hall_name = hall_name
        self.output_dir = _output_dir(options)
        self._numbers: dict[str, itertools.count] = {}
        self._issued: dict[str, Ticket] = {}
        self.waiting: dict[str, int] = {}

    async def dispense(self, category: str, service_name: str, *, timeout: float = 30.0,
                       request_id: str | None = None) -> Ticket:
        ticket = self._issued.get(request_id) if request_id else None
        if ticket is None:
            n = next(self._numbers.setdefault(category, itertools.count(1)))
            ahead = self.waiting.get(category, 0)
            ticket = Ticket(f"{category[:1].upper()}{n:03d}", category, service_name, ahead,
                            dt.datetime.now().astimezone(), self.hall_name)
            self.waiting[category] = ahead + 1
            if request_id:
                self._issued[request_id] = ticket
                while len(self._issued) > KEEP_PRINTED:  # retries come within a visit, not days later
                    del self._issued[next(iter(self._issued))]
        self._job()
        if self.output_dir is not None:
            from devices.receipt_image import render_receipt
            from devices.ticket_dispenser import ticket_layout

            render_receipt(ticket_layout(ticket, self.hall_name)).save(self.output_dir / f"ticket-{ticket.number}.png")
        return ticket


class SimHelpPanel(SimMixin, HelpPanel):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.answer = "unavailable"  # what the next call_staff ends with
        self.calls: list[dict] = []
        self.guides: list[str] = []

    def capabilities(self) -> dict:
        return {"camera": True, "microphone": True, "speaker": True, "call_button": True}

    async def play_guide(self, video: str) -> None:
        self.guides.append(video)

    async def call_staff(self, context: dict) -> str:
        self.calls.append(dict(context))
        return self.answer
