"""A persistent restart counter, so that repeated crashes end on the out-of-service screen, not in a loop.

Starts are recorded in a small JSON file (written atomically). After
``limit`` starts within ``window_s`` without a clean stretch of
``healthy_s``, the kiosk shows out of service and reports it, instead of
letting a citizen start an item that will crash again.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import structlog

from kiosk.system.durable import write_atomically

log = structlog.get_logger("kiosk.restarts")


class RestartCounter:
    def __init__(self, path: Path, limit: int = 5, window_s: float = 600.0, healthy_s: float = 300.0,
                 clock=time.time):
        # Wall clock on purpose: the starts span process lifetimes and reboots, where monotonic time restarts.
        self.path, self.limit, self.window_s, self.healthy_s, self.clock = path, limit, window_s, healthy_s, clock

    def _load(self) -> list[float]:
        try:
            starts = json.loads(self.path.read_text())
            return [float(t) for t in starts if isinstance(t, (int, float))][-100:]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError):
            log.warning("restarts.unreadable", path=str(self.path))
            return []

    def _save(self, starts: list[float]) -> None:
        write_atomically(self.path, json.dumps(starts).encode())

    def record_start(self) -> None:
        now = self.clock()
        self._save([t for t in self._load() if now - t <= self.window_s] + [now])

    def record_healthy(self) -> None:
        """Called after healthy_s of service: the past crashes no longer count."""
        self._save([])

    def should_go_out_of_service(self) -> bool:
        now = self.clock()
        return len([t for t in self._load() if now - t <= self.window_s]) >= self.limit
