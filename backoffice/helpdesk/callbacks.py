"""Callback tasks: open -> assigned (an agent opened the number) -> done or failed.

The number is shown masked in lists; opening a task reveals it to that agent, assigns the task to them and
is audited (who saw which task's number, never the number). Closing logs `callback_done` for the metrics.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.helpdesk.secrets import PhoneSeal
from backoffice.models import HelpCallback, HelpEvent

STATES = ("open", "assigned", "done", "failed")


@dataclasses.dataclass(frozen=True)
class Task:
    id: int
    kiosk_id: str
    item: str
    skill: str
    state: str
    phone_masked: str
    created_at: float
    target_at: float
    assigned_to: str | None
    closed_at: float | None


class CallbackError(ValueError):
    pass


class Callbacks:
    def __init__(self, engine: Engine, seal: PhoneSeal, clock: Callable[[], float] = time.time):
        self.engine, self.seal, self.clock = engine, seal, clock

    def list(self, open_only: bool = False) -> list[Task]:
        q = select(HelpCallback).order_by(HelpCallback.state.in_(("done", "failed")), HelpCallback.target_at)
        if open_only:
            q = q.where(HelpCallback.state.in_(("open", "assigned")))
        with Session(self.engine) as s:
            return [Task(t.id, t.kiosk_id, t.item, t.skill, t.state, t.phone_masked, t.created_at, t.target_at,
                         t.assigned_to, t.closed_at) for t in s.scalars(q.limit(500))]

    def open(self, task_id: int, agent: str) -> str:
        """The number in clear, for this agent; the task becomes theirs."""
        with Session(self.engine) as s, s.begin():
            task = s.get(HelpCallback, task_id)
            if task is None or task.state in ("done", "failed"):
                raise CallbackError("no open callback with that number")
            phone = self.seal.open(task.phone_sealed, str(task.id))
            if phone is None:
                raise CallbackError("this instance's phone key is not the one that sealed the number "
                                    "(helpdesk.phone_key_file must be the same everywhere)")
            task.state, task.assigned_to = "assigned", agent
        audit.record(self.engine, agent, "helpdesk.callback_opened", f"callback {task_id}")
        return phone

    def close(self, task_id: int, agent: str, state: str) -> None:
        if state not in ("done", "failed"):
            raise CallbackError("a callback closes as done or failed")
        now = self.clock()
        with Session(self.engine) as s, s.begin():
            task = s.get(HelpCallback, task_id)
            if task is None or task.state in ("done", "failed"):
                raise CallbackError("no open callback with that number")
            task.state, task.closed_at, task.assigned_to = state, now, task.assigned_to or agent
            s.add(HelpEvent(at=now, call_id=task.call_id, kind="callback_done", agent=agent, kiosk_id=task.kiosk_id,
                            skill=task.skill, data={"callback": task.id, "state": state,
                                                    "within_target": now <= task.target_at}))
        audit.record(self.engine, agent, "helpdesk.callback_" + state, f"callback {task_id}")
