"""A citizen's visit as a pure state machine: events in, commands out.

Run-to-completion (as in SCXML): each event is handled fully before the
next, immediate steps (branch, subflow entry, a reused ID card) are followed
in a bounded loop, and every wait is a timer the runner owns. The session
holds the flow version it started with, so a reload never changes a visit
under a citizen's finger. Personal data lives only in ``vars`` and is
dropped when the visit ends.
"""
from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog

from kiosk.engine import actions, endings, results, steps
from kiosk.engine.messages import (Action, CancelOp, CancelTimer, Command, Event, Finished, OpDone, Rejected, Show,
                                   StartOp, StartTimer, TimerFired)
from kiosk.engine.render import ViewBuilder
from kiosk.engine.trace import Trace
from kiosk.expr import EvalError
from kiosk.flow.compile import CompiledFlow
from kiosk.flow.model import ELDERLY_MULTIPLIER, IdlePolicy
from kiosk.flow.outcomes import ERRORS, INTERACTIVE, SEEN, next_map

log = structlog.get_logger("kiosk.session")
MAX_HOPS = 64  # immediate transitions per event; the linter forbids loops without a citizen, this is the backstop
CITIZEN_WAITS = frozenset({"notice", "choice", "form", "show_result"})


@dataclass
class Frame:
    flow: CompiledFlow
    step_id: str
    walked: list[str] = field(default_factory=list)  # the steps of this item the citizen has seen, for progress


class SessionOver(Exception):
    pass


class Session:
    def __init__(self, flows: Mapping[str, CompiledFlow], flow_id: str, *, session_id: str, kiosk: dict,
                 idle: IdlePolicy | None = None, locale: str = "zh-CN", elderly: bool = False,
                 elderly_multiplier: float = ELDERLY_MULTIPLIER,
                 clock: Callable[[], float] = time.monotonic, wallclock: Callable[[], dt.datetime] = dt.datetime.now):
        self.flows = dict(flows)  # pinned: a reload makes new sessions, never changes this one
        self.id = session_id
        self.frames = [Frame(self.flows[flow_id], "")]
        self.idle = self.frames[0].flow.flow.idle or idle or IdlePolicy()
        self.locale = locale
        self.elderly = elderly
        self.clock, self.wallclock = clock, wallclock
        self.vars: dict = self._blank_vars(kiosk)
        self.history: list[tuple[int, str]] = []
        self.attempts: dict[tuple[str, str], int] = {}
        self.form_errors: dict[str, str] = {}
        self.pending: dict[str, str] = {}  # op id -> step key it belongs to
        self.busy = False
        self.idle_warning = False
        self.idle_held = False  # a video call is on (actions._hold_idle)
        own = self.frames[0].flow.flow.accessibility.timeout_multiplier
        self.elderly_multiplier = own if own is not None else elderly_multiplier
        self.deadlines: dict[str, float] = {}  # timer key -> monotonic deadline, for the countdowns on screen
        self.extensions_left = self.idle.max_extensions
        self.result: str | None = None
        self.handed: set[str] = set()  # what the citizen has to take away: card, document, receipt, ticket
        self.trouble: tuple[str, str, str] | None = None  # (step, outcome, step kind) of the last failure
        self.last_outcome = ""
        self.ending = None  # kiosk.engine.endings.Ending, once the visit has ended
        self.trace = Trace(session_id)
        self._out: list[Command] = []
        self._ops = itertools.count(1)
        self._docs = itertools.count(1)
        self._printing: tuple[tuple[int, str], str, str] | None = None  # (frame, number, code) of the last print
        self._unprinted: tuple[tuple[int, str], str, str] | None = None  # ...when it did not come out
        self.views = ViewBuilder(self)

    # ------------------------------------------------------------------ api
    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def step(self):
        return self.frame.flow.step(self.frame.step_id)

    @property
    def root_flow(self) -> CompiledFlow:
        return self.frames[0].flow

    def start(self) -> list[Command]:
        root = self.root_flow
        self.trace.add("start", flow=root.id, version=root.flow.version, sha256=root.sha256[:12])
        self._out.append(StartTimer("cap", root.flow.session_cap_s))
        self._transition(root.start_step())
        return self._flush()

    def handle(self, event: Event) -> list[Command]:
        if self.result is not None:
            if isinstance(event, Action):
                return [Rejected(event.kind, "the visit has ended")]
            return []
        try:
            if isinstance(event, Action):
                actions.handle(self, event)
            elif isinstance(event, TimerFired):
                self._on_timer(event.key)
            elif isinstance(event, OpDone):
                self._on_op(event)
        except EvalError as exc:
            self.trace.add("expression_error", step=self.frame.step_id, detail=str(exc)[:200])
            self._route("expression_error")
        except Exception:  # a bug: end this visit visibly and safely instead of freezing the screen
            log.exception("session.crashed", flow=self.frame.flow.id, step=self.frame.step_id)
            self._out = [c for c in self._out if not isinstance(c, Show)]
            self._clear_waits()
            self._finish("failed", "internal error", sorry=True)
        return self._flush()

    def view(self):
        return self.views.build()

    # ----------------------------------------------------------- plumbing
    def _flush(self) -> list[Command]:
        out, self._out = self._out, []
        return out

    def _blank_vars(self, kiosk: dict) -> dict:
        now = self.wallclock()
        return {"id": {}, "form": {}, "data": {}, "scan": {}, "ticket": {}, "doc": {}, "bundle": {},
                "kiosk": dict(kiosk), "session": {"id": self.id, "elderly": self.elderly},
                "locale": self.locale, "now": now.date(), "time": now.strftime("%H:%M")}

    def context(self) -> dict:
        now = self.wallclock()
        self.vars.update(locale=self.locale, now=now.date(), time=now.strftime("%H:%M"))
        self.vars["session"]["elderly"] = self.elderly
        return self.vars

    def _key(self) -> tuple[str, str]:
        return (self.frame.flow.id, self.frame.step_id)

    def _frame_key(self) -> tuple[int, str]:
        return (len(self.frames), self.frame.flow.id)

    def _wait(self, seconds: float) -> float:
        return seconds * (self.elderly_multiplier if self.elderly else 1.0)

    def _start_countdown(self, key: str, seconds: float) -> None:
        """A timer the citizen sees counting down: its deadline is kept so every view can say the time left."""
        self.deadlines[key] = self.clock() + seconds
        self._out.append(StartTimer(key, seconds))

    def remaining(self, key: str) -> float | None:
        deadline = self.deadlines.get(key)
        return None if deadline is None else max(0.0, deadline - self.clock())

    def _show(self) -> None:
        self._walk()
        self._out.append(Show(self.view()))

    def _walk(self) -> None:
        """Count the step as seen once it is shown (a reused card passes unseen); back to one seen before
        (Back, a second try) counts from there again."""
        walked, step_id = self.frame.walked, self.frame.step_id
        if self.step.kind in SEEN and walked[-1:] != [step_id]:
            del walked[walked.index(step_id) if step_id in walked else len(walked):]
            walked.append(step_id)

    def _clear_waits(self) -> None:
        for op_id in list(self.pending):
            self._out.append(CancelOp(op_id))
            self._out.append(CancelTimer(f"op:{op_id}"))
        self.pending.clear()
        for key in ("step", "idle", "idle_warn", "retry"):
            self._out.append(CancelTimer(key))
        self.deadlines.clear()
        self.idle_warning = False
        self.busy = False

    def _arm_idle(self) -> None:
        if self.step.kind in CITIZEN_WAITS and self.step.timeout_s is None:
            self._out.append(StartTimer("idle", self._wait(self.idle.timeout_s)))

    # ---------------------------------------------------------- transitions
    def _transition(self, target: str | None) -> None:
        hops = 0
        while target is not None:
            hops += 1
            if hops > MAX_HOPS:
                self._fail("too many immediate transitions")
                return
            target = self._enter(target)

    def _target(self, outcome: str) -> str | None:
        step = self.step
        routed = next_map(step).get(outcome)
        if routed is None and (outcome in ERRORS or outcome == "timeout") and self.frame.flow.flow.on_error:
            if self.frame.step_id != self.frame.flow.flow.on_error:
                routed = self.frame.flow.flow.on_error
        return routed

    def _route(self, outcome: str) -> None:
        self.trace.add("outcome", flow=self.frame.flow.id, step=self.frame.step_id, outcome=outcome)
        self.last_outcome = outcome
        failing = outcome in ERRORS or outcome == "timeout" or (self.step.kind == "call" and outcome != "ok")
        if failing and not (outcome == "failed" and self.trouble):
            self.trouble = (self.frame.step_id, outcome, self.step.kind)
        if self.step.kind == "print":  # printed, or left for the next print to replace
            self._unprinted = None if outcome == "ok" else self._printing
        target = self._target(outcome)
        if target is None:
            self._fail(f"no branch for outcome {outcome!r} of step {self.frame.step_id!r}")
            return
        self._transition(target)

    def _handed(self, step) -> None:
        """Remember what the citizen now has to take away, for the ending's "please take ..." lines."""
        if step.kind == "read_id_card":
            self.handed.add("card")
        elif step.kind == "print":
            self.handed.add("receipt" if step.printer == "receipt_printer" else "document")
        elif step.kind == "dispense_ticket":
            self.handed.add("ticket")

    def _fail(self, reason: str) -> None:
        """The runtime's catch-all: apologise, end, wipe. Never a dead end on screen."""
        log.error("session.dead_end", flow=self.frame.flow.id, step=self.frame.step_id, reason=reason)
        self.trace.add("fatal", step=self.frame.step_id, detail=reason)
        self._clear_waits()
        self._finish("failed", reason, sorry=True)

    def _enter(self, step_id: str) -> str | None:
        """Enter a step; return the next step id for immediate steps, None when the step waits."""
        self._clear_waits()
        frame = self.frame
        frame.step_id = step_id
        step = self.step
        self.form_errors = {}
        self.attempts.pop(self._key(), None)
        self.trace.add("enter", flow=frame.flow.id, step=step_id, kind=step.kind)
        if step.kind in ("print", "dispense_ticket"):
            self.history.clear()  # Back never crosses a printout: it would print (or take a number) twice
        if step.kind in INTERACTIVE and (not self.history or self.history[-1] != (len(self.frames), step_id)):
            self.history.append((len(self.frames), step_id))
        if step.timeout_s is not None and step.kind != "call":
            self._start_countdown("step", self._wait(step.timeout_s))
        return steps.enter(self, step)

    def _descend(self, sub: CompiledFlow) -> str:
        """Enter a bundled item: its steps run in a frame of their own until its end step."""
        self.frames.append(Frame(sub, ""))
        self.trace.add("subflow", flow=sub.id, version=sub.flow.version)
        return sub.start_step()

    def _ascend(self, result: str) -> str | None:
        """Leave a bundled item: its result is the outcome of the bundle's subflow step, and the bundle's to show."""
        self.frames.pop()
        self.trace.add("subflow_end", result=result)
        self.vars["bundle"][self.frame.step_id] = result
        target = self._target(result)
        self.trace.add("outcome", flow=self.frame.flow.id, step=self.frame.step_id, outcome=result)
        if target is None:
            self._fail(f"no branch for subflow result {result!r}")
        return target

    def _finish(self, result: str, reason: str, sorry: bool = False) -> None:
        self.result = result
        self.views.sorry = sorry
        if sorry and self.trouble is None:
            self.trouble = (self.frame.step_id, "other", self.step.kind)
        self.ending = endings.record(self, result)
        self._show()
        for key in ("cap", "step", "idle", "idle_warn", "retry"):
            self._out.append(CancelTimer(key))
        self.deadlines.clear()
        items = tuple(self.vars["bundle"].items())
        self._out.append(Finished(result, self.root_flow.id, reason, citizen=self.vars["id"].get("id_number"),
                                  items=items))
        self.trace.add("end", result=result, reason=reason, **({"items": dict(items)} if items else {}))
        self.wipe()

    def wipe(self) -> None:
        """Drop every personal value this visit held."""
        kiosk = self.vars.get("kiosk", {})
        self.vars = self._blank_vars(kiosk)
        self.history.clear()
        self.form_errors = {}
        self._printing = self._unprinted = None
        self.views.forget()

    # ----------------------------------------------------------- waits: ops
    def _start_op(self, target: str, name: str, args: dict | None = None, timeout: float | None = None) -> None:
        op_id = f"{self.id[:8]}-{next(self._ops)}"
        self.pending[op_id] = self.frame.step_id
        self._out.append(StartOp(op_id, target, name, args or {}))
        if timeout is not None:
            self._out.append(StartTimer(f"op:{op_id}", timeout))
        self.trace.add("op_start", op=op_id, target=target, name=name, args=sorted((args or {}).keys()))

    def _on_op(self, event: OpDone) -> None:
        if event.op_id not in self.pending:
            return  # a late answer for a step we already left
        del self.pending[event.op_id]
        self._out.append(CancelTimer(f"op:{event.op_id}"))
        step = self.step
        self.trace.add("op_done", op=event.op_id, outcome=event.outcome, detail=event.detail[:200])
        outcome = results.accept(self, step, event.outcome, event.data)
        if outcome != "ok" and self._retry(step, outcome):
            return
        self.busy = False
        self.attempts.pop(self._key(), None)
        if outcome == "ok":
            self._handed(step)
        self._route(outcome)

    def _retry(self, step, outcome: str) -> bool:
        retry = getattr(step, "retry", None)
        if retry is None or outcome not in retry.on:
            return False
        key = self._key()
        done = self.attempts.get(key, 1)
        if done >= retry.max_attempts:
            return False
        self.attempts[key] = done + 1
        delay = retry.backoff_s * (2 ** (done - 1))
        self.trace.add("retry", step=step.id, attempt=done + 1, after_s=delay)
        self._out.append(StartTimer("retry", delay))
        self._show()
        return True

    # --------------------------------------------------------------- timers
    def _on_timer(self, key: str) -> None:
        if key == "cap":
            self.trace.add("session_cap")
            self._clear_waits()
            self._finish("timeout", "session cap reached")
        elif key == "idle" and self.idle_held:  # on a video call: the citizen is with staff
            self._arm_idle()
        elif key == "idle":
            self.idle_warning = True
            self._start_countdown("idle_warn", self._wait(self.idle.warn_s))
            self.trace.add("idle_warning", step=self.frame.step_id)
            self._show()
        elif key == "idle_warn":
            self.trace.add("idle_reset", step=self.frame.step_id)
            self._clear_waits()
            self._finish("timeout", "idle")
        elif key == "step":
            self._route("timeout")
        elif key == "retry":
            step = self.step
            steps.HANDLERS[step.kind](self, step)
        elif key.startswith("op:"):
            op_id = key[3:]
            if op_id in self.pending:
                del self.pending[op_id]
                self._out.append(CancelOp(op_id))
                self.trace.add("op_timeout", op=op_id)
                if not self._retry(self.step, "timeout"):
                    self.busy = False
                    self._route("timeout")
