"""Python's full garbage collections, moved where possible to moments nobody is tapping.

Every screen is built afresh, and Kivy's widgets form reference cycles, so
each screen change leaves a few thousand objects for the cyclic collector.
A full collection frees them in one go and took 150-250 ms here, and these
pauses were the slowest taps (p95 well above the 42 ms median in
bench/bench_ui.py). Two things help without costing memory:

- objects from start-up live as long as the process, so they are frozen out
  of collection and no full collection walks them again;
- once the screen has been left alone for ``idle_s`` (a citizen reading), a
  full collection runs then, so the automatic one is less likely to land on
  the next tap.

Automatic collection stays on. Deferring it further was measured: with
continuous tapping, the garbage piled up to +120 MiB of resident memory.

A replaced screen is most of that garbage, and it holds its labels'
textures (under software GL, in the kiosk's own memory): left to the
automatic collections, the screens of twenty visits kept the kiosk some
60 MiB above its home screen (bench/bench_ui.py). So each replaced screen
is collected at once, ``AFTER_DRAWN_S`` after the new screen was shown,
when nobody taps (a reaction takes 0.2 s and more). A full collection of
what was made since start-up walks the screen on show and the one replaced:
10-50 ms in bench/bench_ui.py, 20-65 ms with a video call's panel over the
step (35-85 thousand objects, nearly all Kivy's). Leaving screens to the
automatic collections instead made taps during a call slower, not faster:
those then landed inside the taps.
What it frees goes back to the C heap, which glibc keeps for reuse; the
labels' textures are large blocks of it, so the heap is trimmed after
(under 1 ms): what the kiosk no longer uses is given back to the system.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import time
from functools import cache

import structlog

log = structlog.get_logger("kiosk.ui.collector")
# After the frame that shows a new screen: not in the very next frame, which may still be drawing the screen
# a slow (software GL) flip left behind; well before a citizen can react to the screen and tap again.
AFTER_DRAWN_S = 0.1


class Collector:
    def __init__(self, idle_s: float = 2.0, clock=time.monotonic):
        self.idle_s, self.clock = idle_s, clock
        self.last_touch = clock()
        self.idle_collections = 0
        self.replaced_collections = 0
        self.frozen = False
        self.stopped = False
        self._replaced = False

    def start(self) -> None:
        """After start-up (the first tick, once the home screen is up): what exists now lives as long as the process."""
        gc.collect()
        gc.freeze()
        self.frozen = True

    def stop(self) -> None:
        """The window is closing: a collection still scheduled must not freeze the process's objects again."""
        self.stopped = True
        if self.frozen:
            gc.unfreeze()
            self.frozen = False

    def screen_replaced(self) -> None:
        self._replaced = True

    def drawn(self) -> bool:
        """A frame was shown; True once after a screen was replaced: collect it ``AFTER_DRAWN_S`` later."""
        due, self._replaced = self._replaced, False
        return due

    def collect_replaced(self) -> None:
        if self.stopped:
            return
        if not self.frozen:  # the first screen change comes before the first tick: freeze start-up now
            self.start()
            return
        gc.collect()
        trim = malloc_trim()
        if trim is not None:
            trim(0)
        self.replaced_collections += 1

    def touched(self, *_args) -> None:
        self.last_touch = self.clock()

    def tick(self, *_args) -> None:
        """Called about once a second from the UI clock."""
        if self.stopped:
            return
        if not self.frozen:
            self.start()
            return
        if self.clock() - self.last_touch < self.idle_s:
            return
        if gc.get_count()[2] == 0:  # no young collection since the last full one: nothing new to look at
            return
        started = self.clock()
        found = gc.collect()
        self.idle_collections += 1
        log.debug("gc.idle_collection", unreachable=found, ms=round((self.clock() - started) * 1000, 1))


@cache
def malloc_trim():
    """glibc's malloc_trim, None under another C library (musl returns freed memory by itself)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
