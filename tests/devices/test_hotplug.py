"""Hotplug: synthetic udev events from another thread, debounce, matching; a serial scanner end to end;
and, where netlink uevents can be raised here, the real pyudev monitor."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest
import structlog

from devices.base import Device
from devices.code_scanner.serial import SerialCodeScanner
from devices.errors import ConfigError, DeviceOffline
from devices.hotplug import HotplugMonitor, Match, PyudevSource, Settle, UdevEvent
from devices.id_reader.sim import SimIdCardReader
from devices.status import Reason, State
from devices.testing.serial_peer import Peer

SETTLE = 0.02


class FakeSource:
    """An injectable event source; ``emit`` delivers from a thread of its own, as pyudev does."""

    def __init__(self, fail: Exception | None = None):
        self.deliver = None
        self.fail = fail
        self.stopped = False

    def start(self, deliver) -> None:
        if self.fail:
            raise self.fail
        self.deliver = deliver

    def stop(self) -> None:
        self.stopped = True

    def emit(self, *events: UdevEvent) -> None:
        t = threading.Thread(target=lambda: [self.deliver(e) for e in events])
        t.start()
        t.join()


class Recorder(Device):
    """A device that records what the monitor asks of it."""

    def __init__(self, name="scanner", fail_reconnect=False, **options):
        super().__init__(name, **options)
        self.calls: list[str] = []
        self.fail_reconnect = fail_reconnect
        self.changed = asyncio.Event()

    async def reconnect(self) -> None:
        self.calls.append("reconnect")
        self.changed.set()
        if self.fail_reconnect:
            raise OSError("port vanished again")

    async def device_removed(self, detail: str = "") -> None:
        self.calls.append("removed")
        self.changed.set()


def ev(action, subsystem="tty", devnode=None, links=(), **props) -> UdevEvent:
    return UdevEvent(action, subsystem, devnode, tuple(links), props)


USB_ADD = [ev("add", "usb", "/dev/bus/usb/001/007", ID_VENDOR_ID="1EAB", ID_MODEL_ID="1a03"),
           ev("add", "tty", "/dev/ttyACM0", ["/dev/kiosk/scanner", "/dev/serial/by-id/usb-Newland-if00"],
              ID_VENDOR_ID="1eab", ID_MODEL_ID="1a03"),
           ev("add", "hidraw", "/dev/hidraw2", ID_VENDOR_ID="1eab", ID_MODEL_ID="1a03")]
USB_REMOVE = [ev("remove", e.subsystem, e.devnode, e.devlinks, **e.properties) for e in USB_ADD]


async def quiet(monitor: HotplugMonitor, timeout: float = 2.0) -> None:
    """Until every timer and device call has run: an outcome, not a time.

    ``emit`` joined its thread, so the loop callbacks it queued are already
    ahead of this task: one yield runs them, then ``pending()`` is truthful.
    """
    await asyncio.sleep(0)
    async with asyncio.timeout(timeout):
        while monitor.pending():
            await asyncio.sleep(SETTLE / 4)


@pytest.fixture
async def rig():
    source, device = FakeSource(), Recorder(port="/dev/kiosk/scanner")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(device)
    assert await monitor.start()
    yield source, device, monitor
    await monitor.stop()
    assert source.stopped


async def test_a_burst_of_adds_reconnects_once(rig):
    source, device, monitor = rig
    source.emit(*USB_ADD)
    await asyncio.wait_for(device.changed.wait(), 2)
    await quiet(monitor)
    assert device.calls == ["reconnect"]


async def test_a_burst_of_removes_marks_removed_once(rig):
    source, device, monitor = rig
    source.emit(*USB_REMOVE)
    await quiet(monitor)
    assert device.calls == ["removed"]


async def test_replug_removed_then_reconnected(rig):
    source, device, monitor = rig
    source.emit(*USB_REMOVE, *USB_ADD)
    await quiet(monitor)
    assert device.calls == ["removed", "reconnect"]
    source.emit(*USB_REMOVE)  # the next unplug is news again
    await quiet(monitor)
    assert device.calls == ["removed", "reconnect", "removed"]


async def test_an_add_cancelled_by_a_remove_before_it_settled(rig):
    source, device, monitor = rig
    source.emit(USB_ADD[1], USB_REMOVE[1])  # a flapping cable
    await quiet(monitor)
    assert device.calls == ["removed"]


async def test_other_devices_and_actions_are_ignored(rig):
    source, device, monitor = rig
    source.emit(ev("add", "tty", "/dev/ttyUSB3", ["/dev/kiosk/idreader"], ID_VENDOR_ID="1a86"),
                ev("change", "tty", "/dev/ttyACM0", ["/dev/kiosk/scanner"]),
                ev("bind", "usb", None, ID_VENDOR_ID="1eab"))
    await quiet(monitor)
    assert device.calls == []


async def test_vendor_match_and_events_from_another_thread():
    source, device = FakeSource(), Recorder(vid_pid="1eab:1a03")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(device)
    await monitor.start()
    source.emit(USB_ADD[0])  # the usb device node: only the ids match
    await quiet(monitor)
    assert device.calls == ["reconnect"]
    await monitor.stop()


async def test_a_sibling_with_the_same_ids_does_not_unplug_a_device_whose_node_is_there(tmp_path):
    node = tmp_path / "ttyUSB0"
    node.touch()  # the node this reader uses still exists
    source, device = FakeSource(), Recorder("idreader")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(device, Match((str(node),), "1a86", "7523"))
    await monitor.start()
    source.emit(ev("remove", "tty", "/dev/ttyUSB1", ID_VENDOR_ID="1a86", ID_MODEL_ID="7523"))
    await quiet(monitor)
    assert device.calls == []
    node.unlink()
    source.emit(ev("remove", "tty", str(node), ID_VENDOR_ID="1a86", ID_MODEL_ID="7523"))
    await quiet(monitor)
    assert device.calls == ["removed"]
    await monitor.stop()


async def test_a_removal_fails_a_pending_read_through_the_contract():
    """udev says the reader went; the citizen's pending read ends offline now, it does not hang (it did for twins)."""
    source, reader = FakeSource(), SimIdCardReader("id_reader")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(reader, Match(("/dev/kiosk/idreader",)))
    await monitor.start()
    reading = asyncio.ensure_future(reader.read_card(timeout=None))
    await asyncio.sleep(0)
    source.emit(ev("remove", "tty", "/dev/ttyUSB0", ["/dev/kiosk/idreader"]))
    await quiet(monitor)
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, 5.0)
    assert reader.status.state is State.OFFLINE
    await monitor.stop()


async def test_a_driver_keeping_the_default_device_removed_goes_offline():
    source, device = FakeSource(), Device("printer", uri="serial:///dev/kiosk/receipt?baud=115200")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(device)
    await monitor.start()
    source.emit(ev("remove", "tty", "/dev/ttyUSB2", ["/dev/kiosk/receipt"]))
    await quiet(monitor)
    assert device.status.state is State.OFFLINE and device.status.reasons == {Reason.NO_DEVICE}
    await monitor.stop()


async def test_a_failing_reconnect_is_logged_and_the_monitor_carries_on():
    source, device = FakeSource(), Recorder(fail_reconnect=True, port="/dev/kiosk/scanner")
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(device)
    await monitor.start()
    with structlog.testing.capture_logs() as logs:
        source.emit(USB_ADD[1])
        await quiet(monitor)
        source.emit(USB_REMOVE[1], USB_ADD[1])
        await quiet(monitor)
    assert device.calls == ["reconnect", "removed", "reconnect"]
    assert [e["error"] for e in logs if e["event"] == "hotplug.reconnect_failed"] == ["OSError", "OSError"]
    await monitor.stop()


async def test_unavailable_netlink_is_reported_not_raised():
    monitor = HotplugMonitor(source=FakeSource(fail=OSError(93, "Protocol not supported")))
    monitor.watch(Recorder(port="/dev/kiosk/scanner"))
    with structlog.testing.capture_logs() as logs:
        assert await monitor.start() is False
    assert logs[0]["event"] == "hotplug.unavailable" and not monitor.running
    await monitor.stop()


def test_settle_waits_for_quiet_but_not_forever():
    s = Settle(quiet=0.5, cap=2.0)
    assert s.event(10.0) == 0.5
    assert s.event(10.4) == 0.5  # restarted by each event
    assert s.event(11.8) == pytest.approx(0.2)  # capped two seconds after the first
    assert s.event(12.5) == 0.0
    s.reset()
    assert s.event(20.0) == 0.5


def test_matches_derived_from_driver_options():
    def m(**options):
        return Match.for_device(Device("d", **options))

    assert m(port="/dev/kiosk/idreader") == Match(("/dev/kiosk/idreader",))
    assert m(uri="serial:///dev/kiosk/receipt?baud=115200") == Match(("/dev/kiosk/receipt",))
    assert m(port="spy:///dev/ttyS1") == Match(("/dev/ttyS1",))
    assert m(printer_uri="usb://0416:5011") == Match((), "0416", "5011")
    assert m(path="/dev/input/event5", vid_pid="C2E:b61") == Match(("/dev/input/event5",), "0c2e", "0b61")
    assert m(uri="tcp://192.0.2.10:9100") is None and m(device_name="Honeywell") is None
    with pytest.raises(ConfigError, match="no device node or VID:PID"):
        HotplugMonitor(source=FakeSource()).watch(Device("p", uri="tcp://192.0.2.10"))
    skipped = HotplugMonitor(source=FakeSource()).watch_devices([Device("a", port="/dev/ttyS0"), Device("b")])
    assert skipped == ["b"]


def test_match_rules():
    by_link = Match(("/dev/kiosk/scanner",))
    assert by_link.matches(USB_ADD[1]) and not by_link.matches(USB_ADD[0])
    assert by_link.matches(ev("add", devnode="/dev/ttyACM4"), resolved="/dev/ttyACM4")
    by_vendor = Match((), "1EAB")
    assert all(by_vendor.matches(e) for e in USB_ADD)
    assert not Match((), "1eab", "ffff").matches(USB_ADD[0])


def test_event_from_pyudev_device():
    class FakePyudevDevice:
        action, subsystem, device_node = "add", "tty", "/dev/ttyACM0"
        device_links = iter(["/dev/kiosk/scanner"])
        properties = {"ID_VENDOR_ID": "1EAB", "ID_MODEL_ID": "1A03"}

    e = UdevEvent.from_pyudev(FakePyudevDevice())
    assert (e.action, e.devnode, e.devlinks, e.vendor_id, e.model_id) == \
        ("add", "/dev/ttyACM0", ("/dev/kiosk/scanner",), "1eab", "1a03")


# end to end with a real driver ------------------------------------------------------------------

async def test_a_serial_scanner_follows_unplug_and_replug(tmp_path):
    peer = Peer(str(tmp_path / "scanner"))
    scanner = SerialCodeScanner("scanner", port=peer.link, char_gap=0.1)
    source = FakeSource()
    monitor = HotplugMonitor(source=source, settle=SETTLE)
    monitor.watch(scanner)
    await scanner.open()
    await monitor.start()
    reading = asyncio.ensure_future(scanner.read_code(timeout=None))
    await asyncio.sleep(0)
    source.emit(ev("remove", "tty", "/dev/ttyACM0", [peer.link]))  # udev is quicker than our read's EIO
    await quiet(monitor)
    assert scanner.status.state is State.OFFLINE and "udev" in scanner.status.detail
    assert reading.done() and reading.exception() is not None
    peer.unplug()
    peer.plug()
    source.emit(ev("add", "tty", "/dev/ttyACM1", [peer.link]))
    await quiet(monitor)
    assert scanner.status.state is State.OK
    peer.send(b"AFTER-REPLUG\r")
    assert (await scanner.read_code(timeout=2)).data == "AFTER-REPLUG"
    await monitor.stop()
    await scanner.close()
    peer.unplug()


# the real netlink monitor -------------------------------------------------------------------------

UEVENT = "/sys/class/tty/tty63/uevent"


def _kernel_uevents_unavailable() -> str | None:
    """Raising a synthetic 'add' needs root and writable sysfs; it changes nothing on a virtual console."""
    if not os.path.exists(UEVENT) or not os.access(UEVENT, os.W_OK):
        return f"{UEVENT} not writable (not root, or sysfs read-only in this container)"
    try:
        import pyudev

        pyudev.Monitor.from_netlink(pyudev.Context(), source="kernel")
    except Exception as exc:  # noqa: BLE001 - any failure means no netlink here
        return f"netlink uevent socket unavailable: {exc}"
    return None


@pytest.mark.skipif(_kernel_uevents_unavailable() is not None,
                    reason=f"cannot raise kernel uevents here: {_kernel_uevents_unavailable()}")
async def test_real_pyudev_monitor_delivers_kernel_uevents():
    """udevd does not run in this sandbox, so the monitor listens to the kernel's own uevents."""
    device = Recorder("console", port="/dev/tty63")
    monitor = HotplugMonitor(source=PyudevSource(("tty",), source="kernel"), settle=SETTLE)
    monitor.watch(device)
    assert await monitor.start()
    with open(UEVENT, "w") as f:
        f.write("add")
    await asyncio.wait_for(device.changed.wait(), 3)
    await quiet(monitor)
    assert device.calls == ["reconnect"]
    await monitor.stop()
