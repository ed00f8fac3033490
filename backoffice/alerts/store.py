"""Alerts, maintenance windows and births in the database. Blocking: called from ingest's store thread or
through asyncio.to_thread, never on the event loop.

One active alert per kiosk and rule is the database's job (the unique `active_key`), not a lock's: the
insert that loses the race does nothing, so only the worker that raised an alert notifies for it.
"""
from __future__ import annotations

import math
import time

from sqlalchemy import Engine, delete, func, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice.alerts.rules import RULES, Facts
from backoffice.models import Kiosk
from backoffice.models_ops import Alert, KioskBirth, MaintenanceWindow
from wire.topics import KIOSK_ID

STATUSES = ("open", "acknowledged", "cleared")


class AlertError(Exception):
    """An operator's request that cannot be done (no such alert, already cleared); says which."""


def key(kiosk_id: str, rule: str) -> str:
    return f"{kiosk_id}/{rule}"


class AlertStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[engine.dialect.name]

    # -- the evaluator's side ----------------------------------------------------------------------------
    def facts(self, kiosk_id: str | None = None, *, with_health: bool = True) -> list[Facts]:
        """Every kiosk's current facts (or one kiosk's), as the rules read them; without health (None) the
        query reads no JSON, which is most of its cost."""
        health = Kiosk.health if with_health else null()
        q = select(Kiosk.id, Kiosk.hall, Kiosk.region, Kiosk.state, health, Kiosk.last_seen)
        if kiosk_id is not None:
            q = q.where(Kiosk.id == kiosk_id)
        with Session(self.engine) as s:
            return [Facts(*row) for row in s.execute(q)]

    def active(self, kiosk_id: str | None = None) -> dict[str, set[str]]:
        """kiosk -> rules with an active alert."""
        q = select(Alert.kiosk_id, Alert.rule).where(Alert.active_key.is_not(None))
        if kiosk_id is not None:
            q = q.where(Alert.kiosk_id == kiosk_id)
        out: dict[str, set[str]] = {}
        with Session(self.engine) as s:
            for kid, rule in s.execute(q):
                out.setdefault(kid, set()).add(rule)
        return out

    def raise_alert(self, facts: Facts, rule: str, detail: dict, now: float | None = None) -> dict | None:
        """The new alert, or None when one is already active for this kiosk and rule."""
        now = time.time() if now is None else now
        r = RULES[rule]
        with Session(self.engine) as s, s.begin():
            done = s.execute(self._insert(Alert).values(
                kiosk_id=facts.kiosk_id, hall=facts.hall, region=facts.region, rule=rule, kind=r.kind,
                severity=r.severity, status="open", active_key=key(facts.kiosk_id, rule), detail=detail,
                raised_at=now, updated_at=now, notified=False).on_conflict_do_nothing().returning(Alert.id))
            new_id = done.scalar_one_or_none()  # RETURNING, not rowcount: the ORM path leaves that -1 on psycopg
            return None if new_id is None else _row(s.get(Alert, new_id))

    def clear(self, kiosk_id: str, rule: str, now: float | None = None) -> dict | None:
        """The condition alert just cleared, or None if there was none (event alerts wait for an operator)."""
        now = time.time() if now is None else now
        with Session(self.engine) as s, s.begin():
            alert = s.scalars(select(Alert).where(Alert.active_key == key(kiosk_id, rule),
                                                  Alert.kind == "condition").with_for_update()).one_or_none()
            if alert is None:
                return None
            alert.status, alert.active_key, alert.cleared_at, alert.updated_at = "cleared", None, now, now
            return _row(alert)

    def prune(self, before: float) -> int:
        """Delete alerts that ended before `before`; an active alert is never deleted."""
        with Session(self.engine) as s, s.begin():
            return s.execute(delete(Alert).where(Alert.active_key.is_(None), Alert.updated_at < before)).rowcount

    def mark_notified(self, alert_id: int) -> None:
        with Session(self.engine) as s, s.begin():
            s.execute(update(Alert).where(Alert.id == alert_id).values(notified=True))

    # -- the operator's side -----------------------------------------------------------------------------
    def acknowledge(self, alert_id: int, user: str, now: float | None = None) -> dict:
        """An operator has seen it. An event alert ends here; a condition alert stays until its fact is gone."""
        now = time.time() if now is None else now
        with Session(self.engine) as s, s.begin():
            alert = s.get(Alert, alert_id, with_for_update=True)
            if alert is None:
                raise AlertError(f"no alert {alert_id}")
            if alert.status != "open":
                raise AlertError(f"alert {alert_id} is already {alert.status}")
            alert.status, alert.acked_at, alert.acked_by, alert.updated_at = "acknowledged", now, user[:64], now
            if alert.kind == "event":
                alert.active_key = None
            return _row(alert)

    def alerts(self, *, status: str | None = None, hall: str | None = None, rule: str | None = None,
               kiosk_id: str | None = None, limit: int = 500) -> list[dict]:
        q = select(Alert).order_by(Alert.updated_at.desc(), Alert.id.desc()).limit(limit)
        for column, value in ((Alert.status, status), (Alert.hall, hall), (Alert.rule, rule),
                              (Alert.kiosk_id, kiosk_id)):
            if value:
                q = q.where(column == value)
        with Session(self.engine) as s:
            return [_row(a) for a in s.scalars(q)]

    def get(self, alert_id: int) -> dict | None:
        with Session(self.engine) as s:
            a = s.get(Alert, alert_id)
            return _row(a) if a else None

    def version(self) -> str:
        """Changes whenever any alert does: the page's poll answers 304 while it stays the same."""
        with Session(self.engine) as s:
            latest, last_id = s.execute(select(func.max(Alert.updated_at), func.max(Alert.id))).one()
        return f"{latest or 0:.6f}-{last_id or 0}"

    def open_per_rule(self) -> dict[str, int]:
        with Session(self.engine) as s:
            rows = s.execute(select(Alert.rule, func.count()).where(Alert.active_key.is_not(None))
                             .group_by(Alert.rule))
            return {rule: n for rule, n in rows}

    def halls(self) -> list[str]:
        with Session(self.engine) as s:
            return [h for (h,) in s.execute(select(Alert.hall).where(Alert.hall.is_not(None)).distinct()
                                            .order_by(Alert.hall))]

    # -- maintenance windows -------------------------------------------------------------------------------
    def add_window(self, *, kiosk_id: str | None, hall: str | None, starts_at: float, ends_at: float,
                   reason: str, user: str) -> dict:
        if not (kiosk_id or hall):
            raise AlertError("a maintenance window needs a kiosk or a hall")
        if kiosk_id and not KIOSK_ID.fullmatch(kiosk_id):
            raise AlertError("kiosk_id: letters, digits, - and _, at most 32")
        if hall and len(hall) > 120:
            raise AlertError("hall: at most 120 characters")
        if not (math.isfinite(starts_at) and math.isfinite(ends_at)):
            raise AlertError("starts_at, ends_at: Unix seconds")
        if ends_at <= starts_at:
            raise AlertError("a maintenance window must end after it starts")
        with Session(self.engine) as s, s.begin():
            w = MaintenanceWindow(kiosk_id=kiosk_id or None, hall=hall or None, starts_at=starts_at,
                                  ends_at=ends_at, reason=reason[:200], created_by=user[:64])
            s.add(w)
            s.flush()
            return _window(w)

    def delete_window(self, window_id: int) -> bool:
        with Session(self.engine) as s, s.begin():
            return s.execute(delete(MaintenanceWindow).where(MaintenanceWindow.id == window_id)).rowcount == 1

    def windows(self, now: float | None = None) -> list[dict]:
        """Windows not yet over, soonest first."""
        now = time.time() if now is None else now
        with Session(self.engine) as s:
            q = select(MaintenanceWindow).where(MaintenanceWindow.ends_at > now).order_by(MaintenanceWindow.starts_at)
            return [_window(w) for w in s.scalars(q)]

    def suppressed(self, kiosk_id: str, hall: str | None, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        who = MaintenanceWindow.kiosk_id == kiosk_id
        if hall:
            who = or_(who, MaintenanceWindow.hall == hall)
        with Session(self.engine) as s:
            q = select(MaintenanceWindow.id).where(who, MaintenanceWindow.starts_at <= now,
                                                   MaintenanceWindow.ends_at > now).limit(1)
            return s.execute(q).first() is not None

    # -- births ----------------------------------------------------------------------------------------------
    def birth(self, kiosk_id: str, session_seq: int, window_s: float, now: float | None = None) -> int | None:
        """Record a start; the number of starts within `window_s`, or None for a session already counted (a
        retained birth delivered again after the back office restarted)."""
        now = time.time() if now is None else now
        with Session(self.engine) as s, s.begin():
            done = s.execute(self._insert(KioskBirth).values(kiosk_id=kiosk_id, session_seq=session_seq,
                                                              received_at=now).on_conflict_do_nothing()
                             .returning(KioskBirth.id))
            if done.scalar_one_or_none() is None:
                return None
            return s.scalar(select(func.count()).where(KioskBirth.kiosk_id == kiosk_id,
                                                       KioskBirth.received_at > now - window_s))

    def prune_births(self, before: float) -> int:
        with Session(self.engine) as s, s.begin():
            return s.execute(delete(KioskBirth).where(KioskBirth.received_at < before)).rowcount


def _row(a: Alert) -> dict:
    return {"id": a.id, "kiosk_id": a.kiosk_id, "hall": a.hall, "region": a.region, "rule": a.rule,
            "kind": a.kind, "severity": a.severity, "status": a.status, "active": a.active_key is not None,
            "detail": a.detail, "raised_at": a.raised_at, "updated_at": a.updated_at, "cleared_at": a.cleared_at,
            "acked_at": a.acked_at, "acked_by": a.acked_by, "notified": a.notified}


def _window(w: MaintenanceWindow) -> dict:
    return {"id": w.id, "kiosk_id": w.kiosk_id, "hall": w.hall, "starts_at": w.starts_at, "ends_at": w.ends_at,
            "reason": w.reason, "created_by": w.created_by}
