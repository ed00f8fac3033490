"""Code scanner in keyboard-wedge mode, read from its evdev node and grabbed away from the UI.

Why this shape: a wedge scanner is a USB keyboard that types very fast. The
pure part (:class:`devices.code_scanner.keystrokes.KeystrokeDecoder`) turns key events into characters on a
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
import errno
import fcntl
import struct
from typing import Any

import structlog

from devices.base import driver_options
from devices.code_scanner.keystrokes import EV_KEY, KEY_ENTER, KeystrokeDecoder
from devices.code_scanner.scans import SCAN_OPTIONS, ScanInbox, check_scan_options, split_aim
from devices.contracts import CodeScanner
from devices.errors import ConfigError, DeviceOffline
from devices.records import Scan
from devices.status import Reason, Status

log = structlog.get_logger("devices.scanner")

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
