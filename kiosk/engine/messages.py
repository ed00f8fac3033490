"""What goes into a session (events) and what comes out of it (commands).

Every source of input — the touch UI, a scenario file, a remote staff
member, a device, a timer — speaks through these few types, so the engine
treats them alike and a trace of them replays a session.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# ---- events in ------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    """Something a person did. ``source`` is touch, staff, test or keyboard; it is traced, never trusted more."""

    kind: str  # ok, agree, decline, choose, submit, done, back, cancel, help, extend, set_locale, set_elderly
    value: Any = None
    source: str = "touch"

    def __repr__(self) -> str:  # a submitted form carries personal data
        return f"Action({self.kind}, source={self.source})"


@dataclass(frozen=True)
class TimerFired:
    key: str


@dataclass(frozen=True)
class OpDone:
    op_id: str
    outcome: str  # ok, timeout, paper_out, ...
    data: Any = None
    detail: str = ""  # technician-facing; never personal data

    def __repr__(self) -> str:
        return f"OpDone({self.op_id}, {self.outcome})"


Event = Action | TimerFired | OpDone


# ---- commands out -----------------------------------------------------------
@dataclass(frozen=True)
class Show:
    view: "Any"  # kiosk.engine.views.StepView


@dataclass(frozen=True)
class StartTimer:
    key: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    key: str


@dataclass(frozen=True)
class StartOp:
    op_id: str
    target: str  # a device role (id_reader, receipt_printer, ...) or "service"
    name: str  # read_card, read_code, print, dispense, call_staff, or service.operation
    args: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"StartOp({self.op_id}, {self.target}, {self.name})"


@dataclass(frozen=True)
class CancelOp:
    op_id: str


@dataclass(frozen=True)
class Rejected:
    """An action that makes no sense now (a choice on a form step, a tap during printing)."""

    action: str
    reason: str


@dataclass(frozen=True)
class Finished:
    result: str  # completed, cancelled, failed, timeout
    flow: str
    reason: str = ""
    # The card's ID number, handed over once so the journal can hash it before the session forgets it.
    citizen: str | None = field(default=None, repr=False, compare=False)
    # A bundle's items as (subflow step id, result), in the order they ended: which were done and which not.
    items: tuple[tuple[str, str], ...] = ()


Command = Show | StartTimer | CancelTimer | StartOp | CancelOp | Rejected | Finished
