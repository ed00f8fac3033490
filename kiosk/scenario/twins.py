"""The simulated kiosk a scenario runs on: one twin per device role, and ID cards from a scenario's card spec.

Flow tests build theirs here; the soak bench, the UI probe and the test suite
open the same set, so that every one of them runs on the kiosk a flow test
sees. Nothing here opens a device at import.
"""
from __future__ import annotations

import datetime as dt

from devices.code_scanner.sim import SimCodeScanner
from devices.document_printer.sim import SimDocumentPrinter
from devices.help_panel.sim import SimHelpPanel
from devices.id_reader.sim import SimIdCardReader
from devices.receipt_printer.sim import SimReceiptPrinter
from devices.records import CardType, IdCard
from devices.ticket_dispenser.sim import SimTicketDispenser

DEFAULT_CARD = dict(name="张示例", gender="男", nation="汉", birth_date="1960-05-01",
                    address="示例省示例市示例区示例路1号", id_number="110105196005010014",
                    authority="示例市公安局示例分局", valid_from="2016-01-01", valid_to=None,
                    card_type="resident")


def make_card(spec) -> IdCard | None:
    if spec in (None, "unreadable"):
        return None
    fields = dict(DEFAULT_CARD, **(spec if isinstance(spec, dict) else {}))
    date = lambda v: dt.date.fromisoformat(str(v)) if v not in (None, "") else None  # noqa: E731
    return IdCard(name=fields["name"], gender=fields["gender"], nation=fields["nation"],
                  birth_date=date(fields["birth_date"]), address=fields["address"], id_number=fields["id_number"],
                  authority=fields["authority"], valid_from=date(fields["valid_from"]),
                  valid_to=date(fields["valid_to"]), card_type=CardType(fields["card_type"]))


def make_devices() -> dict:
    return {
        "id_reader": SimIdCardReader("id_reader"),
        "code_scanner": SimCodeScanner("code_scanner"),
        "receipt_printer": SimReceiptPrinter("receipt_printer"),
        "document_printer": SimDocumentPrinter("document_printer"),
        "ticket_dispenser": SimTicketDispenser("ticket_dispenser", hall_name="示例政务服务中心"),
        "help_panel": SimHelpPanel("help_panel"),
    }


async def open_devices() -> dict:
    """Simulated twins, opened as the runtime opens real devices (a closed one shows as unavailable)."""
    devices = make_devices()
    for d in devices.values():
        await d.open()
    return devices
