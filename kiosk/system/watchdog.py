"""Heartbeat aggregation for the systemd watchdog.

A free-running pinger would keep a frozen kiosk alive, and a pinger on the
asyncio loop would miss a frozen UI thread. So every liveness source (the
Kivy clock, the asyncio loop, device workers) beats its own heartbeat, and a
dedicated thread pings WATCHDOG=1 every half of WATCHDOG_USEC only while
all of them are fresh. When one goes stale the pings stop, systemd restarts
the service, and the stall is logged once with every thread's stack
(file, line and function only: local values may hold personal data).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback

import structlog

from kiosk.system.notify import Notifier

log = structlog.get_logger("kiosk.watchdog")
# Test-only fault hooks, comma-separated: a source named here never beats (proves the pings stop);
# "ui-thread@N" really blocks the UI thread N seconds after start (proves systemd restarts a hung kiosk).
TEST_FREEZE_ENV = "KIOSK_TEST_FREEZE"


class Heartbeat:
    def __init__(self, name: str, max_age_s: float, frozen: bool = False):
        self.name, self.max_age_s = name, max_age_s
        self.last = time.monotonic()
        self.frozen = frozen

    def beat(self) -> None:
        """Callable from any thread: a float assignment is atomic in CPython."""
        if not self.frozen:
            self.last = time.monotonic()

    def age(self, now: float) -> float:
        return now - self.last


class Watchdog:
    def __init__(self, notifier: Notifier | None = None, interval_s: float | None = None):
        self.notifier = notifier or Notifier()
        usec = os.environ.get("WATCHDOG_USEC")
        pid = os.environ.get("WATCHDOG_PID")
        self.enabled = bool(usec) and (not pid or pid == str(os.getpid()))
        self.interval_s = interval_s if interval_s is not None else (int(usec) / 2e6 if usec else 10.0)
        self.beats: dict[str, Heartbeat] = {}
        hooks = [n for n in os.environ.get(TEST_FREEZE_ENV, "").split(",") if n]
        self._frozen = {n for n in hooks if "@" not in n}
        self.hang_ui_after_s = next((float(n.split("@", 1)[1]) for n in hooks if n.startswith("ui-thread@")), None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stale: set[str] = set()
        self.pings = 0

    def register(self, name: str, max_age_s: float) -> Heartbeat:
        hb = Heartbeat(name, max_age_s, frozen=name in self._frozen)
        self.beats[name] = hb
        return hb

    def freeze_for_test(self, name: str) -> None:
        """Test-only fault hook: stop a source's beats as if its thread hung."""
        self.beats[name].frozen = True

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def stale(self) -> set[str]:
        now = time.monotonic()
        return {n for n, hb in self.beats.items() if hb.age(now) > hb.max_age_s}

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            stale = self.stale()
            if not stale:
                if self._stale:
                    log.warning("watchdog.recovered", sources=sorted(self._stale))
                self._stale = set()
                self.notifier.watchdog()
                self.pings += 1
            elif stale != self._stale:
                self._stale = stale
                log.error("watchdog.stale", sources=sorted(stale), stacks=thread_stacks())
                self.notifier.status(f"unresponsive: {', '.join(sorted(stale))}")


def hang_forever() -> None:
    """The test fault itself: the calling thread stops, exactly as a deadlocked UI would."""
    log.warning("watchdog.test_fault", fault="hanging the UI thread")
    threading.Event().wait()


def thread_stacks() -> dict[str, list[str]]:
    """Every thread's stack as 'file:line in function' only."""
    names = {t.ident: t.name for t in threading.enumerate()}
    return {names.get(ident, str(ident)): [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_stack(frame)]
            for ident, frame in sys._current_frames().items()}
