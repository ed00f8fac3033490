"""The kiosk's health as one snapshot: state, devices, items, system, versions, counters.

Everything here is current fact, so the fleet console's colours resolve by
themselves; events (kiosk.fleet.reporter) are the history. No personal data:
counters are per item, never per citizen.
"""
from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from devices.status import State
from wire.messages import DeviceHealth, Health, ItemHealth, JournalFlags, VisitCounts

BOOT = time.monotonic()


@dataclass
class Counters:
    sessions: int = 0
    completions: Counter = field(default_factory=Counter)  # per item
    failures: Counter = field(default_factory=Counter)  # per item (failed or timed out)
    pages: Counter = field(default_factory=Counter)  # per printer role

    def visit(self, flow: str, result: str, printed: dict[str, int]) -> None:
        self.sessions += 1
        if result == "completed":
            self.completions[flow] += 1
        elif result in ("failed", "timeout"):
            self.failures[flow] += 1
        self.pages.update(printed)

    def as_wire(self) -> VisitCounts:
        return VisitCounts(self.sessions, dict(self.completions), dict(self.failures), dict(self.pages))


def kiosk_state(mode: str, device_states: dict[str, str], items_available: int, items: int) -> str:
    """starting, in_service, degraded, out_of_service or maintenance, from current facts only."""
    if mode in ("maintenance", "pin", "remote_maintenance"):
        return "maintenance"
    if mode == "out_of_service" or (items and items_available == 0):
        return "out_of_service"
    if any(s not in (State.OK, State.WARNING) for s in device_states.values()) or items_available < items:
        return "degraded"
    return "in_service"


def system_figures(var_dir: Path | None = None) -> dict:
    out: dict = {"uptime_s": round(time.monotonic() - BOOT, 1), "cpus": os.cpu_count()}
    try:
        out["load1"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    meminfo = _meminfo()
    if meminfo:
        out["mem_available_mib"] = meminfo.get("MemAvailable", 0) // 1024
        out["mem_total_mib"] = meminfo.get("MemTotal", 0) // 1024
    out["rss_mib"] = _rss_mib()
    target = var_dir if var_dir and var_dir.exists() else Path("/")
    du = shutil.disk_usage(target)
    out["disk_free_mib"] = du.free // (1024 * 1024)
    fs = filesystem_type(target)
    if fs is not None:  # journal and outbox on RAM are lost at the next power cut: operations must know
        out["state_persistent"] = fs not in RAM_FILESYSTEMS
    temp = _temperature()
    if temp is not None:
        out["temperature_c"] = temp
    out["clock_synchronized"] = _ntp_synchronized()
    return out


RAM_FILESYSTEMS = {"tmpfs", "ramfs", "rootfs"}


def filesystem_type(path: Path, mountinfo: str | None = None) -> str | None:
    """The type of the filesystem holding `path`: the longest mount point that contains it."""
    try:
        text = mountinfo if mountinfo is not None else Path("/proc/self/mountinfo").read_text()
        target = str(Path(path).resolve())
    except OSError:
        return None
    best, fstype = "", None
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        mount = fields[4].replace("\\040", " ")
        tail = line.split(" - ", 1)[1].split()
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best) and tail:
            best, fstype = mount, tail[0]
    return fstype


def _meminfo() -> dict[str, int]:
    try:
        return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in
                                                   Path("/proc/meminfo").read_text().splitlines())}
    except (OSError, ValueError):
        return {}


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _temperature() -> float | None:
    for zone in sorted(Path("/sys/class/thermal").glob("thermal_zone*/temp")):
        try:
            return round(int(zone.read_text()) / 1000, 1)
        except (OSError, ValueError):
            continue
    return None


def _ntp_synchronized(adjtimex=None) -> bool | None:
    """systemd-timesyncd touches a marker on every successful sync; without timesyncd (chrony, ntpd) the
    kernel itself knows: adjtimex(2) answers TIME_ERROR while no NTP daemon disciplines the clock, which is
    what `timedatectl` shows as "System clock synchronized: no". None when neither can be asked."""
    if TIMESYNC_MARKER.parent.exists():
        return TIMESYNC_MARKER.exists()
    try:
        return (adjtimex or _adjtimex)() != TIME_ERROR
    except (OSError, AttributeError):
        return None


TIMESYNC_MARKER = Path("/run/systemd/timesync/synchronized")
TIME_ERROR = 5  # <sys/timex.h>: the clock is not synchronised (STA_UNSYNC)


def _adjtimex() -> int:
    """adjtimex(2) with modes 0: reads the kernel clock's state, changes nothing."""
    import ctypes
    import ctypes.util
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    timex = ctypes.create_string_buffer(512)  # struct timex is 208 bytes on 64-bit Linux; zero = modes 0
    state = libc.adjtimex(timex)
    if state < 0:
        raise OSError(ctypes.get_errno(), "adjtimex")
    return state


def current_state(controller) -> str:
    """The kiosk's state now, cheap enough to compute on every change of the controller."""
    tiles = controller.state.tiles
    return kiosk_state(controller.state.mode, {r: d.status.state for r, d in controller.devices.items()},
                       sum(t.available for t in tiles), len(tiles))


def visit_now(controller) -> dict[str, str]:
    """The item and step of the visit under way, for the console; nothing about the citizen."""
    runner = getattr(controller, "runner", None)
    if controller.state.mode != "visit" or runner is None or runner.finished is not None:
        return {}
    session = runner.session
    return {"item": str(session.root_flow.id), "step": str(session.frame.step_id)}


def snapshot(controller, *, versions: dict, counters: Counters, var_dir: Path | None = None) -> Health:
    devices = {role: DeviceHealth(**dev.status.as_dict()) for role, dev in sorted(controller.devices.items())}
    items = {t.flow: ItemHealth(t.available, list(t.reasons)) for t in controller.state.tiles}
    return Health(state=current_state(controller), mode=controller.state.mode,
                  maintenance_pending=controller.state.remote_maintenance_pending, devices=devices, items=items,
                  system=system_figures(var_dir), versions=versions, counters=counters.as_wire(),
                  journal=JournalFlags(bool(controller.journal and controller.journal.pseudonymous)),
                  visit=visit_now(controller))
