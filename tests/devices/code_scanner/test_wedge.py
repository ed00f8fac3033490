"""Keyboard-wedge scanner: the pure keystroke decoder, the scan inbox, and the driver against fake evdev nodes.

The fake gives real file descriptors and kernel-like grab/unplug behaviour;
events carry synthetic timestamps, so "a person typing" is data, not a sleep.
A real uinput keyboard joins where /dev/uinput exists.
"""
from __future__ import annotations

import asyncio
import string

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.code_scanner.keystrokes import EV_KEY, KEY_ENTER, KEY_KPENTER, KEYMAP, KeystrokeDecoder
from devices.code_scanner.scans import ScanInbox, split_aim
from devices.code_scanner.wedge import EvdevCodeScanner
from devices.contracts import CodeScanner
from devices.errors import ConfigError, DeviceOffline, DeviceTimeout
from devices.records import Scan
from devices.status import Reason, State
from devices.testing.device_events import Events
from devices.testing.fake_evdev import (FakeEvdev, InputEvent, UInputKeyboard, events_for, syn_dropped,
                                        uinput_unavailable)

TYPABLE = string.ascii_letters + string.digits + string.punctuation + " \t\x1d"  # \x1d: GS1 separator (Ctrl+])


def decode(events, **kw) -> tuple[list[str], list[tuple[str, int]]]:
    discards: list[tuple[str, int]] = []
    dec = KeystrokeDecoder(on_discard=lambda r, n: discards.append((r, n)), **kw)
    out = [d for d in (dec.feed(e) for e in events) if d is not None]
    return out, discards


def key(code: int, value: int, t: float) -> InputEvent:
    return InputEvent(int(t), int(round((t % 1) * 1e6)), EV_KEY, code, value)


# decoder ----------------------------------------------------------------------------------------

def test_a_scan_ends_at_enter():
    out, discards = decode(events_for("ABC-123 xyz/?"))
    assert out == ["ABC-123 xyz/?"] and discards == []


def test_keypad_enter_ends_a_scan_too():
    events = events_for("42")
    for e in events:
        if e.code == KEY_ENTER and e.type == EV_KEY:
            e.code = KEY_KPENTER
    assert decode(events)[0] == ["42"]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=TYPABLE, min_size=1, max_size=200))
def test_any_typable_text_round_trips(text):
    assert decode(events_for(text))[0] == [text]


def test_keypad_digits_and_operators():
    codes = [79, 80, 81, 82, 83, 74, 78, 55, 98]  # KP1 KP2 KP3 KP0 KPDOT KPMINUS KPPLUS KPASTERISK KPSLASH
    events, t = [], 10.0
    for code in codes + [KEY_KPENTER]:
        events += [key(code, 1, t), key(code, 0, t + 0.001)]
        t += 0.002
    assert decode(events)[0] == ["1230.-+*/"]


def test_capslock_swaps_letters_only():
    t = 10.0
    events = [key(58, 1, t), key(58, 0, t + 0.001)]  # CapsLock
    events += events_for("aB1!", start=t + 0.002)
    assert decode(events)[0] == ["Ab1!"]


def test_ctrl_bracket_is_the_gs1_group_separator():
    assert decode(events_for("01095\x1d10ABC"))[0] == ["01095\x1d10ABC"]


def test_a_person_typing_is_not_a_scan():
    out, discards = decode(events_for("123456", step=0.12))  # 120 ms between key events
    assert out == []
    assert discards and all(reason == "gap" for reason, _ in discards)


def test_a_pause_discards_the_partial_and_the_next_scan_is_whole():
    events = events_for("99", enter=False, start=10.0) + events_for("QR-OK", start=11.0)
    out, discards = decode(events)
    assert out == ["QR-OK"] and discards == [("gap", 2)]


def test_gap_limit_is_the_configured_key_gap():
    assert decode(events_for("ABCD", step=0.049), key_gap=0.05)[0] == ["ABCD"]
    assert decode(events_for("ABCD", step=0.051), key_gap=0.05)[0] == []
    assert decode(events_for("ABCD", step=0.08), key_gap=0.1)[0] == ["ABCD"]


def test_timestamps_going_backwards_break_the_scan():
    events = events_for("12", enter=False, start=10.0) + events_for("34", start=9.0)
    out, discards = decode(events)
    assert out == ["34"] and discards == [("gap", 2)]


def test_too_long_is_discarded_with_its_length_and_the_next_scan_is_fine():
    out, discards = decode(events_for("x" * 11) + events_for("ok", start=2000.0), max_length=10)
    assert out == ["ok"] and discards == [("too_long", 11)]
    assert decode(events_for("y" * 10), max_length=10)[0] == ["y" * 10]


def test_a_key_without_a_character_spoils_the_scan():
    events = events_for("AB", enter=False)
    t = events[-1].timestamp()
    events += [key(59, 1, t + 0.002), key(59, 0, t + 0.004)]  # F1
    events += events_for("C", start=t + 0.006)
    out, discards = decode(events)
    assert out == [] and discards == [("unmapped", 4)]


def test_alt_codes_are_not_guessed():
    t = 10.0
    events = [key(56, 1, t), key(82, 1, t + 0.001), key(82, 0, t + 0.002), key(56, 0, t + 0.003)]
    events += events_for("", start=t + 0.004)  # just ENTER
    assert decode(events) == ([], [("unmapped", 1)])


def test_lost_events_discard_the_partial_and_release_modifiers():
    dec_events = [key(42, 1, 10.0)] + events_for("AB", enter=False, start=10.001)
    dec_events += [syn_dropped(10.02)]  # the shift release was lost with it
    dec_events += events_for("cd", start=10.03)
    out, discards = decode(dec_events)
    assert out == ["cd"] and discards == [("dropped", 2)]


def test_autorepeat_and_lone_enter_type_nothing():
    events = [key(30, 1, 10.0), key(30, 2, 10.001), key(30, 2, 10.002), key(30, 0, 10.003),
              key(KEY_ENTER, 1, 10.004), key(KEY_ENTER, 0, 10.005), key(KEY_ENTER, 1, 10.006)]
    assert decode(events) == (["a"], [])


def test_keymap_agrees_with_the_kernel_names():
    from evdev import ecodes

    for letter in string.ascii_lowercase:
        assert KEYMAP[ecodes.ecodes[f"KEY_{letter.upper()}"]] == (letter, letter.upper())
    for digit in string.digits:
        assert KEYMAP[ecodes.ecodes[f"KEY_{digit}"]][0] == digit
        assert KEYMAP[ecodes.ecodes[f"KEY_KP{digit}"]] == (digit, digit)
    named = {"MINUS": "-", "EQUAL": "=", "LEFTBRACE": "[", "RIGHTBRACE": "]", "SEMICOLON": ";",
             "APOSTROPHE": "'", "GRAVE": "`", "BACKSLASH": "\\", "COMMA": ",", "DOT": ".", "SLASH": "/",
             "SPACE": " ", "TAB": "\t", "KPDOT": ".", "KPSLASH": "/", "KPASTERISK": "*"}
    for name, char in named.items():
        assert KEYMAP[ecodes.ecodes[f"KEY_{name}"]][0] == char
    assert (ecodes.KEY_ENTER, ecodes.KEY_KPENTER, ecodes.EV_KEY) == (KEY_ENTER, KEY_KPENTER, EV_KEY)


def test_aim_identifiers():
    assert split_aim("]Q1https://example.gov.cn/x") == ("qr", "https://example.gov.cn/x")
    assert split_aim("]d2010950") == ("datamatrix", "010950")
    assert split_aim("]C0ABC") == ("code128", "ABC")
    assert split_aim("]?1abc") == ("unknown", "]?1abc")
    assert split_aim("]Q") == ("unknown", "]Q")
    assert split_aim("plain") == ("unknown", "plain")


# inbox -------------------------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


async def test_inbox_hands_scans_to_waiters_in_order():
    inbox = ScanInbox(4, 2.0)
    first = asyncio.ensure_future(inbox.get(None, "s"))
    second = asyncio.ensure_future(inbox.get(None, "s"))
    await asyncio.sleep(0)  # let both register (a yield, not a wait for time)
    inbox.put(Scan("1"))
    inbox.put(Scan("2"))
    assert (await first).data == "1" and (await second).data == "2"


async def test_inbox_keeps_a_few_recent_scans_and_expires_them():
    clock = Clock()
    inbox = ScanInbox(2, 2.0, clock=clock)
    for data in "abc":
        assert inbox.put(Scan(data))
    assert inbox.pending() == 2  # the oldest was dropped
    assert (await inbox.get(0, "s")).data == "b"
    clock.now += 2.5  # the next citizen must never get the previous one's code
    assert inbox.pending() == 0
    with pytest.raises(DeviceTimeout):
        await inbox.get(0, "s")


async def test_inbox_of_size_zero_discards_unwanted_scans():
    inbox = ScanInbox(0, 2.0)
    assert inbox.put(Scan("x")) is False
    with pytest.raises(DeviceTimeout, match="no scan within 0.01s"):
        await inbox.get(0.01, "s")


async def test_inbox_fail_wakes_every_waiter():
    inbox = ScanInbox(4, 2.0)
    waiters = [asyncio.ensure_future(inbox.get(None, "s")) for _ in range(2)]
    await asyncio.sleep(0)
    inbox.fail(DeviceOffline("gone"))
    for w in waiters:
        with pytest.raises(DeviceOffline):
            await w


async def test_inbox_cancelled_waiter_does_not_swallow_the_next_scan():
    inbox = ScanInbox(4, 2.0)
    gone = asyncio.ensure_future(inbox.get(None, "s"))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.gather(gone, return_exceptions=True)
    inbox.put(Scan("kept"))
    assert (await inbox.get(0, "s")).data == "kept"


# driver --------------------------------------------------------------------------------------------

@pytest.fixture
def bus():
    return FakeEvdev()


@pytest.fixture
async def scanner(bus):
    node = bus.add("/dev/input/event7")
    s = EvdevCodeScanner("scanner", backend=bus, path="/dev/input/event7")
    await s.open()
    yield s, node
    await s.close()


async def test_reads_a_scan_and_grabs_the_node(bus, scanner):
    s, node = scanner
    ui = bus.InputDevice(node.path)  # what Kivy would read: nothing while the scanner is grabbed
    assert isinstance(s, CodeScanner) and s.status.state is State.OK
    assert node.grabbed_by is not None and s.capabilities()["grabbed"] is True
    reading = asyncio.ensure_future(s.read_code(timeout=2))
    await asyncio.sleep(0)
    node.type("HELLO-123")
    scan = await reading
    assert scan == Scan("HELLO-123", "unknown", "scanner")
    assert "HELLO" not in repr(scan)
    assert ui.pending() == 0
    ui.close()


async def test_without_grab_the_ui_would_see_the_keys(bus):
    node = bus.add()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path, grab=False)
    await s.open()
    ui = bus.InputDevice(node.path)
    node.type("X")
    assert (await s.read_code(timeout=2)).data == "X"
    assert ui.pending() > 0
    ui.close()
    await s.close()


async def test_finds_the_keyboard_node_among_a_scanners_two(bus):
    bus.add("/dev/input/event3", keyboard=False)  # same VID:PID, consumer keys only: listed first
    keys = bus.add("/dev/input/event4")
    bus.add("/dev/input/event9", name="AT Translated Set 2 keyboard", vid_pid=(0x0001, 0x0001))
    s = EvdevCodeScanner("scanner", backend=bus, vid_pid="1eab:1a03")
    await s.open()
    assert s.status.state is State.OK and s.capabilities()["node"] == "/dev/input/event4"
    assert keys.grabbed_by is not None and not bus.nodes["/dev/input/event3"].handles  # probes are closed
    await s.close()
    s = EvdevCodeScanner("scanner", backend=bus, device_name="barcode")
    await s.open()
    assert s.capabilities()["node"] == "/dev/input/event4"
    await s.close()


async def test_missing_scanner_is_offline_not_an_exception_and_recovers(bus):
    s = EvdevCodeScanner("scanner", backend=bus, path="/dev/kiosk/scanner-kbd")
    await s.open()
    assert s.status.state is State.OFFLINE and s.status.reasons == {Reason.NO_DEVICE}
    assert "not present" in s.status.detail
    with pytest.raises(DeviceOffline):
        await s.read_code(timeout=1)
    node = bus.add("/dev/kiosk/scanner-kbd")  # plugged in later: the next health check reopens it
    assert (await s.check_health()).state is State.OK
    node.type("BACK")
    assert (await s.read_code(timeout=2)).data == "BACK"
    await s.close()


async def test_a_node_without_enter_is_not_the_scanner(bus):
    bus.add("/dev/input/event3", keyboard=False)
    s = EvdevCodeScanner("scanner", backend=bus, path="/dev/input/event3")
    await s.open()
    assert s.status.state is State.OFFLINE and "no Enter key" in s.status.detail
    assert not bus.nodes["/dev/input/event3"].handles
    await s.close()


async def test_permission_denied_names_the_fix(bus):
    bus.add().permission_denied = True
    s = EvdevCodeScanner("scanner", backend=bus, path="/dev/input/event5")
    await s.open()
    assert s.status.reasons == {Reason.NOT_CONFIGURED} and "99-kiosk.rules" in s.status.detail
    await s.close()


async def test_grabbed_by_another_process_is_an_error(bus):
    node = bus.add()
    other = bus.InputDevice(node.path)
    other.grab()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path)
    await s.open()
    assert s.status.state is State.ERROR and "EBUSY" in s.status.detail
    assert not s.status.usable
    other.close()
    assert (await s.check_health()).state is State.OK  # the other owner let go
    await s.close()


async def test_unplug_while_reading_raises_offline_and_replug_recovers(bus, scanner):
    s, node = scanner
    changes = []
    s.on_status(lambda ev: changes.append(ev.new.state))
    reading = asyncio.ensure_future(s.read_code(timeout=None))
    await asyncio.sleep(0)
    bus.unplug(node.path)
    with pytest.raises(DeviceOffline, match="ENODEV"):
        await reading
    assert s.status.reasons == {Reason.NO_DEVICE}
    node = bus.add(node.path)
    await s.reconnect()
    node.type("AGAIN")
    assert (await s.read_code(timeout=2)).data == "AGAIN"
    assert changes == [State.OFFLINE, State.OK]  # once down, once up


async def test_device_removed_releases_the_grab_and_the_node(bus, scanner):
    """The contract suite holds the pending read and the status; this is the wedge driver's own part."""
    s, node = scanner
    await s.device_removed("removed (udev input /dev/input/event7)")
    assert node.grabbed_by is None and not node.handles


async def test_scans_made_while_nobody_waits_are_queued_briefly(bus):
    node = bus.add()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path, queue=2)
    events = Events(s)
    await s.open()
    for data in ("one", "two", "three"):
        node.type(data)
    await events.until("scan", 3)
    assert [(await s.read_code(timeout=0)).data for _ in range(2)] == ["two", "three"]
    node.type("four")
    await events.until("scan", 4)
    assert s.discard_pending() == 1
    with pytest.raises(DeviceTimeout):
        await s.read_code(timeout=0)
    await s.close()


async def test_queue_zero_discards_scans_nobody_waits_for(bus):
    node = bus.add()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path, queue=0)
    events = Events(s)
    await s.open()
    node.type("lost")
    assert (await events.until("scan"))[0] == {"symbology": "unknown", "length": 4, "kept": False}
    with pytest.raises(DeviceTimeout):
        await s.read_code(timeout=0)
    await s.close()


async def test_aim_prefix_becomes_the_symbology(bus):
    node = bus.add()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path, aim_prefix=True)
    await s.open()
    node.type("]Q1https://zwfw.example.gov.cn/v?id=1")
    assert await s.read_code(timeout=2) == Scan("https://zwfw.example.gov.cn/v?id=1", "qr", "scanner")
    await s.close()


async def test_lost_kernel_events_discard_the_partial(bus, scanner):
    s, node = scanner
    events = Events(s)
    node.type("PART", enter=False)
    node.drop()
    assert (await events.until("discarded"))[0] == {"reason": "dropped", "length": 4}
    node.type("WHOLE")
    assert (await s.read_code(timeout=2)).data == "WHOLE"


async def test_logs_lengths_never_content(bus):
    node = bus.add()
    s = EvdevCodeScanner("scanner", backend=bus, path=node.path, max_length=8)
    events = Events(s)
    secret = "110105195506120022"
    with structlog.testing.capture_logs() as logs:
        await s.open()
        node.type(secret)  # too long: discarded with a warning
        node.type(secret[:8])
        await events.until("scan")
        await s.read_code(timeout=0)
        await s.close()
    assert secret[:8] not in repr(logs)
    scans = [e for e in logs if e["event"] == "scanner.scan"]
    assert scans[0]["length"] == 8 and scans[0]["symbology"] == "unknown"
    assert {"event": "scanner.discarded", "reason": "too_long", "length": 18} .items() <= \
        next(e for e in logs if e["event"] == "scanner.discarded").items()


@pytest.mark.parametrize("options, message", [
    ({}, "set 'path', 'device_name' or 'vid_pid'"),
    ({"path": "/dev/x", "colour": 1}, "unknown option 'colour'"),
    ({"vid_pid": "1eab"}, "VID:PID in hex"),
    ({"path": "/dev/x", "key_gap": 0}, "'key_gap' must be a positive number"),
    ({"path": "/dev/x", "queue": -1}, "'queue' must be an integer >= 0"),
    ({"path": "/dev/x", "max_length": 2.5}, "'max_length' must be an integer >= 1"),
    ({"path": "/dev/x", "aim_prefix": "yes"}, "'aim_prefix' must be true or false"),
])
def test_configuration_errors_name_the_option(options, message):
    with pytest.raises(ConfigError, match=message):
        EvdevCodeScanner("scanner", backend=FakeEvdev(), **options)


def test_importing_opens_nothing():
    s = EvdevCodeScanner("scanner", path="/dev/input/event99")  # no backend: real evdev, imported on open
    assert s.status.state is State.UNKNOWN and s.capabilities()["node"] == "/dev/input/event99"


# real kernel path, where the kernel has uinput -----------------------------------------------------

@pytest.mark.skipif(uinput_unavailable() is not None, reason=f"no uinput here: {uinput_unavailable()}")
async def test_real_uinput_keyboard_is_grabbed_and_decoded():
    with UInputKeyboard() as kbd:
        s = EvdevCodeScanner("scanner", path=kbd.path)
        await s.open()
        assert s.status.state is State.OK
        reading = asyncio.ensure_future(s.read_code(timeout=2))
        await asyncio.sleep(0)
        kbd.type("UINPUT-1")
        assert (await reading).data == "UINPUT-1"
        await s.close()
