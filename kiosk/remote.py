"""What the fleet's commands do on this kiosk, once the gate has admitted them.

Each handler validates its own arguments (signed is not the same as
sensible), and nothing here blocks the loop the UI shares: a flow reload
parses YAML in a worker thread, and a burst of reloads is coalesced into at
most one running and one queued.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger("kiosk.remote")


class Coalescer:
    """Runs blocking `work` in a worker thread; requests during a run share the one queued after it.

    Every caller gets the result of a run that started after it asked, so a
    reload requested after a file changed always sees the change; yet a
    burst of N requests costs at most two runs, not N.
    """

    def __init__(self, work: Callable[[], Any], *, after: Callable[[Any], None] | None = None):
        self.work, self.after = work, after
        self.runs = 0
        self._next: asyncio.Future | None = None
        self._task: asyncio.Task | None = None

    async def request(self):
        loop = asyncio.get_running_loop()
        if self._next is None:
            self._next = loop.create_future()
        fut = self._next
        if self._task is None:
            self._task = loop.create_task(self._drain())
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._next is not None:
                fut, self._next = self._next, None
                try:
                    result = await loop.run_in_executor(None, self.work)
                except Exception as exc:  # answered to every waiter of this run
                    fut.set_exception(exc)
                    fut.exception()  # retrieved here too, in case every waiter has gone
                    continue
                finally:
                    self.runs += 1
                if self.after is not None:
                    try:
                        self.after(result)
                    except Exception:  # redrawing failed; the reload itself did not, and waiters must hear
                        log.exception("remote.after_run_failed")
                fut.set_result(result)
        finally:
            self._task = None


class RemoteCommands:
    """The handlers behind `reload_flows`, `maintenance_on`, `maintenance_off` and `restart`."""

    def __init__(self, controller, flows, *, restart: Callable[[], None], reloader: Coalescer | None = None):
        self.controller, self.flows, self.restart = controller, flows, restart
        self._unsubscribe: Callable[[], None] | None = None  # a restart waiting for the visit to end
        self.reloader = reloader or Coalescer(flows.reload, after=lambda ok: controller.refresh_home())

    async def __call__(self, name: str, args: dict) -> dict:
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            raise ValueError(f"no handler for {name}")
        return await handler(args)

    async def _reload_flows(self, args: dict) -> dict:
        _no_args(args, set())
        ok = await self.reloader.request()
        return {"reloaded": ok, "flows": len(self.flows.flows)}

    async def _maintenance_on(self, args: dict) -> dict:
        _no_args(args, {"force"})
        force = _flag(args, "force")
        outcome = self.controller.enter_maintenance_remotely(force=force)
        return {"maintenance": outcome, "mode": self.controller.state.mode,
                "ends_after_s": self.controller.remote_maintenance_s}

    async def _maintenance_off(self, args: dict) -> dict:
        _no_args(args, set())
        outcome = self.controller.leave_maintenance_remotely()
        return {"maintenance": outcome, "mode": self.controller.state.mode}

    async def _restart(self, args: dict) -> dict:
        """Like maintenance, a restart waits for the citizen's visit to end; `force` ends it as interrupted."""
        _no_args(args, {"force"})
        force = _flag(args, "force")
        if self.controller.state.mode == "visit" and not force:
            if self._unsubscribe is None:
                self._unsubscribe = self.controller.subscribe(self._restart_after_visit)
            log.warning("remote.restart_pending")
            return {"restarting": True, "after_visit": True}
        self.controller.interrupt_visit("remote restart")
        asyncio.get_running_loop().call_later(1.0, self.restart)  # after the answer has gone out
        return {"restarting": True, "after_visit": False}

    def _restart_after_visit(self, state) -> None:
        if state.mode != "visit" and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            asyncio.get_running_loop().call_soon(self.restart)  # before the next citizen can begin


def _flag(args: dict, name: str) -> bool:
    value = args.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _no_args(args: dict, allowed: set[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ValueError(f"unknown argument {unknown[0][:32]!r}")
