"""Device hotplug: udev add/remove events mapped to configured devices, which reconnect or go offline.

Why: an unplugged scanner or ID reader must show as offline at once and come
back by itself when plugged in again, without waiting for the next health
poll. pyudev delivers events on its own thread; they are converted there
into plain :class:`UdevEvent` records and handed to the event loop with
``call_soon_threadsafe``. Devices are only ever touched on the loop.

One USB plug produces a burst of events (usb device, interface, tty or
input, hidraw...). Removal acts on the first matching event, since the
device is gone and saying so twice changes nothing. Addition waits until the
burst has been quiet for ``settle`` seconds, so that the node exists before
``reconnect()`` opens it. A burst that never goes quiet (a flapping cable)
still fires ``cap`` seconds after it began. Timers run on the loop's
monotonic clock.

The event source is injectable (:class:`EventSource`); :class:`PyudevSource`
is the real one. If netlink is unavailable the monitor says so once and the
devices recover through their health checks instead.
"""
from __future__ import annotations

import asyncio
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from devices.base import Device
from devices.errors import ConfigError

log = structlog.get_logger("devices.hotplug")

# tty: ID readers, serial scanners and printers; input/hidraw: wedge and HID-POS scanners; usb/usbmisc:
# ESC/POS printers (/dev/usb/lp*, libusb); video4linux/sound: the help panel's camera and audio
SUBSYSTEMS = ("tty", "input", "hidraw", "usb", "usbmisc", "video4linux", "sound")
NODE_OPTIONS = ("port", "path", "uri", "printer_uri", "devnode")  # driver options that may name a device node


@dataclass(frozen=True)
class UdevEvent:
    """What the monitor needs from one uevent, copied off pyudev's thread."""

    action: str  # add | remove | change | bind | unbind | move
    subsystem: str
    devnode: str | None = None
    devlinks: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def vendor_id(self) -> str:
        return self.properties.get("ID_VENDOR_ID", "").lower()

    @property
    def model_id(self) -> str:
        return self.properties.get("ID_MODEL_ID", "").lower()

    @property
    def nodes(self) -> set[str]:
        return {n for n in (self.devnode, *self.devlinks) if n}

    @classmethod
    def from_pyudev(cls, device: Any) -> "UdevEvent":
        props = dict(device.properties)
        return cls(action=device.action or "", subsystem=device.subsystem or "", devnode=device.device_node,
                   devlinks=tuple(device.device_links), properties=props)


@dataclass(frozen=True)
class Match:
    """Which events belong to a device: its node or a symlink to it, or its USB vendor (and model) id.

    Prefer nodes (``/dev/kiosk/idreader``): generic USB-serial bridges share
    vendor and model ids, so two of them cannot be told apart by id.
    """

    devnodes: tuple[str, ...] = ()
    vendor_id: str | None = None
    model_id: str | None = None

    def matches(self, event: UdevEvent, resolved: str | None = None) -> bool:
        return self.names(event, resolved) or self.same_ids(event)

    def names(self, event: UdevEvent, resolved: str | None = None) -> bool:
        """The event is about this device's node, by path or symlink."""
        nodes = event.nodes
        return bool(nodes & set(self.devnodes) or (resolved and resolved in nodes))

    def same_ids(self, event: UdevEvent) -> bool:
        """The event is about a device with this USB vendor (and model) id: this one, or a twin."""
        if not self.vendor_id or event.vendor_id != self.vendor_id.lower():
            return False
        return self.model_id is None or event.model_id == self.model_id.lower()

    @classmethod
    def for_device(cls, device: Device) -> "Match | None":
        """Derived from the driver's options: a node path (also inside serial:// or spy:// URLs) or usb://VID:PID."""
        nodes: list[str] = []
        ids = _vid_pid(device.options.get("vid_pid"))
        for key in NODE_OPTIONS:
            value = device.options.get(key)
            if not isinstance(value, str) or not value:
                continue
            url = urllib.parse.urlsplit(value)
            if value.startswith("/"):
                nodes.append(value)
            elif url.scheme in ("serial", "spy") and url.path.startswith("/"):
                nodes.append(url.path)
            elif url.scheme == "usb":
                ids = ids or _vid_pid(url.netloc)
        if not nodes and ids is None:
            return None
        return cls(tuple(nodes), *(ids or (None, None)))


class EventSource(Protocol):
    """Calls ``deliver`` with each event, from any thread, between ``start`` and ``stop``."""

    def start(self, deliver: Callable[[UdevEvent], None]) -> None: ...

    def stop(self) -> None: ...


class PyudevSource:
    """udev's netlink monitor through pyudev. ``source="kernel"`` reads raw kernel uevents (no udevd needed,
    but no symlinks or ID_* properties either)."""

    def __init__(self, subsystems: tuple[str, ...] = SUBSYSTEMS, source: str = "udev"):
        self.subsystems, self.source = subsystems, source
        self._observer: Any = None

    def start(self, deliver: Callable[[UdevEvent], None]) -> None:
        import pyudev  # imported on use: importing this module opens no socket

        monitor = pyudev.Monitor.from_netlink(pyudev.Context(), source=self.source)
        for subsystem in self.subsystems:
            monitor.filter_by(subsystem)
        monitor.start()  # bind now: the observer thread would bind later, and events in between would be lost
        if self.source == "udev" and not os.path.exists("/run/udev/control"):
            log.warning("hotplug.no_udevd", detail="udevd is not running; no hotplug events will arrive")
        self._observer = pyudev.MonitorObserver(monitor, callback=lambda d: deliver(UdevEvent.from_pyudev(d)),
                                                name="udev-hotplug")
        self._observer.daemon = True
        self._observer.start()

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()  # joins the thread; it leaves within its poll interval


class Settle:
    """Trailing-edge debounce with a cap: fire ``quiet`` after the last event, at most ``cap`` after the first."""

    def __init__(self, quiet: float, cap: float):
        self.quiet, self.cap = quiet, cap
        self.first: float | None = None

    def event(self, now: float) -> float:
        """Record an event at monotonic ``now``; return the delay until the action should fire."""
        if self.first is None:
            self.first = now
        return max(0.0, min(self.quiet, self.first + self.cap - now))

    def reset(self) -> None:
        self.first = None


@dataclass(eq=False)
class _Watch:
    device: Device
    matches: tuple[Match, ...]
    settle: Settle
    node: str | None = None  # the node the device was last seen on (a configured symlink's target)
    present: bool | None = None  # None until the first event: nothing assumed
    timer: asyncio.TimerHandle | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set = field(default_factory=set)

    def matches_event(self, event: UdevEvent) -> bool:
        return any(m.matches(event, self.node) for m in self.matches)

    def names(self, event: UdevEvent) -> bool:
        return any(m.names(event, self.node) for m in self.matches)

    def remember_node(self) -> None:
        for m in self.matches:
            for path in m.devnodes:
                if os.path.exists(path):
                    self.node = os.path.realpath(path)
                    return


class HotplugMonitor:
    """``watch()`` each device, ``await start()`` on the loop, ``await stop()`` at shutdown."""

    def __init__(self, *, source: EventSource | None = None, settle: float = 0.5, cap: float | None = None):
        self._source = source if source is not None else PyudevSource()
        self._quiet, self._cap = settle, cap if cap is not None else 10 * settle
        self._watches: list[_Watch] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.running = False

    def watch(self, device: Device, *matches: Match) -> None:
        """Follow ``device``; without ``matches`` they are derived from its options (ConfigError if none)."""
        if not matches:
            derived = Match.for_device(device)
            if derived is None:
                raise ConfigError(f"{device.name}: no device node or VID:PID in its options to follow hotplug by")
            matches = (derived,)
        watch = _Watch(device, tuple(matches), Settle(self._quiet, self._cap))
        watch.remember_node()
        self._watches.append(watch)

    def watch_devices(self, devices: list[Device]) -> list[str]:
        """Follow every device that names a node or USB id; return the names of those that do not (sims, TCP)."""
        skipped = []
        for device in devices:
            match = Match.for_device(device)
            if match is None:
                skipped.append(device.name)
            else:
                self.watch(device, match)
        return skipped

    async def start(self) -> bool:
        """Start listening; False (logged once) when udev events are not available here."""
        self._loop = asyncio.get_running_loop()
        try:
            self._source.start(self._from_thread)
        except (OSError, ImportError, RuntimeError) as exc:
            log.warning("hotplug.unavailable", error=type(exc).__name__, detail=str(exc),
                        consequence="devices recover through health checks only")
            return False
        self.running = True
        log.info("hotplug.started", devices=[w.device.name for w in self._watches])
        return True

    async def stop(self) -> None:
        if self.running:
            self.running = False
            await asyncio.to_thread(self._source.stop)
        tasks = set()
        for watch in self._watches:
            if watch.timer is not None:
                watch.timer.cancel()
                watch.timer = None
            tasks |= watch.tasks
        if tasks:
            await asyncio.wait(tasks)

    def pending(self) -> int:
        """Settle timers and device calls still to run: zero when every event has been acted on."""
        return sum((w.timer is not None) + len(w.tasks) for w in self._watches)

    # pyudev's thread -------------------------------------------------------------------------
    def _from_thread(self, event: UdevEvent) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._on_event, event)
        except RuntimeError:
            pass  # the loop is closed: shutting down

    # event loop ------------------------------------------------------------------------------
    def _on_event(self, event: UdevEvent) -> None:
        if event.action not in ("add", "remove"):
            return
        for watch in self._watches:
            if not watch.matches_event(event):
                continue
            log.debug("hotplug.event", device=watch.device.name, action=event.action, subsystem=event.subsystem,
                      devnode=event.devnode)
            if event.action == "add":
                self._added(watch)
            else:
                self._removed(watch, event)

    def _added(self, watch: _Watch) -> None:
        if watch.timer is not None:
            watch.timer.cancel()
        delay = watch.settle.event(self._loop.time())
        watch.timer = self._loop.call_later(delay, self._settled, watch)

    def _removed(self, watch: _Watch, event: UdevEvent) -> None:
        if not watch.names(event) and watch.node and os.path.exists(watch.node):
            return  # matched by id only, and the node this device uses is still there: a twin went
        if watch.timer is not None:  # an add that had not settled yet is void
            watch.timer.cancel()
            watch.timer = None
        watch.settle.reset()
        if watch.present is False:
            return  # the rest of the burst
        watch.present = False
        log.info("hotplug.removed", device=watch.device.name, subsystem=event.subsystem, devnode=event.devnode)
        detail = f"removed (udev {event.subsystem} {event.devnode or ''})".replace(" )", ")")
        self._spawn(watch, self._mark_removed(watch, detail))

    def _settled(self, watch: _Watch) -> None:
        watch.timer = None
        watch.settle.reset()
        watch.present = True
        log.info("hotplug.added", device=watch.device.name)
        self._spawn(watch, self._reconnect(watch))

    def _spawn(self, watch: _Watch, coro: Any) -> None:
        task = self._loop.create_task(coro)
        watch.tasks.add(task)
        task.add_done_callback(watch.tasks.discard)

    async def _reconnect(self, watch: _Watch) -> None:
        async with watch.lock:  # one call at a time per device, in event order
            try:
                await watch.device.reconnect()
            except Exception as exc:  # noqa: BLE001 - the device reports its own status; the monitor carries on
                log.error("hotplug.reconnect_failed", device=watch.device.name, error=type(exc).__name__)
            watch.remember_node()

    async def _mark_removed(self, watch: _Watch, detail: str) -> None:
        """Every contract has ``device_removed``: offline now, pending calls failed, handles released."""
        async with watch.lock:
            device = watch.device
            try:
                await device.device_removed(detail)
            except Exception as exc:  # noqa: BLE001 - as above
                log.error("hotplug.remove_failed", device=device.name, error=type(exc).__name__)


def _vid_pid(text: Any) -> tuple[str, str] | None:
    """("0c2e", "0b61") from "0c2e:0b61"; None for anything else."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 2 or not all(1 <= len(p) <= 4 for p in parts):
        return None
    try:
        return tuple(f"{int(p, 16):04x}" for p in parts)  # type: ignore[return-value]
    except ValueError:
        return None
