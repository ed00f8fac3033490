"""The sockets this process holds, and the loop that carries frames to them from the shared signal table.

Every `poll_interval_s` the loop takes the frames addressed to its kiosks and agents (any process may have
written them), every half second it runs the desk's sweep (ring timeouts, presence, dispatch, queue
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

    def nudge(self) -> None:
        """Something was written for a socket here: look now rather than at the next poll."""
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
            except Exception:  # a locked database, a closed socket: this round is lost, the next one runs
                log.exception("helpdesk.relay_round_failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll)
            except TimeoutError:
                pass

    async def deliver(self) -> None:
        rows = await asyncio.to_thread(self.desk.take, list(self.kiosks), list(self.agents))
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
