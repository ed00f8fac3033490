"""Fake evdev input nodes for the wedge-scanner tests, and a real uinput keyboard where the kernel has one.

Why a fake: this sandbox (like most CI runners) has no /dev/uinput and no
/dev/input. :class:`FakeEvdev` has the two calls the driver uses,
``list_devices()`` and ``InputDevice(path)``. Its devices expose a real file
descriptor, so the driver's ``loop.add_reader`` path is exercised as on
hardware. It behaves like the kernel in what matters here: a grab sends
events to one handle only, a second grab fails with EBUSY, and reading an
unplugged node fails with ENODEV. Events carry synthetic timestamps, so
"a person typing slowly" is a property of the data, not of the test's
sleeping.

Where /dev/uinput works, :class:`UInputKeyboard` types into a real virtual
keyboard instead; :func:`uinput_unavailable` says why it cannot.
"""
from __future__ import annotations

import collections
import errno
import os
import threading
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from devices.code_scanner.keystrokes import CTRL, EV_KEY, EV_SYN, KEY_ENTER, KEYMAP, SHIFT, SYN_DROPPED

try:
    from evdev.events import InputEvent
except ImportError:  # the decoder needs only these five fields and timestamp()
    class InputEvent:  # type: ignore[no-redef]
        __slots__ = ("sec", "usec", "type", "code", "value")

        def __init__(self, sec: int, usec: int, type: int, code: int, value: int):
            self.sec, self.usec, self.type, self.code, self.value = sec, usec, type, code, value

        def timestamp(self) -> float:
            return self.sec + self.usec / 1_000_000

SYN_REPORT = 0
LEFTSHIFT, LEFTCTRL = min(SHIFT), min(CTRL)
BATCH = 64  # python-evdev's read() takes at most 64 events per system call
SCANNER_KEYS = sorted(set(KEYMAP) | {KEY_ENTER, LEFTSHIFT, LEFTCTRL})
CONSUMER_KEYS = [113, 114, 115]  # KEY_MUTE, KEY_VOLUMEDOWN, KEY_VOLUMEUP: the second node some scanners add


def _keys_for() -> dict[str, tuple[int, bool]]:
    out: dict[str, tuple[int, bool]] = {}
    for code in sorted(KEYMAP, key=lambda c: (c > 53 and c != 57, c)):  # main block before the keypad
        plain, shifted = KEYMAP[code]
        out.setdefault(plain, (code, False))
        out.setdefault(shifted, (code, True))
    return out


KEYS_FOR = _keys_for()


def strokes(char: str) -> tuple[int, bool, bool]:
    """(code, shift, ctrl) that type ``char`` on a US layout; control characters go through Ctrl."""
    if char in KEYS_FOR:
        return (*KEYS_FOR[char], False)
    if ord(char) < 0x20:
        code, shift = KEYS_FOR[chr(ord(char) + 0x40).lower()]
        return code, shift, True
    raise ValueError(f"{char!r} cannot be typed on a US keyboard")


def events_for(text: str, *, start: float = 1000.0, step: float = 0.002, enter: bool = True) -> list[InputEvent]:
    """The events a wedge scanner sends for ``text``: key down and up, each followed by SYN_REPORT.

    Consecutive key events are ``step`` seconds apart (scanners: 1-10 ms; a person: 50-300 ms).
    """
    out: list[InputEvent] = []
    t = start

    def emit(code: int, value: int) -> None:
        nonlocal t
        sec = int(t)
        usec = int(round((t - sec) * 1_000_000))
        out.append(InputEvent(sec, usec, EV_KEY, code, value))
        out.append(InputEvent(sec, usec, EV_SYN, SYN_REPORT, 0))
        t += step

    for char in text:
        code, shift, ctrl = strokes(char)
        mods = ([LEFTCTRL] if ctrl else []) + ([LEFTSHIFT] if shift else [])
        for m in mods:
            emit(m, 1)
        emit(code, 1)
        emit(code, 0)
        for m in reversed(mods):
            emit(m, 0)
    if enter:
        emit(KEY_ENTER, 1)
        emit(KEY_ENTER, 0)
    return out


def syn_dropped(at: float) -> InputEvent:
    sec = int(at)
    return InputEvent(sec, int((at - sec) * 1_000_000), EV_SYN, SYN_DROPPED, 0)


class DeviceInfo(NamedTuple):
    bustype: int
    vendor: int
    product: int
    version: int


class FakeNode:
    """One /dev/input/eventN as the kernel keeps it: identity, capabilities, grab owner, open handles."""

    def __init__(self, path: str, name: str, vendor: int, product: int, keys: Iterable[int]):
        self.path, self.name = path, name
        self.info = DeviceInfo(0x03, vendor, product, 0x0110)  # bus 0x03: USB
        self.keys = sorted(keys)
        self.handles: list[FakeInputDevice] = []
        self.grabbed_by: FakeInputDevice | None = None
        self.present = True
        self.clock = 1000.0  # the next event's timestamp; every type() starts a second later
        self.permission_denied = False

    def type(self, text: str, *, step: float = 0.002, enter: bool = True) -> None:
        """Type ``text`` (and ENTER) as a scanner does, key events ``step`` seconds apart."""
        self.clock += 1.0
        events = events_for(text, start=self.clock, step=step, enter=enter)
        self.clock = events[-1].timestamp() if events else self.clock
        self.send(events)

    def send(self, events: Iterable[InputEvent]) -> None:
        events = list(events)
        targets = [self.grabbed_by] if self.grabbed_by else list(self.handles)
        for handle in targets:
            handle._queue(events)

    def drop(self) -> None:
        """The kernel's buffer for this client overflowed: SYN_DROPPED, as evdev reports lost events."""
        self.clock += 0.001
        self.send([syn_dropped(self.clock)])

    def unplug(self) -> None:
        """The cable is pulled: the node disappears and every open handle reads ENODEV."""
        self.present = False
        for handle in list(self.handles):
            handle._wake()


class FakeInputDevice:
    """What ``evdev.InputDevice(path)`` returns, for a :class:`FakeNode`; ``fd`` is a real pipe."""

    def __init__(self, node: FakeNode):
        self._node = node
        self.path, self.name, self.info = node.path, node.name, node.info
        self.phys, self.uniq = f"usb-fake/{node.path}", ""
        self._lock = threading.Lock()
        self._events: collections.deque[InputEvent] = collections.deque()
        self._rfd, self._wfd = os.pipe()
        os.set_blocking(self._rfd, False)
        self._signalled = False
        self.closed = False
        node.handles.append(self)

    @property
    def fd(self) -> int:
        return self._rfd

    def fileno(self) -> int:
        return self._rfd

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        return {EV_SYN: [0, 1, 4], EV_KEY: list(self._node.keys)}

    def grab(self) -> None:
        if not self._node.present:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        if self._node.grabbed_by not in (None, self):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        self._node.grabbed_by = self

    def ungrab(self) -> None:
        if not self._node.present:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        if self._node.grabbed_by is self:
            self._node.grabbed_by = None

    def read(self) -> Iterator[InputEvent]:
        """Like evdev: BlockingIOError when nothing is queued, OSError ENODEV once unplugged."""
        with self._lock:
            self._drain()
            if not self._node.present:
                raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
            if not self._events:
                raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
            batch = [self._events.popleft() for _ in range(min(BATCH, len(self._events)))]
            if self._events:
                self._signal()  # more to read: stay readable, as the kernel's buffer would
        return iter(batch)

    def pending(self) -> int:
        return len(self._events)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._node.grabbed_by is self:
            self._node.grabbed_by = None
        if self in self._node.handles:
            self._node.handles.remove(self)
        os.close(self._rfd)
        os.close(self._wfd)

    def _queue(self, events: list[InputEvent]) -> None:
        with self._lock:
            self._events.extend(events)
            self._signal()

    def _wake(self) -> None:
        with self._lock:
            self._signal()

    def _signal(self) -> None:
        if not self._signalled and not self.closed:
            os.write(self._wfd, b"\0")
            self._signalled = True

    def _drain(self) -> None:
        if self._signalled:
            try:
                os.read(self._rfd, 64)
            except BlockingIOError:
                pass
            self._signalled = False


class FakeEvdev:
    """Stands in for the ``evdev`` module: ``list_devices()`` and ``InputDevice(path)`` over fake nodes."""

    def __init__(self) -> None:
        self.nodes: dict[str, FakeNode] = {}

    def add(self, path: str = "/dev/input/event5", *, name: str = "Fake 2D Barcode Scanner",
            vid_pid: tuple[int, int] = (0x1EAB, 0x1A03), keyboard: bool = True) -> FakeNode:
        """Plug in a node; ``keyboard=False`` makes the consumer-control twin that has no Enter key."""
        node = FakeNode(path, name, *vid_pid, SCANNER_KEYS if keyboard else CONSUMER_KEYS)
        self.nodes[path] = node
        return node

    def unplug(self, path: str) -> FakeNode:
        node = self.nodes.pop(path)
        node.unplug()
        return node

    def list_devices(self) -> list[str]:
        return sorted(self.nodes)

    def InputDevice(self, path: str) -> FakeInputDevice:  # noqa: N802 - the evdev spelling
        node = self.nodes.get(str(path))
        if node is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
        if node.permission_denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return FakeInputDevice(node)


def uinput_unavailable() -> str | None:
    """Why a real virtual keyboard cannot be made here, or None when it can."""
    if not os.path.exists("/dev/uinput"):
        return "/dev/uinput absent (kernel without CONFIG_INPUT_UINPUT, or the uinput module is not loaded)"
    if not os.access("/dev/uinput", os.R_OK | os.W_OK):
        return "/dev/uinput not writable by this user"
    try:
        import evdev  # noqa: F401
    except ImportError:
        return "python-evdev not installed"
    return None


class UInputKeyboard:
    """A real virtual keyboard through /dev/uinput that types like a scanner (kernel timestamps and all)."""

    def __init__(self, name: str = "Kiosk Test Scanner", vid_pid: tuple[int, int] = (0x1EAB, 0x1A03)):
        import evdev

        self._ui = evdev.UInput({EV_KEY: SCANNER_KEYS}, name=name, vendor=vid_pid[0], product=vid_pid[1])
        self.path: str = self._ui.device.path

    def type(self, text: str, *, enter: bool = True) -> None:
        for event in events_for(text, enter=enter):
            if event.type == EV_KEY:
                self._ui.write(EV_KEY, event.code, event.value)
                self._ui.syn()

    def close(self) -> None:
        self._ui.close()

    def __enter__(self) -> "UInputKeyboard":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
