"""Runs a session: executes its commands against devices, services and a clock.

The runner is the only place where the engine meets the outside world. It
handles events one at a time on the event loop (run-to-completion), runs
each device or backend op as a task, and turns every answer — including
exceptions — into an OpDone event, so no device fault can escape into the UI.
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import structlog

from kiosk.engine.messages import (Action, CancelOp, CancelTimer, Event, Finished, OpDone, Rejected, Show, StartOp,
                                   StartTimer, TimerFired)
from kiosk.engine.ops import OpExecutor

log = structlog.get_logger("kiosk.runner")


class SessionRunner:
    def __init__(self, session, executor: OpExecutor, clock, *,
                 on_view: Callable | None = None, on_finish: Callable | None = None,
                 on_other: Callable | None = None):
        self.session = session
        self.executor = executor
        self.clock = clock
        self.on_view = on_view
        self.on_finish = on_finish
        self.on_other = on_other  # commands for the runner's owner (aftercare: a rating, a call-back request)
        self.view = None
        self.views: list = []
        self.rejections: list[Rejected] = []
        self.finished: Finished | None = None
        self._queue: deque[Event] = deque()
        self._timers: dict[str, object] = {}
        self._ops: dict[str, asyncio.Task] = {}
        self._busy = False
        self.done = asyncio.Event()

    def start(self) -> None:
        self._dispatch(self.session.start())

    def post(self, event: Event) -> None:
        """Feed an event; must be called on the loop thread (use loop.call_soon_threadsafe from others)."""
        self._queue.append(event)
        if self._busy:
            return
        self._busy = True
        try:
            while self._queue:
                self._dispatch(self.session.handle(self._queue.popleft()))
        finally:
            self._busy = False

    def act(self, kind: str, value=None, source: str = "touch") -> list[Rejected]:
        before = len(self.rejections)
        self.post(Action(kind, value, source))
        return self.rejections[before:]

    @property
    def running_ops(self) -> int:
        return sum(1 for t in self._ops.values() if not t.done())

    def _dispatch(self, commands) -> None:
        for cmd in commands:
            if isinstance(cmd, Show):
                self.view = cmd.view
                self.views.append(cmd.view)
                if self.on_view:
                    self.on_view(cmd.view)
            elif isinstance(cmd, StartTimer):
                self._cancel_timer(cmd.key)
                key = cmd.key
                self._timers[key] = self.clock.call_later(cmd.seconds, lambda k=key: self._fire(k))
            elif isinstance(cmd, CancelTimer):
                self._cancel_timer(cmd.key)
            elif isinstance(cmd, StartOp):
                self._ops[cmd.op_id] = asyncio.get_running_loop().create_task(self._run_op(cmd))
            elif isinstance(cmd, CancelOp):
                task = self._ops.pop(cmd.op_id, None)
                if task is not None:
                    task.cancel()
            elif isinstance(cmd, Rejected):
                self.rejections.append(cmd)
            elif isinstance(cmd, Finished):
                self.finished = cmd
                self._shutdown()
                if self.on_finish:
                    self.on_finish(cmd)
                self.done.set()
            elif self.on_other is not None:
                self.on_other(cmd)

    def _fire(self, key: str) -> None:
        self._timers.pop(key, None)
        self.post(TimerFired(key))

    def _cancel_timer(self, key: str) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    async def _run_op(self, op: StartOp) -> None:
        try:
            outcome, data, detail = await self.executor.run(op)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in an adapter must not take the session down
            log.exception("op.crashed", op=op.name, target=op.target)
            outcome, data, detail = "error", None, f"{type(exc).__name__}"
        self._ops.pop(op.op_id, None)
        self.post(OpDone(op.op_id, outcome, data, detail))

    def _shutdown(self) -> None:
        for key in list(self._timers):
            self._cancel_timer(key)
        for task in self._ops.values():
            task.cancel()
        self._ops.clear()
