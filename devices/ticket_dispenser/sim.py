"""The simulated ticket dispenser: numbers per category in memory, printed as PNG when given a folder (the demo)."""
from __future__ import annotations

import datetime as dt
import itertools

from devices.contracts import TicketDispenser
from devices.errors import DeviceError
from devices.records import Ticket
from devices.simulation import KEEP_PRINTED, SimPrinter, output_dir
from devices.ticket_dispenser.dispenser import new_request_id


class SimTicketDispenser(SimPrinter, TicketDispenser):
    def __init__(self, name: str, hall_name: str = "", **options):
        super().__init__(name, **options)
        self._sim_init()
        self.hall_name = hall_name
        self.output_dir = output_dir(options)
        self._numbers: dict[str, itertools.count] = {}
        self._issued: dict[str, Ticket] = {}
        self.waiting: dict[str, int] = {}

    async def dispense(self, category: str, service_name: str, *, timeout: float = 30.0,
                       request_id: str | None = None) -> Ticket:
        rid = request_id or new_request_id()
        try:
            ticket = self._number(rid, category, service_name)
            await self._job(ticket.number, timeout)
        except DeviceError as exc:  # as the real dispenser: the error carries the id to retry with
            exc.request_id = rid  # type: ignore[attr-defined]
            raise
        if self.output_dir is not None:
            from devices.receipt_printer.image import render_receipt
            from devices.ticket_dispenser.dispenser import ticket_layout

            render_receipt(ticket_layout(ticket, self.hall_name)).save(self.output_dir / f"ticket-{ticket.number}.png")
        return ticket

    def _number(self, rid: str, category: str, service_name: str) -> Ticket:
        """The number for this request: the one it already has (a retry), or the next one."""
        self._refuse_standing()  # as the real dispenser: a printer known unable takes no number
        ticket = self._issued.get(rid)
        if ticket is None:
            n = next(self._numbers.setdefault(category, itertools.count(1)))
            ahead = self.waiting.get(category, 0)
            ticket = Ticket(f"{category[:1].upper()}{n:03d}", category, service_name, ahead,
                            dt.datetime.now().astimezone(), self.hall_name)
            self.waiting[category] = ahead + 1
            self._issued[rid] = ticket
            while len(self._issued) > KEEP_PRINTED:  # retries come within a visit, not days later
                del self._issued[next(iter(self._issued))]
        return ticket
