"""Code scanners: wedge decoding, the evdev driver (on a fake node), serial over a pty, hotplug, udev rules."""
import asyncio
import os
import re
from pathlib import Path

import pytest

from devices.errors import DeviceOffline, DeviceTimeout
from devices.hotplug import HotplugMonitor, UdevEvent
from devices.scanner_evdev import EvdevCodeScanner
from devices.scanner_keys import EV_KEY, KEY_ENTER, WedgeDecoder
from devices.scanner_serial import SerialCodeScanner
from devices.sim import SimIdCardReader
from devices.status import Reason, State

KEYS = {"1": 2, "2": 3, "3": 4, "a": 30, "b": 48, "c": 46, ":": 39, "/": 53, "h": 35, "t": 20, "p": 25, ".": 52}


def typed(text, start=0.0, gap=0.002):
    events, t = [], start
    for ch in text:
        if ch == ":":
            events += [(EV_KEY, 42, 1, t), (EV_KEY, 39, 1, t), (EV_KEY, 39, 0, t), (EV_KEY, 42, 0, t)]
        else:
            events += [(EV_KEY, KEYS[ch], 1, t), (EV_KEY, KEYS[ch], 0, t)]
        t += gap
    return events + [(EV_KEY, KEY_ENTER, 1, t), (EV_KEY, KEY_ENTER, 0, t)]


def test_a_fast_burst_ending_in_enter_is_a_scan():
    d = WedgeDecoder()
    scans = [s for e in typed("http:/abc.123") if (s := d.feed(*e))]
    assert scans == ["http:/abc.123"]


def test_a_person_typing_slowly_is_not_a_scan():
    d = WedgeDecoder()
    scans = [s for e in typed("abc", gap=0.3) if (s := d.feed(*e))]
    assert scans == [] and d.dropped == 3  # every key came after a pause: nothing is a scan


class FakeNode:
    """Stands in for evdev.InputDevice: /dev/uinput is not available in this sandbox."""

    def __init__(self, events):
        self.r, self.w = os.pipe()
        self.fd = self.r
        self.events = list(events)
        self.grabbed = False

    def grab(self):
        self.grabbed = True

    def read(self):
        os.read(self.r, 1)
        if not self.events:
            raise OSError(19, "No such device")  # ENODEV: unplugged
        batch, self.events = self.events, []
        return [type("E", (), {"type": a, "code": b, "value": c, "timestamp": lambda self, t=t: t})() for a, b, c, t in batch]

    def push(self):
        os.write(self.w, b"x")

    def close(self):
        os.close(self.r)


async def test_evdev_scanner_grabs_reads_and_goes_offline_when_unplugged():
    node = FakeNode(typed("abc123"))
    s = EvdevCodeScanner("scanner", opener=lambda path: node)
    await s.open()
    assert node.grabbed and s.status.state == State.OK
    node.push()
    scan = await asyncio.wait_for(s.read_code(timeout=5), 5)
    assert scan.data == "abc123" and "abc123" not in repr(scan)
    node.push()  # the next read finds the device gone
    while s.status.state != State.OFFLINE:
        await asyncio.sleep(0.01)  # the reader thread reports through the loop; bounded by the test timeout
    with pytest.raises(DeviceOffline):
        await s.read_code(timeout=1)
    await s.close()


async def test_a_missing_node_is_offline_not_an_exception():
    s = EvdevCodeScanner("scanner", path="/dev/input/event-missing")
    await s.open()
    assert s.status.reasons == {Reason.NO_DEVICE}


async def test_serial_scanner_reads_chinese_lines_over_a_pty():
    master, slave = os.openpty()
    s = SerialCodeScanner("scanner", port=os.ttyname(slave), encoding="gb18030")
    await s.open()
    os.write(master, "电子证照:110105\r\n".encode("gb18030"))
    assert (await asyncio.wait_for(s.read_code(timeout=5), 5)).data == "电子证照:110105"
    with pytest.raises(DeviceTimeout):
        await s.read_code(timeout=0.2)
    await s.close()
    os.close(master)
    os.close(slave)


async def test_hotplug_marks_removal_and_reopens_once_after_a_burst():
    reader = SimIdCardReader("id_reader")
    await reader.open()
    hp = HotplugMonitor({"id_reader": reader}, {"id_reader": "/dev/kiosk/idreader"}, settle_s=0.05)
    ev = lambda action: UdevEvent(action, "/dev/ttyUSB0", ("/dev/kiosk/idreader",))  # noqa: E731
    hp.handle(ev("remove"))
    assert reader.status.state == State.OFFLINE
    for action in ("add", "remove", "add", "add"):  # a flaky cable
        hp.handle(ev(action))
    while not hp.reopened:
        await asyncio.sleep(0.01)  # waiting for the settle timer, bounded by the test timeout
    assert hp.reopened == ["id_reader"] and reader.status.state == State.OK
    hp.handle(UdevEvent("add", "/dev/ttyUSB9"))  # someone else's device: ignored
    assert hp.reopened == ["id_reader"]


def test_usb_ids_match_too():
    ev = UdevEvent("add", "/dev/input/event7", (), {"ID_VENDOR_ID": "0C2E", "ID_MODEL_ID": "0b61"})
    assert ev.matches("usb:0c2e:0B61") and not ev.matches("usb:0c2e:0000")


RULE_KEYS = re.compile(r'^(SUBSYSTEM|KERNEL|DRIVER|ACTION|ATTRS?\{\w+\}|ENV\{\w+\}|SYMLINK|GROUP|MODE|TAG|OWNER)'
                       r'(==|!=|\+=|=)"[^"]*"$')


def test_udev_rules_are_well_formed_and_name_devices_under_kiosk():
    rules = Path(__file__).resolve().parents[2] / "systemd" / "99-kiosk.rules"
    count = 0
    for line in rules.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        count += 1
        pairs = [p.strip() for p in line.split(", ")]
        assert all(RULE_KEYS.match(p) for p in pairs), line
        assert any(p.startswith(("SUBSYSTEM==", "KERNEL==")) for p in pairs), line
        for p in pairs:
            if p.startswith("SYMLINK"):
                assert p.startswith('SYMLINK+="kiosk/'), line
        assert 'GROUP="kiosk"' in pairs and 'MODE="0660"' in pairs, line
    assert count >= 6
