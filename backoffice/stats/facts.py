"""Visit facts: each stored Visit event flattened once into plain columns, then counted with GROUP BY.

Reading JSON inside SQL and turning Unix seconds into local days differ between SQLite and PostgreSQL; a
flat row with its day and hour already in the statistics' time zone makes every query plain, portable and
indexable. `sync` copies the events not yet flattened; it is idempotent, so every worker may run it. It runs
when figures are read (the page, the CSV, the API, /metrics), not on ingest's hot path: a visit is counted
by the first read after it was stored.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice.models import Event, Kiosk
from backoffice.models_ops import VisitFact

# Event ids come from a sequence; on PostgreSQL a lower id may commit after a higher one, so each sync looks
# this far back below what it has already copied (the anti-join makes the second look free of duplicates).
LOOKBACK = 10_000
BATCH = 5_000
FAILED = ("failed", "timeout")


def sync(engine: Engine, tz: str) -> int:
    """Flatten the Visit events not yet counted; how many were added."""
    zone = ZoneInfo(tz)
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[engine.dialect.name]
    added = 0
    with Session(engine) as s, s.begin():
        mark = s.scalar(select(func.max(VisitFact.event_id))) or 0
        while True:
            q = (select(Event.id, Event.kiosk_id, Event.payload, Event.at, Kiosk.hall)
                 .join(Kiosk, Kiosk.id == Event.kiosk_id)
                 .outerjoin(VisitFact, VisitFact.event_id == Event.id)
                 .where(Event.kind == "visit", Event.id > mark - LOOKBACK, VisitFact.event_id.is_(None))
                 .order_by(Event.id).limit(BATCH))
            rows = s.execute(q).all()
            if not rows:
                return added
            s.execute(insert(VisitFact).on_conflict_do_nothing(index_elements=["event_id"]),
                      [_fact(*row, zone) for row in rows])  # executemany: no limit on bound parameters
            added += len(rows)
            mark = max(mark, rows[-1][0])


def _fact(event_id: int, kiosk_id: str, payload: dict, at: float, hall: str | None, zone: ZoneInfo) -> dict:
    local = dt.datetime.fromtimestamp(at, zone)
    printed = payload.get("printed") or {}
    return {"event_id": event_id, "kiosk_id": kiosk_id, "hall": (hall or "")[:120],
            "flow": str(payload.get("flow", ""))[:64], "result": str(payload.get("result", ""))[:16],
            "reason": str(payload.get("reason", ""))[:80],
            "pages": sum(v for v in printed.values() if isinstance(v, int) and v > 0),
            "tickets": int(payload.get("tickets") or 0), "at": at, "day": local.strftime("%Y-%m-%d"),
            "hour": local.hour}


def _counts():
    """visits, completed, failed (failed or timed out), cancelled, pages, tickets."""
    return (func.count().label("visits"),
            func.sum(case((VisitFact.result == "completed", 1), else_=0)).label("completed"),
            func.sum(case((VisitFact.result.in_(FAILED), 1), else_=0)).label("failed"),
            func.sum(case((VisitFact.result == "cancelled", 1), else_=0)).label("cancelled"),
            func.sum(VisitFact.pages).label("pages"), func.sum(VisitFact.tickets).label("tickets"))


class Statistics:
    """The figures for one date range (local days, inclusive) and optionally one hall."""

    def __init__(self, engine: Engine, first: str, last: str, hall: str | None = None):
        self.engine = engine
        self.where = and_(VisitFact.day >= first, VisitFact.day <= last,
                          *([VisitFact.hall == hall] if hall else []))

    def _rows(self, *columns, order=None) -> list[dict]:
        q = select(*columns, *_counts()).where(self.where).group_by(*columns)
        q = q.order_by(*(order if order is not None else columns))
        with Session(self.engine) as s:
            return [_rated(r._asdict()) for r in s.execute(q)]

    def totals(self) -> dict:
        with Session(self.engine) as s:
            row = s.execute(select(*_counts()).where(self.where)).one()._asdict()
        return _rated({k: v or 0 for k, v in row.items()})

    def per_item(self) -> list[dict]:
        return self._rows(VisitFact.flow)

    def per_hall(self) -> list[dict]:
        return self._rows(VisitFact.hall)

    def per_hall_day_item(self) -> list[dict]:
        return self._rows(VisitFact.hall, VisitFact.day, VisitFact.flow)

    def per_day(self) -> list[dict]:
        return self._rows(VisitFact.day)

    def per_hour(self) -> list[dict]:
        return self._rows(VisitFact.hour)

    def failure_reasons(self, limit: int = 20) -> list[dict]:
        q = (select(VisitFact.flow, VisitFact.result, VisitFact.reason, func.count().label("visits"))
             .where(self.where, VisitFact.result.in_(FAILED))
             .group_by(VisitFact.flow, VisitFact.result, VisitFact.reason)
             .order_by(func.count().desc(), VisitFact.flow, VisitFact.reason).limit(limit))
        with Session(self.engine) as s:
            return [r._asdict() for r in s.execute(q)]


def halls(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [h for (h,) in s.execute(select(VisitFact.hall).distinct().order_by(VisitFact.hall)) if h]


def visits_per_item(engine: Engine) -> dict[str, int]:
    """Since the beginning, for /metrics (a counter per item, not per kiosk)."""
    with Session(engine) as s:
        return {flow: n for flow, n in s.execute(select(VisitFact.flow, func.count()).group_by(VisitFact.flow))}


def _rated(row: dict) -> dict:
    for k in ("visits", "completed", "failed", "cancelled", "pages", "tickets"):
        row[k] = int(row.get(k) or 0)
    n = row["visits"]
    row["completion_rate"] = row["completed"] / n if n else 0.0
    row["failure_rate"] = row["failed"] / n if n else 0.0
    return row
