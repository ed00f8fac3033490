"""The fleet as the pages show it, kept current in this process, with a change feed for live pages.

Each row is a kiosk's identity and its derived state (backoffice.fleetstate), small enough that 10,000 of them
travel to the browser as one JSON document. The view changes for three reasons, each handled here:
- this process stored a report: the store's listener names the kiosk (from the store thread);
- another worker stored one: every `poll_s` the kiosks heard from since the last look are read again from
  the database, so several workers' pages agree within `poll_s`;
- time passed: a kiosk that says nothing goes offline without any write, so each row keeps the time at which
  its silence will cross the limit, and passing it reads the kiosk again and re-derives its row.
Only the rows are held (not the health reports behind them), so 100,000 kiosks stay small.
A changed row gets the next version number; a page asks for what changed after the version it holds.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import time

import structlog

from backoffice import fleetstate
from backoffice.fleetstate import Rules
from backoffice.store import FleetStore

log = structlog.get_logger("backoffice.fleetview")

QUIET = ("offline", "lost", "disconnected", "unknown")  # states that silence cannot make worse
OVERLAP_S = 5.0  # a row stamped before our last look may commit after it: look a little further back
LOG_SIZE = 50_000


def page_row(kiosk: dict, derived: fleetstate.Derived) -> dict:
    """What the fleet page and the API show of a kiosk: no health figures, no personal data (there is none)."""
    identity = kiosk.get("identity") or {}
    versions = ((kiosk.get("health") or {}).get("versions") or kiosk.get("versions") or {})
    return {"id": kiosk["id"], "name": identity.get("name") or "", "region": kiosk.get("region") or "",
            "hall": kiosk.get("hall") or "", "address": identity.get("address") or "",
            "state": derived.state, "reasons": list(derived.reasons), "last_seen": kiosk.get("last_seen"),
            "limit_s": derived.limit_s, "paper": derived.paper, "runtime": str(versions.get("runtime") or ""),
            "flows": str(versions.get("flows") or ""), "unavailable": list(derived.unavailable)}


def matches(row: dict, now: float, *, states=(), region="", hall="", paper="", offline_min: float | None = None,
            version="", item="", q="") -> bool:
    """The fleet page's filters, for the API (the page runs the same rules in its script)."""
    if states and row["state"] not in states:
        return False
    if region and row["region"] != region or hall and row["hall"] != hall:
        return False
    if paper == "out" and row["paper"] != "out" or paper == "low" and row["paper"] != "low":
        return False
    if paper == "any" and row["paper"] not in ("low", "out"):
        return False
    if offline_min is not None:
        if row["state"] not in QUIET[:3] or row["last_seen"] is None or now - row["last_seen"] < offline_min * 60:
            return False
    if version and version not in (row["runtime"], row["flows"]):
        return False
    if item and not (row["unavailable"] if item == "any" else item in row["unavailable"]):
        return False
    if q:
        needle = q.casefold()
        if not any(needle in str(row[k]).casefold() for k in ("id", "name", "hall", "address", "region")):
            return False
    return True


class FleetView:
    def __init__(self, store: FleetStore, rules: Rules, poll_s: float = 2.0, clock=time.time):
        self.store, self.rules, self.poll_s, self.clock = store, rules, poll_s, clock
        self.rows: dict[str, dict] = {}
        self.version = 0
        self._deadline: dict[str, float] = {}  # kiosk -> when its silence crosses the limit
        self._log: collections.deque[tuple[int, str]] = collections.deque(maxlen=LOG_SIZE)
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()
        self._cursor = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self.closing = False
        self._rows_json: tuple[int, str] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._cursor = self.clock()
        await self._apply(await asyncio.to_thread(self.store.kiosks))
        self.store.listeners.append(self._heard)
        self._task = asyncio.create_task(self._run(), name="backoffice-fleetview")

    async def stop(self) -> None:
        await self.close_streams()
        if self._heard in self.store.listeners:
            self.store.listeners.remove(self._heard)
        if self._task:
            self._task.cancel()

    async def close_streams(self) -> None:
        self.closing = True
        async with self._changed:
            self._changed.notify_all()

    def _heard(self, kiosk_id: str) -> None:
        """From the store thread: note the kiosk, wake the loop."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._mark, kiosk_id)

    def _mark(self, kiosk_id: str) -> None:
        self._dirty.add(kiosk_id)
        self._wake.set()

    async def _run(self) -> None:
        next_poll = time.monotonic() + self.poll_s
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, next_poll - time.monotonic()))
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.refresh(poll=time.monotonic() >= next_poll)
            except Exception:  # the database away: the rows stay as they were, and the next round retries
                log.exception("fleetview.refresh_failed")
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + self.poll_s

    async def refresh(self, poll: bool = True) -> None:
        """Re-read the kiosks named by the store, and with `poll` those another worker wrote; re-derive the
        rows whose silence has crossed its limit."""
        now = self.clock()
        due = {k for k, at in self._deadline.items() if at < now}  # read again: facts are not kept here
        ids, self._dirty = self._dirty | due, set()
        kiosks: list[dict] = []
        if ids:
            kiosks += await asyncio.to_thread(self.store.kiosks, sorted(ids))
        if poll:
            since, self._cursor = self._cursor - OVERLAP_S, self.clock()
            kiosks += await asyncio.to_thread(self.store.kiosks, None, since)
        await self._apply(kiosks)

    async def _apply(self, kiosks: list[dict]) -> None:
        now = self.clock()
        changed = []
        for kiosk in kiosks:
            derived = fleetstate.derive(kiosk, now, self.rules)
            row = page_row(kiosk, derived)
            if derived.state in QUIET or kiosk.get("last_seen") is None:
                self._deadline.pop(kiosk["id"], None)
            else:
                self._deadline[kiosk["id"]] = kiosk["last_seen"] + derived.limit_s
            if self.rows.get(kiosk["id"]) != row:
                self.rows[kiosk["id"]] = row
                changed.append(kiosk["id"])
        if changed:
            async with self._changed:
                for kiosk_id in changed:
                    self.version += 1
                    self._log.append((self.version, kiosk_id))
                self._changed.notify_all()

    def since(self, version: int) -> tuple[int, list[dict] | None]:
        """The rows changed after `version`, each once; None when the log no longer reaches back that far."""
        if version >= self.version:
            return self.version, []
        if not self._log or self._log[0][0] > version + 1:
            return self.version, None
        ids = dict.fromkeys(k for v, k in itertools.takewhile(lambda e: e[0] > version, reversed(self._log)))
        return self.version, [self.rows[k] for k in ids]

    async def wait(self, version: int, timeout: float) -> tuple[int, list[dict] | None]:
        """The changes after `version`, waiting up to `timeout` for one; ([], same version) when none came."""
        if version >= self.version and not self.closing:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: self.version > version or self.closing),
                                           timeout)
                except TimeoutError:
                    pass
        return self.since(version)

    def snapshot(self) -> dict:
        return {"version": self.version, "now": self.clock(), "rows": list(self.rows.values())}

    def snapshot_json(self, dumps) -> str:
        """The snapshot as JSON text, the rows' part written once per version: many pages opening at once
        (a shift change on an operations wall) cost one serialisation of the fleet, not one each."""
        if self._rows_json is None or self._rows_json[0] != self.version:
            self._rows_json = (self.version, dumps(list(self.rows.values())))
        version, rows = self._rows_json
        return f'{{"version":{version},"now":{self.clock()!r},"rows":{rows}}}'
