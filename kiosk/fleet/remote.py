"""What the fleet's commands do on this kiosk, once the gate has admitted them.

Handlers register by name in one CommandRegistry; arguments are checked
against the wire contract's schema first (signed is not the same as
sensible), and nothing here blocks the loop the UI shares: a flow reload
parses YAML in a worker thread, and a burst of reloads is coalesced into at
most one running and one queued.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from wire import commands
from wire.commands import SPECS, check_args
from wire.messages import Failed, Result
from wire.signing import Command

log = structlog.get_logger("kiosk.fleet.remote")


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


Handler = Callable[[dict], Awaitable[object]]  # answers its command's result type (wire.commands)


class CommandRegistry:
    """Command name -> handler: each part of the kiosk registers what it answers, by the wire contract's names.

    Arguments are held to the contract's schema (wire.commands) before a
    handler sees them, so handlers read them without checking again.
    """

    def __init__(self):
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if name not in SPECS:
            raise ValueError(f"{name!r} is not a command of the wire contract")
        if name in self._handlers:
            raise ValueError(f"{name!r} already has a handler")
        self._handlers[name] = handler

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    async def call(self, name: str, args: dict) -> dict:
        """The handler's result as sent; a WireError for arguments outside the schema, LookupError for no handler."""
        checked = check_args(name, args)
        handler = self._handlers.get(name)
        if handler is None:
            raise LookupError("this kiosk has no handler for this command")
        return SPECS[name].encode_result(await handler(checked))

    async def answer(self, cmd: Command) -> Result | Failed:
        """An admitted command's answer: a failing command is answered, never dropped."""
        try:
            return Result(cmd.id, await self.call(cmd.cmd, cmd.args))
        except Exception as exc:
            return Failed(cmd.id, f"{type(exc).__name__}: {exc}")


class RemoteCommands:
    """The handlers behind `reload_flows`, `maintenance_on`, `maintenance_off` and `restart`."""

    def __init__(self, controller, flows, *, restart: Callable[[], None], reloader: Coalescer | None = None):
        self.controller, self.flows, self.restart = controller, flows, restart
        self._unsubscribe: Callable[[], None] | None = None  # a restart waiting for the visit to end
        self.reloader = reloader or Coalescer(flows.reload, after=lambda ok: controller.refresh_home())

    def register(self, registry: CommandRegistry) -> None:
        registry.register(commands.RELOAD_FLOWS, self._reload_flows)
        registry.register(commands.MAINTENANCE_ON, self._maintenance_on)
        registry.register(commands.MAINTENANCE_OFF, self._maintenance_off)
        registry.register(commands.RESTART, self._restart)

    async def _reload_flows(self, args: dict) -> dict:
        ok = await self.reloader.request()
        return commands.Reloaded(reloaded=ok, flows=len(self.flows.flows))

    async def _maintenance_on(self, args: dict) -> dict:
        outcome = self.controller.enter_maintenance_remotely(force=args.get("force", False))
        return commands.MaintenanceStarted(outcome, self.controller.state.mode, self.controller.remote_maintenance_s)

    async def _maintenance_off(self, args: dict) -> dict:
        outcome = self.controller.leave_maintenance_remotely()
        return commands.MaintenanceLeft(outcome, self.controller.state.mode)

    async def _restart(self, args: dict) -> dict:
        """Like maintenance, a restart waits for the citizen's visit to end; `force` ends it as interrupted."""
        if self.controller.state.mode == "visit" and not args.get("force", False):
            if self._unsubscribe is None:
                self._unsubscribe = self.controller.subscribe(self._restart_after_visit)
            log.warning("remote.restart_pending")
            return commands.Restarting(restarting=True, after_visit=True)
        self.controller.interrupt_visit("remote restart")
        asyncio.get_running_loop().call_later(1.0, self.restart)  # after the answer has gone out
        return commands.Restarting(restarting=True, after_visit=False)

    def _restart_after_visit(self, state) -> None:
        if state.mode != "visit" and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            asyncio.get_running_loop().call_soon(self.restart)  # before the next citizen can begin


def exit_for_restart() -> None:
    """A remote restart: leave with a failure code so systemd's Restart=on-failure starts us again."""
    log.warning("kiosk.restart_requested")
    raise SystemExit(75)
