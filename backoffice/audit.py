"""The audit log's entry point. STUB in this branch: the accounts part writes the real module (a table the
console shows); this one has the same signature and only logs, so callers need not change when it lands."""
from __future__ import annotations

import structlog
from sqlalchemy import Engine

log = structlog.get_logger("backoffice.audit")


def record(engine: Engine, actor: str, action: str, target: str = "", detail: dict | None = None) -> None:
    log.info("audit", actor=actor, action=action, target=target, detail=detail or {})
