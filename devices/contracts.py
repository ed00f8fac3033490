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
import dataclasses
from collections import deque
from collections.abc import Callable

from devices.base import Device
from devices.errors import DeviceError
from devices.records import CallState, IdCard, Picture, PrintResult, Receipt, Scan, Ticket
from devices.status import Reason


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
    """Camera, microphone, speaker and call button, and the live call to the help desk they serve.

    ``call_staff`` runs a whole call and returns how it ended: ``resumed`` (staff
    talked to the citizen, who goes on with the visit), ``ended`` (the citizen
    ended it before staff answered, or booked a callback) or ``unavailable``
    (nobody answered, the desk is unreachable). While it runs, ``call_state``
    says where the call is (waiting with a queue position, connecting,
    connected, reconnecting, ended) and every change goes to ``on_call``
    listeners, so the screen can show it at all times. The newest remote and
    local pictures wait in ``remote_video`` and ``local_video`` (deques of one:
    a slow screen drops frames, it never queues them).
    """

    device_class = "help_panel"

    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._call = CallState()
        self._call_listeners: list = []
        self.remote_video: deque[Picture] = deque(maxlen=1)
        self.local_video: deque[Picture] = deque(maxlen=1)

    @abc.abstractmethod
    async def play_guide(self, video: str) -> None:
        """Play a guide video on the panel (e.g. how to place the ID card)."""

    @abc.abstractmethod
    async def call_staff(self, context: dict) -> str:
        """Ring the help desk; returns resumed, ended or unavailable when the call is over.

        ``context``: ``flow`` (the item), ``step``, and optionally ``locale`` and ``skill``: ids, never data.
        """

    @abc.abstractmethod
    async def set_muted(self, muted: bool) -> None:
        """Stop (or restart) sending the citizen's voice; the call goes on."""

    @abc.abstractmethod
    async def end_call(self) -> None:
        """The citizen ends the call (or leaves the queue); ``call_staff`` returns soon after. No call: nothing."""

    @abc.abstractmethod
    async def send_context(self, context: dict) -> None:
        """What the citizen sees, ALREADY MASKED by the caller (item, step, texts, values); sent to staff now
        if a call is connected, and again on every later connect."""

    async def request_callback(self, phone: str) -> float:
        """While waiting with ``call_state.callback_offered``: leave a phone number for a call back instead.

        Returns the desk's target time for the call back (Unix seconds, also in
        ``call_state.callback_target_at``); the call then ends with reason
        ``callback_booked`` and ``call_staff`` returns ``ended``. The number is
        personal: a driver sends it and keeps, logs and reports nothing of it.
        DeviceError when no call is waiting, or the desk did not book it.
        """
        raise DeviceError(f"{self.name}: this help panel cannot book call backs", Reason.NOT_CONFIGURED)

    @property
    def call_state(self) -> CallState:
        return self._call

    def on_call(self, listener: Callable[[CallState], None]) -> Callable[[], None]:
        self._call_listeners.append(listener)
        return lambda: self._call_listeners.remove(listener)

    def _set_call(self, **changes) -> None:
        new = dataclasses.replace(self._call, **changes)
        if new == self._call:
            return
        self._call = new
        for listener in list(self._call_listeners):
            listener(new)


CONTRACTS: dict[str, type[Device]] = {
    c.device_class: c
    for c in (ReceiptPrinter, DocumentPrinter, IdCardReader, CodeScanner, TicketDispenser, HelpPanel)
}
