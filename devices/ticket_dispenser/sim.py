"""The simulated ticket dispenser: numbers per category in memory, printed as PNG when given a folder (the demo)."""
from __future__ import annotations

import datetime as dt
import itertools

from devices.contracts import TicketDispenser
from devices.records import Ticket
from devices.simulation import KEEP_PRINTED, SimPrinter, output_dir


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
        self._refuse_standing()  # as the real dispenser: a printer known unable takes no number
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
        await self._job(ticket.number, timeout)
        if self.output_dir is not None:
            from devices.receipt_printer.image import render_receipt
            from devices.ticket_dispenser.dispenser import ticket_layout

            render_receipt(ticket_layout(ticket, self.hall_name)).save(self.output_dir / f"ticket-{ticket.number}.png")
        return ticket
