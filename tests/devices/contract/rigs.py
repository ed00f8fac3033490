"""Every backend of every device class, each with the hands to make its peer do what the contract asks.

A rig builds the device (the simulated twin, or the real driver wired to its
protocol peer) and offers the same few verbs whatever the backend: put a card
on, scan, run out of paper now or during the next job, go silent, unplug. The
contract tests speak only these verbs, so one test function holds every
backend of a class to the same behaviour (pyserial's ``loop://`` idea).
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from devices.base import Device
from devices.code_scanner.serial import SerialCodeScanner
from devices.code_scanner.sim import SimCodeScanner
from devices.code_scanner.wedge import EvdevCodeScanner
from devices.help_panel.sim import SimHelpPanel
from devices.help_panel.webrtc import WebRtcHelpPanel
from devices.id_reader.sam_serial import SerialIdCardReader
from devices.id_reader.sim import SimIdCardReader
from devices.receipt_printer.escpos import EscposReceiptPrinter
from devices.receipt_printer.sim import SimReceiptPrinter
from devices.records import IdCard, Receipt, Text
from devices.testing import agent_peer
from devices.testing.agent_peer import loopback_ice
from devices.testing.fake_escpos import FakeEscposPrinter
from devices.testing.fake_evdev import FakeEvdev
from devices.testing.fake_helpdesk import FakeHelpDesk
from devices.testing.fake_idcard import FakeIdCardReader
from devices.testing.serial_peer import Peer
from devices.ticket_dispenser.dispenser import PrinterTicketDispenser
from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider
from devices.ticket_dispenser.sim import SimTicketDispenser

GS_R1 = b"\x1d\x72\x01"  # sent after every job; the printer answers once all before it is out
MONDAY = dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))


async def until(condition: Callable[[], object], what: str, limit: float = 5.0) -> None:
    """Wait for a peer-side fact (a command seen, a job started); the limit only turns a hang into a failure."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {limit}s for {what}")
        await asyncio.sleep(0.01)


async def until_async(condition: Callable[[], Awaitable[bool]], what: str, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {limit}s for {what}")
        await asyncio.sleep(0.01)


class Rig:
    """One backend; ``device`` is built, not opened (the tests open it)."""

    device: Device

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    async def pending(self) -> None:
        """Return once an operation just started is really waiting on the device, not merely scheduled."""
        await asyncio.sleep(0)

    def unplug(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Start the device's protocol peer where that needs the loop; the device exists once this returns."""

    async def stop(self) -> None:
        await self.device.close()
        self._stack.close()


# ID reader ------------------------------------------------------------------------------------------

class SimIdReaderRig(Rig):
    def __init__(self) -> None:
        super().__init__()
        self.device = SimIdCardReader("id_reader")

    def insert(self, card: IdCard) -> None:
        self.device.insert_card(card)

    def unplug(self) -> None:
        self.device.inject("unplug")

    def silent(self) -> None:
        self.device.inject("silent")


class SerialIdReaderRig(Rig):
    """GA/T 467 SAM reader on a pty: the fake speaks the real frames."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = self._stack.enter_context(FakeIdCardReader(card=None))
        self.device = SerialIdCardReader("id_reader", port=self.fake.port, poll_interval=0.02, reply_timeout=0.15,
                                         read_timeout=0.5, retries=2)

    async def pending(self) -> None:
        seen = self.fake.count("find")
        await until(lambda: self.fake.count("find") > seen, "the reader to poll for a card")

    def insert(self, card: IdCard) -> None:
        self.fake.insert(card)

    def unplug(self) -> None:
        self.fake.unplug()

    def silent(self) -> None:
        self.fake.inject("silent")


# code scanner --------------------------------------------------------------------------------------

class SimScannerRig(Rig):
    def __init__(self) -> None:
        super().__init__()
        self.device = SimCodeScanner("scanner")

    def scan(self, text: str) -> None:
        self.device.scan(text)

    def unplug(self) -> None:
        self.device.inject("unplug")


class SerialScannerRig(Rig):
    """USB-COM scanner: lines on a pty behind a symlink."""

    def __init__(self) -> None:
        super().__init__()
        folder = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="contract-scanner-"))
        self.peer = Peer(os.path.join(folder, "scanner"))
        self._stack.callback(self.peer.unplug)
        self.device = SerialCodeScanner("scanner", port=self.peer.link)

    def scan(self, text: str) -> None:
        self.peer.send(text.encode() + b"\r\n")

    def unplug(self) -> None:
        self.peer.unplug()


class WedgeScannerRig(Rig):
    """Keyboard-wedge scanner: key events on a fake evdev node the driver grabs."""

    PATH = "/dev/input/event7"

    def __init__(self) -> None:
        super().__init__()
        self.bus = FakeEvdev()
        self.node = self.bus.add(self.PATH)
        self.device = EvdevCodeScanner("scanner", backend=self.bus, path=self.PATH)

    def scan(self, text: str) -> None:
        self.node.type(text)

    def unplug(self) -> None:
        self.bus.unplug(self.PATH)


# receipt printer ------------------------------------------------------------------------------------

RECEIPT = Receipt((Text("自助终端"), Text("社保缴费证明 ￥12.00")), job_id="r1")
BIG_RECEIPT = Receipt(tuple(Text(f"第{i}行：社保缴费证明，金额￥{i}.00") for i in range(200)), job_id="big")


class SimReceiptRig(Rig):
    def __init__(self) -> None:
        super().__init__()
        self.device = SimReceiptPrinter("receipt")

    def printed(self) -> int:
        return len(self.device.printed)

    def paper_out(self) -> None:
        self.device.inject("paper_out")

    def paper_low(self) -> None:
        self.device.inject("paper_low")

    def paper_out_mid_job(self) -> None:
        self.device.inject_after(1, "paper_out")

    def unplug_mid_job(self) -> None:
        self.device.inject_after(1, "unplug")

    def silent(self) -> None:
        self.device.inject("silent")

    def unplug(self) -> None:
        self.device.inject("unplug")

    async def pending_job(self) -> asyncio.Future:
        """A job the printer has taken and not finished."""
        self.device.hold()
        job = asyncio.ensure_future(self.device.print_receipt(BIG_RECEIPT, timeout=5))
        await until(lambda: self.device.held, "the twin to take the job")
        return job


class EscposReceiptRig(Rig):
    """ESC/POS over TCP against the fake printer that answers DLE EOT like a real one."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = self._stack.enter_context(FakeEscposPrinter())
        self.device = EscposReceiptPrinter("receipt", uri=self.fake.uri, status_timeout=0.2, poll_interval=0.05,
                                           connect_timeout=1.0)

    def printed(self) -> int:
        """Jobs the fake received whole, closed by GS r 1, while it could print: paper that came out."""
        done = 0
        for c in self.fake.connections:
            starts = c.job_starts or [0]
            for a, b in zip(starts, starts[1:] + [len(c.data)]):
                closed_at = c.data.find(GS_R1, a, b)
                done += 0 <= closed_at <= c.printed
        return done

    def paper_out(self) -> None:
        self.fake.set_state("paper_out")

    def paper_low(self) -> None:
        self.fake.set_state("paper_low")

    def paper_out_mid_job(self) -> None:
        self.fake.after_bytes(500, "paper_out")

    def unplug_mid_job(self) -> None:
        self.fake.after_bytes(300, "drop")

    def silent(self) -> None:
        self.fake.set_state("silent")

    def unplug(self) -> None:
        self.fake.stop()

    async def pending_job(self) -> asyncio.Future:
        """Part of the job is out when the printer stops answering: the driver waits for its GS r 1 reply."""
        self.fake.after_bytes(300, "silent")
        job = asyncio.ensure_future(self.device.print_receipt(BIG_RECEIPT, timeout=5))
        await until(lambda: self.fake.state == "silent", "the printer to take part of the job")
        return job


# ticket dispenser -------------------------------------------------------------------------------------

class SimDispenserRig(Rig):
    def __init__(self) -> None:
        super().__init__()
        self.device = SimTicketDispenser("ticket", hall_name="示例政务服务中心")

    def paper_out(self) -> None:
        self.device.inject("paper_out")

    def paper_out_mid_job(self) -> None:
        self.device.inject_after(1, "paper_out")

    def refill(self) -> None:
        self.device.clear("paper_out")

    def unplug(self) -> None:
        self.device.inject("unplug")

    def silent(self) -> None:
        self.device.inject("silent")

    def recover(self) -> None:
        self.device.clear()

    def hang(self) -> None:
        """The printer takes the ticket and never finishes it, until release()."""
        self.device.hold()

    def release(self) -> None:
        self.device.release()

    async def pending(self) -> None:
        await until(lambda: self.device.held, "the ticket to reach the printer")


class PrinterDispenserRig(Rig):
    """The real dispenser: SQLite numbering, printed on a (simulated) receipt printer."""

    def __init__(self) -> None:
        super().__init__()
        folder = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="contract-queue-"))
        self.printer = SimReceiptPrinter("ticket-printer")
        provider = SqliteQueueProvider(os.path.join(folder, "q.db"), {"social": "S"}, clock=lambda: MONDAY)
        self.device = PrinterTicketDispenser("ticket", printer=self.printer, provider=provider,
                                             hall_name="示例政务服务中心")

    def paper_out(self) -> None:
        self.printer.inject("paper_out")

    def paper_out_mid_job(self) -> None:
        self.printer.inject_after(1, "paper_out")

    def refill(self) -> None:
        self.printer.clear("paper_out")

    def unplug(self) -> None:
        self.printer.inject("unplug")

    def silent(self) -> None:
        self.printer.inject("silent")

    def recover(self) -> None:
        self.printer.clear()

    def hang(self) -> None:
        self.printer.hold()

    def release(self) -> None:
        self.printer.release()

    async def pending(self) -> None:
        await until(lambda: self.printer.held, "the ticket to reach the printer")


# help panel ----------------------------------------------------------------------------------------------

class SimHelpPanelRig(Rig):
    def __init__(self) -> None:
        super().__init__()
        self.device = SimHelpPanel("help_panel")

    def answer(self, outcome: str) -> None:
        """How the next call ends: resumed (staff answer, talk, hang up), ended (callback booked), unavailable."""
        self.device.answer = outcome

    def unplug(self) -> None:
        self.device.inject("unplug")

    def camera_missing(self) -> None:
        self.device.inject("camera_missing")

    async def ringing_call(self) -> asyncio.Future:
        """A call to staff that nobody has picked up yet, waiting in the queue."""
        self.device.hold_calls()
        call = asyncio.ensure_future(self.device.call_staff({"flow": "social", "step": "read_card"}))
        await until(lambda: self.device.call_state.position > 0, "the call to wait in the queue")
        return call

    def pick_up(self) -> None:
        self.device.pick_up()

    async def offer_callback(self) -> None:
        self.device.offer_callback()


class WebRtcHelpPanelRig(Rig):
    """The aiortc panel against a help desk speaking /ws/kiosk whose staff member is a second aiortc peer."""

    def __init__(self) -> None:
        super().__init__()
        self._stack.enter_context(loopback_ice())
        folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="contract-help-")))
        self.folder = folder
        (folder / "credential").write_text("kc_test_credential\n")
        self.desk = FakeHelpDesk()
        self.device = None

    async def start(self) -> None:
        await self.desk.start()
        self.device = WebRtcHelpPanel("help_panel", url=self.desk.url, kiosk_id="K-0001",
                                      credential_file=str(self.folder / "credential"), video=agent_peer.VIDEO,
                                      video_format="lavfi", audio=agent_peer.AUDIO, audio_format="lavfi",
                                      connect_timeout_s=3.0)

    def answer(self, outcome: str) -> None:
        self.desk.answer = outcome

    def unplug(self) -> None:
        """The USB speakerphone is pulled: its microphone cannot be opened any more, and udev says so (the
        kiosk's hotplug monitor calls device_removed, which ends a call in progress at once)."""
        self.device.sources = dataclasses.replace(self.device.sources, audio=str(self.folder / "mic-gone"),
                                                  audio_format="alsa")
        asyncio.ensure_future(self.device.device_removed("removed (udev sound)"))

    def camera_missing(self) -> None:
        """The camera's node is gone (unplugged USB camera): V4L2 cannot open it."""
        self.device.sources = dataclasses.replace(self.device.sources, video=str(self.folder / "video0"),
                                                  video_format="v4l2")

    async def ringing_call(self) -> asyncio.Future:
        self.desk.hold()
        call = asyncio.ensure_future(self.device.call_staff({"flow": "social", "step": "read_card"}))
        await until(lambda: self.device.call_state.position > 0, "the call to wait in the queue")
        return call

    def pick_up(self) -> None:
        self.desk.pick_up()

    async def offer_callback(self) -> None:
        await self.desk.offer_callback()

    def callbacks_received(self) -> list[str]:
        return [body["phone"] for kind, body in self.desk.received if kind == "callback.request"]

    async def stop(self) -> None:
        if self.device is not None:
            await self.device.close()
        await self.desk.stop()
        self._stack.close()


RIGS: dict[str, dict[str, type[Rig]]] = {
    "id_reader": {"sim": SimIdReaderRig, "sam_serial": SerialIdReaderRig},
    "code_scanner": {"sim": SimScannerRig, "serial": SerialScannerRig, "evdev": WedgeScannerRig},
    "receipt_printer": {"sim": SimReceiptRig, "escpos": EscposReceiptRig},
    "ticket_dispenser": {"sim": SimDispenserRig, "printer": PrinterDispenserRig},
    "help_panel": {"sim": SimHelpPanelRig, "webrtc": WebRtcHelpPanelRig},
}
"""class -> registry driver name -> rig; the document printer's rigs live in its own suite (ippeveprinter)."""
