"""The audit log: who did what, to what, when and why.

A minimal stand-in with the audit part's signature: it logs each entry as a structured line. The audit part
(a table the console shows) replaces this module; callers do not change.
"""
from __future__ import annotations

import structlog
from sqlalchemy import Engine

log = structlog.get_logger("backoffice.audit")


def record(engine: Engine, actor: str, action: str, target: str = "", detail: dict | None = None) -> None:
    log.info("audit", actor=actor, action=action, target=target, detail=detail or {})
