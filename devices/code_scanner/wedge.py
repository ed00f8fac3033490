"""Code scanner in keyboard-wedge mode, read from its evdev node and grabbed away from the UI.

Why this shape: a wedge scanner is a USB keyboard that types very fast. The
pure part (:class:`KeystrokeDecoder`) turns key events into characters on a
US layout and ends a scan at ENTER. It tells a scanner from a person by the
kernel's event timestamps: a pause longer than ``key_gap`` inside a scan
throws the partial scan away. The driver grabs the node (EVIOCGRAB) so that
scans never type into Kivy. It reads in the event loop with ``add_reader``;
evdev's own async read does the same, and decoding costs microseconds, so no
thread is needed.

Wedge mode is ASCII only: what the scanner "types" depends on the keymap.
Chinese QR content needs USB-COM (:mod:`devices.code_scanner.serial`) or HID-POS.

Scans that arrive while nobody waits go to a small queue. The queue is
bounded and its scans expire (``keep_for``), so a code scanned by one
citizen is never handed to the next. Nothing scanned is logged: only
lengths and symbologies.

Registry entry: ("code_scanner", "evdev") -> "devices.code_scanner.wedge:EvdevCodeScanner".
"""
from __future__ import annotations

import asyncio
import collections
import errno
import fcntl
import struct
import time
from collections.abc import Callable
from typing import Any

import structlog

from devices.base import driver_options
from devices.contracts import CodeScanner
from devices.errors import ConfigError, DeviceError, DeviceOffline, DeviceTimeout
from devices.records import Scan
from devices.status import Reason, Status

log = structlog.get_logger("devices.scanner")

# Key codes from linux/input-event-codes.h (stable kernel ABI), kept here so the decoder needs no evdev.
EV_SYN, EV_KEY = 0x00, 0x01
SYN_DROPPED = 3  # the kernel's client buffer overflowed: events were lost
KEY_ENTER, KEY_KPENTER = 28, 96
SHIFT = frozenset({42, 54})  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CTRL = frozenset({29, 97})  # KEY_LEFTCTRL, KEY_RIGHTCTRL
ALT_META = frozenset({56, 100, 125, 126})  # KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTMETA, KEY_RIGHTMETA
KEY_CAPSLOCK = 58
IGNORED = frozenset({69, 70})  # KEY_NUMLOCK, KEY_SCROLLLOCK: the keypad is read as digits either way

# code -> (unshifted, shifted) on a US layout
KEYMAP: dict[int, tuple[str, str]] = {
    **{code: (c, s) for code, c, s in zip(range(2, 14), "1234567890-=", "!@#$%^&*()_+")},
    15: ("\t", "\t"),
    **{code: (c, c.upper()) for code, c in zip(range(16, 26), "qwertyuiop")},
    26: ("[", "{"), 27: ("]", "}"),
    **{code: (c, c.upper()) for code, c in zip(range(30, 39), "asdfghjkl")},
    39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    **{code: (c, c.upper()) for code, c in zip(range(44, 51), "zxcvbnm")},
    51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "),
    # keypad, as typed with NumLock on (scanners assume it; the grabbed node has its own state)
    55: ("*", "*"), 74: ("-", "-"), 78: ("+", "+"), 83: (".", "."), 98: ("/", "/"),
    **{code: (d, d) for code, d in zip((71, 72, 73, 75, 76, 77, 79, 80, 81, 82), "7894561230")},
}
CTRL_CHARS = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"  # Ctrl+key gives chr(ord & 0x1f): Ctrl+] is GS, the GS1 separator

# AIM symbology identifiers (ISO/IEC 15424), sent as "]" + code + modifier when the scanner is set to prefix them
AIM_CODES = {"Q": "qr", "d": "datamatrix", "C": "code128", "E": "ean_upc", "A": "code39", "I": "itf",
             "L": "pdf417", "z": "aztec", "e": "gs1_databar", "F": "codabar", "G": "code93", "X": "other"}

Discard = Callable[[str, int], None]  # (reason, length) for a partial scan that was thrown away


class KeystrokeDecoder:
    """Key events in, finished scans out. Pure: no I/O and no clock but the events' own timestamps.

    A partial scan is discarded when the next key event comes more than
    ``key_gap`` seconds after the last one, when the timestamps go backwards,
    when the kernel reports lost events, when a key has no character, or when
    the scan grows past ``max_length``. It is thrown away, never returned cut
    short: a truncated code is worse than none.
    """

    def __init__(self, *, key_gap: float = 0.05, max_length: int = 4096, on_discard: Discard | None = None):
        self.key_gap = key_gap
        self.max_length = max_length
        self.on_discard = on_discard
        self.reset()

    def reset(self) -> None:
        self._buf: list[str] = []
        self._count = 0  # characters typed into this partial, including those past max_length
        self._bad: str | None = None  # why the partial can no longer be returned
        self._last: float | None = None
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._alt: set[int] = set()
        self._caps = False

    def feed(self, event: Any) -> str | None:
        """Take one evdev InputEvent (``type``, ``code``, ``value``, ``timestamp()``); return a finished scan."""
        if event.type == EV_SYN and event.code == SYN_DROPPED:
            self._discard("dropped")
            for held in (self._shift, self._ctrl, self._alt):
                held.clear()  # key-ups may be among the lost events
            return None
        if event.type != EV_KEY:
            return None
        now = event.timestamp()
        if self._last is not None and (now - self._last > self.key_gap or now < self._last):
            self._discard("gap")
        self._last = now
        code, value = event.code, event.value
        held = self._shift if code in SHIFT else self._ctrl if code in CTRL else self._alt if code in ALT_META else None
        if held is not None:
            (held.add if value else held.discard)(code)
            return None
        if value != 1:  # 0 release, 2 autorepeat: only presses type
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            return self._finish()
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
        elif code not in IGNORED:
            self._type(self._char(code))
        return None

    def _char(self, code: int) -> str | None:
        pair = KEYMAP.get(code)
        if pair is None or self._alt:  # Alt codes depend on a Windows code page; Linux has none to follow
            return None
        char = pair[1] if self._shift else pair[0]
        if self._caps and char.isalpha():
            char = char.swapcase()
        if self._ctrl:
            upper = char.upper()
            return chr(ord(upper) & 0x1F) if upper in CTRL_CHARS else None
        return char

    def _type(self, char: str | None) -> None:
        self._count += 1
        if self._bad:
            return
        if char is None:
            self._bad = "unmapped"
        elif len(self._buf) >= self.max_length:
            self._bad = "too_long"
        else:
            self._buf.append(char)

    def _finish(self) -> str | None:
        data, bad, count = "".join(self._buf), self._bad, self._count
        self._buf, self._bad, self._count = [], None, 0
        if bad:
            self._report(bad, count)
            return None
        return data or None  # a lone ENTER is not a scan

    def _discard(self, reason: str) -> None:
        if self._count:
            self._report(self._bad or reason, self._count)
        self._buf, self._bad, self._count = [], None, 0

    def _report(self, reason: str, length: int) -> None:
        if self.on_discard is not None:
            self.on_discard(reason, length)


def split_aim(data: str) -> tuple[str, str]:
    """(symbology, payload) from a scan that starts with an AIM identifier such as ``]Q1``.

    Without a recognisable prefix the scan is returned whole as ``unknown``,
    so a scanner that lost its prefix setting still delivers its codes.
    """
    if len(data) >= 3 and data[0] == "]" and data[1] in AIM_CODES:
        return AIM_CODES[data[1]], data[3:]
    return "unknown", data


# options the wedge and serial scanners share: (default, meaning)
SCAN_OPTIONS: dict[str, tuple[Any, str]] = {
    "max_length": (4096, "longest scan kept (characters on a wedge, bytes on a serial line); longer ones are "
                         "discarded with a warning. A QR code holds at most 2953 bytes or 4296 alphanumerics"),
    "queue": (4, "scans kept while no read_code() is waiting, oldest dropped first; 0 discards them"),
    "keep_for": (2.0, "seconds a kept scan stays valid, so a reader that comes just late still gets it "
                      "but the next citizen never gets the previous one's code"),
    "aim_prefix": (False, "the scanner is set to prefix AIM identifiers (]Q1...): strip them into Scan.symbology"),
}


def check_scan_options(name: str, cfg: dict[str, Any], seconds: tuple[str, ...]) -> None:
    """Type checks on validated options; ConfigError names the option."""
    for key in seconds + ("keep_for",):
        if not isinstance(cfg[key], (int, float)) or isinstance(cfg[key], bool) or cfg[key] <= 0:
            raise ConfigError(f"{name}: option {key!r} must be a positive number of seconds")
    for key, low in (("max_length", 1), ("queue", 0)):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < low:
            raise ConfigError(f"{name}: option {key!r} must be an integer >= {low}")
    if not isinstance(cfg["aim_prefix"], bool):
        raise ConfigError(f"{name}: option 'aim_prefix' must be true or false")


class ScanInbox:
    """Hands each scan to the longest-waiting reader, or keeps it briefly for one that is about to come.

    Lives on the event loop. ``clock`` is monotonic: the wall clock jumps on these machines.
    """

    def __init__(self, size: int, keep_for: float, clock: Callable[[], float] = time.monotonic):
        self._kept: collections.deque[tuple[float, Scan]] = collections.deque(maxlen=size or None)
        self._size, self._keep_for, self._clock = size, keep_for, clock
        self._waiters: collections.deque[asyncio.Future] = collections.deque()

    def put(self, scan: Scan) -> bool:
        """Deliver or keep; False when the scan was discarded (nobody waits and keeping is off)."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(scan)
                return True
        if not self._size:
            return False
        if len(self._kept) == self._size:
            log.info("scanner.queue_full", kept=self._size)  # the oldest is dropped
        self._kept.append((self._clock(), scan))
        return True

    def pending(self) -> int:
        self._expire()
        return len(self._kept)

    def clear(self) -> int:
        n = len(self._kept)
        self._kept.clear()
        return n

    async def get(self, timeout: float | None, name: str) -> Scan:
        self._expire()
        if self._kept:
            return self._kept.popleft()[1]
        if timeout is not None and timeout <= 0:
            raise DeviceTimeout(f"{name}: no scan waiting")
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                return fut.result()  # delivered in the same instant the wait ran out
            raise DeviceTimeout(f"{name}: no scan within {timeout:g}s") from None
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    def fail(self, exc: DeviceError) -> None:
        """Wake every waiting reader with ``exc`` (the scanner went away or was closed)."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(exc)

    def _expire(self) -> None:
        limit = self._clock() - self._keep_for
        while self._kept and self._kept[0][0] < limit:
            self._kept.popleft()
            log.info("scanner.expired")  # kept too long with no reader: never handed to a later session


OPTIONS: dict[str, tuple[Any, str]] = {
    "path": (None, "event node: /dev/kiosk/scanner-kbd (udev rule), /dev/input/by-id/...-event-kbd, /dev/input/eventN"),
    "device_name": (None, "find the node instead by a substring of the input device name, as evtest lists it"),
    "vid_pid": (None, "find the node instead by USB vendor:product in hex, e.g. '0c2e:0b61'"),
    "key_gap": (0.05, "seconds between key events beyond which a partial scan is a person typing and is "
                      "discarded; scanners send keys 1-10 ms apart, slowed ones up to ~30 ms"),
    "grab": (True, "take the node exclusively so that scans never type into the UI; false only for bench tests"),
    **SCAN_OPTIONS,
}
EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int): choose the clock of this client's event timestamps
CLOCK_MONOTONIC = 1


class EvdevCodeScanner(CodeScanner):
    """``read_code`` returns the next scan typed by a wedge scanner.

    Events (``on_event``), without content: ``scan`` {symbology, length,
    kept} when a scan was handed on or queued (kept=False: discarded, nobody
    waited and queue is 0); ``discarded`` {reason, length} for a partial scan
    thrown away (gap, too_long, unmapped, dropped).

    ``backend`` is the evdev module by default; tests pass
    :class:`devices.testing.fake_evdev.FakeEvdev`, which has the same
    ``list_devices()`` and ``InputDevice(path)``.
    """

    def __init__(self, name: str, *, backend: Any = None, **options: Any):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS)
        check_scan_options(name, cfg, ("key_gap",))
        if not (cfg["path"] or cfg["device_name"] or cfg["vid_pid"]):
            raise ConfigError(f"{name}: set 'path', 'device_name' or 'vid_pid' to find the scanner")
        self._vid_pid = _parse_vid_pid(name, cfg["vid_pid"]) if cfg["vid_pid"] else None
        self.path: str | None = cfg["path"]
        self._device_name: str | None = cfg["device_name"]
        self._grab: bool = cfg["grab"]
        self._aim: bool = cfg["aim_prefix"]
        self._backend = backend
        self._decoder = KeystrokeDecoder(key_gap=float(cfg["key_gap"]), max_length=cfg["max_length"],
                                         on_discard=self._discarded)
        self._inbox = ScanInbox(cfg["queue"], float(cfg["keep_for"]))
        self._dev: Any = None  # the open InputDevice; touched only on the event loop
        self._node: str | None = None  # the node actually opened

    # contract ---------------------------------------------------------------------------------
    def capabilities(self) -> dict[str, Any]:
        return {"transport": "evdev", "node": self._node or self.path, "grabbed": self._dev is not None and self._grab,
                "charset": "ascii (US keymap)", "symbology": "aim" if self._aim else "unknown"}

    async def open(self) -> None:
        """Find, open and grab the node; a missing scanner leaves status offline instead of raising."""
        if self._dev is None:
            self._attach()

    async def check_health(self) -> Status:
        """Reopens a scanner that is offline, so a replug recovers without a hotplug event."""
        if self._dev is None:
            self._attach()
        return self.status

    async def close(self) -> None:
        self._detach()
        self._inbox.fail(DeviceOffline(f"{self.name}: scanner closed"))
        await super().close()

    async def reconnect(self) -> None:
        """Reopen without failing a waiting read_code: it gets the first scan after the replug."""
        self._detach()
        self._attach()

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """The hotplug monitor saw the node go: release it and go offline now, not at the next read."""
        self._lost(detail)

    async def read_code(self, *, timeout: float | None = None) -> Scan:
        if self._dev is None:
            self._attach()  # it may have come back since
            if self._dev is None and not self._inbox.pending():
                raise DeviceOffline(f"{self.name}: {self.status.detail or 'scanner not available'}")
        return await self._inbox.get(timeout, self.name)

    def discard_pending(self) -> int:
        """Forget kept scans, e.g. when a session ends; returns how many were dropped."""
        return self._inbox.clear()

    # node handling (event loop) ------------------------------------------------------------------
    def _attach(self) -> None:
        evdev = self._backend or _import_evdev()
        try:
            path, dev = self._find(evdev)
        except PermissionError as exc:
            self._set_reasons({Reason.NOT_CONFIGURED}, f"permission denied on {exc.filename}: the kiosk user "
                              "needs the group of 99-kiosk.rules (or 'input')")
            return
        if dev is None:
            self._set_reasons({Reason.NO_DEVICE}, path)
            return
        if self._grab:
            try:
                dev.grab()
            except OSError as exc:
                _close_quietly(dev)
                # EBUSY: another process holds EVIOCGRAB, and a grabbed node sends events to its owner only
                self._set_reasons({Reason.HARDWARE_ERROR}, f"{path}: cannot grab ({_errname(exc)}); "
                                  "another process owns the scanner")
                return
        try:
            fcntl.ioctl(dev.fd, EVIOCSCLOCKID, struct.pack("i", CLOCK_MONOTONIC))
        except OSError:
            pass  # older kernels or a fake: realtime stamps, and the decoder treats a backwards step as a break
        self._dev, self._node = dev, path
        self._decoder.reset()
        asyncio.get_running_loop().add_reader(dev.fd, self._on_readable)
        log.info("scanner.open", device=self.name, node=path, grabbed=self._grab)
        self._set_reasons(set(), path)

    def _find(self, evdev: Any) -> tuple[str, Any]:
        """(path, open device) or (why not, None). With a path, that node; else the keyboard node that matches."""
        if self.path:
            try:
                dev = evdev.InputDevice(self.path)
            except FileNotFoundError:
                return f"{self.path} not present", None
            except PermissionError:
                raise
            except OSError as exc:
                return f"{self.path}: {_errname(exc)}", None
            if not _has_enter(dev):
                _close_quietly(dev)
                return f"{self.path} has no Enter key: not the scanner's keyboard node", None
            return self.path, dev
        for path in sorted(evdev.list_devices()):
            try:
                dev = evdev.InputDevice(path)
            except (FileNotFoundError, PermissionError):
                continue  # gone meanwhile, or someone else's device: keep looking
            except OSError:
                continue
            if self._wanted(dev) and _has_enter(dev):  # a scanner's second node (consumer keys) has no Enter
                return path, dev
            _close_quietly(dev)
        want = self._device_name or "%04x:%04x" % self._vid_pid
        return f"no keyboard node matching {want!r}", None

    def _wanted(self, dev: Any) -> bool:
        if self._vid_pid and (dev.info.vendor, dev.info.product) != self._vid_pid:
            return False
        return not self._device_name or self._device_name.lower() in dev.name.lower()

    def _detach(self) -> None:
        dev, self._dev = self._dev, None
        if dev is None:
            return
        try:
            asyncio.get_running_loop().remove_reader(dev.fd)
        except (RuntimeError, ValueError, OSError):
            pass  # loop closing or fd already gone
        if self._grab:
            try:
                dev.ungrab()
            except OSError:
                pass  # an unplugged node cannot be ungrabbed; closing releases it anyway
        _close_quietly(dev)

    def _on_readable(self) -> None:
        dev = self._dev
        if dev is None:
            return
        try:
            events = list(dev.read())
        except BlockingIOError:
            return
        except OSError as exc:  # ENODEV: unplugged
            self._lost(f"{self._node}: {_errname(exc)} while reading")
            return
        for event in events:
            data = self._decoder.feed(event)
            if data is not None:
                self._deliver(data)

    def _lost(self, detail: str) -> None:
        was_open = self._dev is not None
        self._detach()
        self._set_reasons({Reason.NO_DEVICE}, detail)
        if was_open:
            log.warning("scanner.lost", device=self.name, detail=detail)
        self._inbox.fail(DeviceOffline(f"{self.name}: {detail}"))

    def _deliver(self, data: str) -> None:
        symbology, payload = split_aim(data) if self._aim else ("unknown", data)
        scan = Scan(payload, symbology, self.name)
        delivered = self._inbox.put(scan)
        log.info("scanner.scan", device=self.name, symbology=symbology, length=len(payload), kept=delivered)
        self._emit("scan", symbology=symbology, length=len(payload), kept=delivered)

    def _discarded(self, reason: str, length: int) -> None:
        # a lone stray key (a person touching a keyboard) is noise; anything longer is worth a warning
        level = "debug" if reason == "gap" and length <= 1 else "warning"
        getattr(log, level)("scanner.discarded", device=self.name, reason=reason, length=length)
        self._emit("discarded", reason=reason, length=length)


def _has_enter(dev: Any) -> bool:
    return KEY_ENTER in dev.capabilities().get(EV_KEY, ())


def _parse_vid_pid(name: str, text: Any) -> tuple[int, int]:
    try:
        vid, pid = str(text).split(":")
        return int(vid, 16), int(pid, 16)
    except ValueError:
        raise ConfigError(f"{name}: option 'vid_pid' must be VID:PID in hex, e.g. '0c2e:0b61'") from None


def _import_evdev() -> Any:
    import evdev  # imported on use: importing the driver opens and loads nothing

    return evdev


def _close_quietly(dev: Any) -> None:
    try:
        dev.close()
    except OSError:
        pass


def _errname(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, "") or str(exc)
