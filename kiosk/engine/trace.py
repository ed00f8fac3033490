"""A session's trace: what happened, never to whom.

Entries carry step ids, outcomes, op names and field *names*; values are
never recorded, so a trace can go to logs, telemetry and bug reports as is.
"""
from __future__ import annotations

import time

import structlog

log = structlog.get_logger("kiosk.trace")


class Trace:
    def __init__(self, session_id: str, clock=time.monotonic):
        self.session_id = session_id
        self.entries: list[dict] = []
        self.clock = clock
        self._t0 = clock()

    def add(self, event: str, **fields) -> None:
        entry = {"t": round(self.clock() - self._t0, 3), "event": event, **fields}
        self.entries.append(entry)
        log.debug(f"trace.{event}", session=self.session_id[:8], **{k: v for k, v in entry.items() if k != "event"})

    def events(self, name: str) -> list[dict]:
        return [e for e in self.entries if e["event"] == name]
