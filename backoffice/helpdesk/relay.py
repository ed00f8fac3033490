"""The sockets this process holds, and the loop that carries frames to them from the shared signal table.

Every `poll_interval_s` the loop takes the frames addressed to its kiosks and agents (any process may have
written them); for two seconds after any traffic on its sockets it looks five times as often, because
signaling comes in bursts (ring, accept, offer, answer, candidates) where each hop would otherwise wait
out a whole interval, every half second it runs the desk's sweep (ring timeouts, presence, dispatch, queue
updates), every two seconds it tells the desk its sockets are alive and pushes agents a queue snapshot.
Blocking database work runs in a thread; one failed round is logged and the loop carries on.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time

import structlog
from aiohttp import web

from backoffice.helpdesk.acd import Desk
from wire import signaling as sig

log = structlog.get_logger("backoffice.helpdesk")
TICK_S = 0.5
HEARTBEAT_S = 2.0
BURST_S = 2.0  # after traffic, poll at a fifth of the interval this long


@dataclasses.dataclass
class Endpoint:
    ws: web.WebSocketResponse
    conn: str  # random per socket: a late close of an old socket must not unseat a newer one


class Hub:
    def __init__(self, desk: Desk, poll_interval_s: float):
        self.desk, self.poll = desk, poll_interval_s
        self.kiosks: dict[str, Endpoint] = {}
        self.agents: dict[str, Endpoint] = {}
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._busy_until = 0.0

    def nudge(self) -> None:
        """A socket here sent something: look now, and often for a while, for what answers it."""
        self._busy_until = time.monotonic() + BURST_S
        self._wake.set()

    async def start(self, _app=None) -> None:
        self._task = asyncio.create_task(self._run(), name="helpdesk-relay")

    async def stop(self, _app=None) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for ep in [*self.kiosks.values(), *self.agents.values()]:
            await ep.ws.close(code=1001, message=b"server stopping")

    async def _run(self) -> None:
        next_tick = next_beat = 0.0
        while True:
            try:
                now = time.monotonic()
                if now >= next_beat:
                    next_beat = now + HEARTBEAT_S
                    await asyncio.to_thread(self.desk.heartbeat, {k: e.conn for k, e in self.kiosks.items()},
                                            {a: e.conn for a, e in self.agents.items()})
                    if self.agents:
                        snap = await asyncio.to_thread(self.desk.snapshot)
                        frame = sig.make("", snap, time.time())
                        await asyncio.gather(*(self._put(e, frame) for e in list(self.agents.values())))
                if now >= next_tick:
                    next_tick = now + TICK_S
                    await asyncio.to_thread(self.desk.tick)
                await self.deliver()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a locked database, a closed socket: this round is lost, the next one runs
                # type only: a database error's text carries the statement's parameters (relayed context)
                log.error("helpdesk.relay_round_failed", error=type(exc).__name__)
            self._wake.clear()
            pause = self.poll / 5 if time.monotonic() < self._busy_until else self.poll
            try:
                await asyncio.wait_for(self._wake.wait(), pause)
            except TimeoutError:
                pass

    async def deliver(self) -> None:
        rows = await asyncio.to_thread(self.desk.take, list(self.kiosks), list(self.agents))
        if rows:
            self._busy_until = time.monotonic() + BURST_S
        for row in rows:
            ep = (self.kiosks if row.to_kind == "kiosk" else self.agents).get(row.to_id)
            if ep is not None:
                await self._put(ep, row.frame)

    @staticmethod
    async def _put(ep: Endpoint, frame: str) -> None:
        if not ep.ws.closed:
            try:
                await ep.ws.send_str(frame)
            except ConnectionError:
                pass  # the socket's own handler sees it close and tells the desk
