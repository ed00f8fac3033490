"""One contract per device class.

Learned from XFS4IoT and UnifiedPOS: every class has the same lifecycle and
status shape; class-specific calls take an explicit deadline and either
complete or raise a :mod:`devices.errors` type. A job that failed is never
reported as done. What every class shares is on :class:`devices.base.Device`:
open/close (each safe to call twice), ``check_health`` (status as data, never
an exception for a normal state) and ``device_removed`` (hotplug: offline now,
and any pending call fails with DeviceOffline at once). tests/devices/contract/
holds every driver and twin to these contracts.
"""
from __future__ import annotations

import abc

from devices.base import Device
from devices.records import IdCard, PrintResult, Receipt, Scan, Ticket


class ReceiptPrinter(Device):
    device_class = "receipt_printer"

    @abc.abstractmethod
    async def print_receipt(self, receipt: Receipt, *, timeout: float = 30.0) -> PrintResult:
        """Print and cut. Raises MediaError/DeviceOffline if the paper never came out."""


class DocumentPrinter(Device):
    device_class = "document_printer"

    @abc.abstractmethod
    async def print_pdf(self, pdf: bytes, *, title: str, copies: int = 1, timeout: float = 120.0) -> PrintResult:
        """Submit a PDF and follow the job until it completed, failed or stalled."""


class IdCardReader(Device):
    device_class = "id_reader"

    @abc.abstractmethod
    async def read_card(self, *, timeout: float | None = None) -> IdCard:
        """Wait for a card and read it. NoCard when none came in time; CardError when unreadable.

        ``timeout=None`` waits until cancelled: the flow engine owns the step's deadline.
        """


class CodeScanner(Device):
    device_class = "code_scanner"

    @abc.abstractmethod
    async def read_code(self, *, timeout: float | None = None) -> Scan:
        """Wait for the next scan; DeviceTimeout when none came in time."""

    def discard_pending(self) -> int:
        """Forget scans kept for a later read; returns how many. Called when a visit ends, so that a code
        one citizen scanned can never be read into the next citizen's visit."""
        return 0


class TicketDispenser(Device):
    device_class = "ticket_dispenser"

    @abc.abstractmethod
    async def dispense(self, category: str, service_name: str, *, timeout: float = 30.0,
                       request_id: str | None = None) -> Ticket:
        """Take the next number from the queue provider, print it, cut and present it.

        The same ``request_id`` again (a retry after a paper fault) prints the same number.
        """


class HelpPanel(Device):
    """Camera, microphone, speaker and call button; the live call is an application service."""

    device_class = "help_panel"

    @abc.abstractmethod
    async def play_guide(self, video: str) -> None:
        """Play a guide video on the panel (e.g. how to place the ID card)."""

    @abc.abstractmethod
    async def call_staff(self, context: dict) -> str:
        """Ring the help desk; returns resumed, ended or unavailable when the call is over."""


CONTRACTS: dict[str, type[Device]] = {
    c.device_class: c
    for c in (ReceiptPrinter, DocumentPrinter, IdCardReader, CodeScanner, TicketDispenser, HelpPanel)
}
