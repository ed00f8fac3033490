"""The audit log: who did what, to what, when. Every part writes through `record`; the console shows it.

`record` is blocking (one short insert): call it from a thread in async code. The page is audit_page.py. The detail is shown to
operators: never put personal data (ID numbers, citizens' names) or secrets in it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice.models import AuditEntry

log = structlog.get_logger("backoffice.audit")
PAGE = 200


def record(engine: Engine, actor: str, action: str, target: str = "", detail: dict | None = None) -> None:
    with Session(engine) as s, s.begin():
        s.add(AuditEntry(at=time.time(), actor=actor[:120], action=action[:60], target=target[:200],
                         detail=detail or {}))
    log.info("audit", action=action)  # who and what stay in the table, which only operators can read


@dataclass(frozen=True)
class Entry:
    id: int
    at: float
    actor: str
    action: str
    target: str
    detail: dict


def entries(engine: Engine, *, actor: str = "", action: str = "", before: int | None = None,
            limit: int = PAGE) -> list[Entry]:
    """Newest first. `action` matches a whole action or a family: "login" finds login.success and the rest."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where((AuditEntry.action == action) | AuditEntry.action.startswith(action + ".", autoescape=True))
    if before is not None:
        q = q.where(AuditEntry.id < before)
    with Session(engine) as s:
        return [Entry(e.id, e.at, e.actor, e.action, e.target, e.detail) for e in s.scalars(q)]

