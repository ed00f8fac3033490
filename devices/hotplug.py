"""Device hotplug through udev: a device unplugged and plugged back is reopened without a restart.

udev events arrive on pyudev's observer thread and are handed to the asyncio
loop. A configured device is matched by its node, a /dev/kiosk/* symlink, or
``usb:VID:PID``; bursts of add/remove (a flaky cable) are debounced so a
device is reopened once, after it settled.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("devices.hotplug")
SUBSYSTEMS = ("tty", "input", "usb", "usbmisc", "video4linux", "sound", "hidraw")


@dataclass(frozen=True)
class UdevEvent:
    action: str  # add, remove, change, bind, unbind
    devnode: str = ""
    devlinks: tuple[str, ...] = ()
    properties: dict = field(default_factory=dict)

    def matches(self, spec: str) -> bool:
        if spec.startswith("usb:"):
            vid, _, pid = spec[4:].lower().partition(":")
            return (self.properties.get("ID_VENDOR_ID", "").lower() == vid
                    and self.properties.get("ID_MODEL_ID", "").lower() == pid)
        return spec == self.devnode or spec in self.devlinks


class HotplugMonitor:
    def __init__(self, devices: dict, matches: dict[str, str], *, settle_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.devices, self.matches, self.settle_s, self.clock = devices, matches, settle_s, clock
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._observer = None
        self.reopened: list[str] = []

    def handle(self, event: UdevEvent) -> None:
        """On the loop thread: mark removals at once, reopen after the device settled."""
        for role, spec in self.matches.items():
            if role not in self.devices or not event.matches(spec):
                continue
            if event.action == "remove":
                self._cancel(role)
                log.warning("hotplug.removed", device=role)
                self.devices[role].mark_unplugged()
            elif event.action in ("add", "bind", "change"):
                self._cancel(role)
                loop = asyncio.get_running_loop()
                self._pending[role] = loop.call_later(self.settle_s, lambda r=role: loop.create_task(self._reopen(r)))

    def _cancel(self, role: str) -> None:
        handle = self._pending.pop(role, None)
        if handle is not None:
            handle.cancel()

    async def _reopen(self, role: str) -> None:
        self._pending.pop(role, None)
        log.info("hotplug.reopen", device=role)
        try:
            await self.devices[role].reconnect()
            self.reopened.append(role)
        except Exception as exc:  # a device that fails to reopen stays offline; hotplug keeps running
            log.warning("hotplug.reopen_failed", device=role, error=type(exc).__name__)

    def start(self) -> bool:
        """Listen to the kernel's udev events; False where there is no udev (containers, CI)."""
        loop = asyncio.get_running_loop()
        try:
            import pyudev

            context = pyudev.Context()
            monitor = pyudev.Monitor.from_netlink(context)
            for subsystem in SUBSYSTEMS:
                monitor.filter_by(subsystem)

            def on_event(action, device):
                event = UdevEvent(action, device.device_node or "", tuple(device.device_links),
                                  {k: device.properties.get(k, "") for k in ("ID_VENDOR_ID", "ID_MODEL_ID", "ID_SERIAL")})
                loop.call_soon_threadsafe(self.handle, event)

            self._observer = pyudev.MonitorObserver(monitor, on_event, name="hotplug")
            self._observer.start()
            return True
        except (ImportError, OSError) as exc:
            log.warning("hotplug.unavailable", error=type(exc).__name__)
            return False

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
        for role in list(self._pending):
            self._cancel(role)
