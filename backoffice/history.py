"""Health history: one sample per report, merged into hourly rows after `full_days`, gone after `hourly_days`.

A sample keeps what a chart needs from a Health (wire/messages.py): paper level per printer, memory, disk,
load, backend latency when the kiosk sends it, and what happened since the previous sample: visits (per item
and in all) and restarts (uptime went back). Counters on the kiosk count since its start, so the difference
between two reports is what happened between them; after a restart the new count is all of it.

Compaction and retention run in the server (`run_forever`) and in tests through `compact(engine, now, ...)`.
Plain SQLAlchemy Core and ORM only, so the same code runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import asyncio
import functools
import math
import types
from collections.abc import Mapping
from typing import NamedTuple

import structlog
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from backoffice.fleetstate import device_kind, paper_level
from backoffice.models import Event, HealthSample, KioskChange

log = structlog.get_logger("backoffice.history")

HOUR = 3600
DAY = 86400
PAPER = {"ok": 2, "low": 1, "out": 0}
FIGURES = ("mem_available_mib", "rss_mib", "disk_free_mib", "load1", "latency_ms")  # averaged when merged
SYSTEM_KEYS = {"mem_available_mib": "mem_available_mib", "rss_mib": "rss_mib", "disk_free_mib": "disk_free_mib",
               "load1": "load1", "latency_ms": "backend_latency_ms", "uptime_s": "uptime_s"}


def _number(value) -> float | None:
    if value is None:
        return None
    if type(value) is float:
        return value if value - value == 0 else None  # inf - inf and nan - nan are nan
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) else None


def _visits(health: dict) -> tuple[int, dict[str, int]]:
    counters = health.get("counters") or {}
    items: dict[str, int] = {}
    for part in ("completions", "failures"):
        for item, n in (counters.get(part) or {}).items():
            items[item] = items.get(item, 0) + int(n)
    return int(counters.get("sessions") or 0), items


class Baseline(NamedTuple):
    """What the next sample needs of a kiosk's last health: a few numbers, not the report."""
    session_seq: int | None
    at: float | None
    uptime_s: float | None
    sessions: int
    items: Mapping[str, int]


NO_ITEMS = types.MappingProxyType({})  # one for every baseline without visits: a worker keeps one per kiosk


def baseline(health: dict) -> Baseline:
    sessions, items = _visits(health)
    return Baseline(health.get("session_seq"), health.get("at"),
                    _number((health.get("system") or {}).get("uptime_s")), sessions, items or NO_ITEMS)


@functools.lru_cache(maxsize=4096)  # a fleet has a handful of device roles
def _printer(role: str) -> bool:
    return device_kind(role) == "printer"


def sample(health: dict, previous: Baseline | None, at: float) -> tuple[dict, Baseline]:
    """The row for `health` arriving at `at`, after `previous` (the kiosk's health before it, or None), and
    the baseline for the next one. On ingest's hot path: one pass over the report."""
    system = health.get("system") or {}
    row = {k: _number(system.get(src)) for k, src in SYSTEM_KEYS.items()}
    devices = health.get("devices") or {}
    paper = {}
    for role in sorted(devices):
        reasons = devices[role].get("reasons") or ()
        if _printer(role) or "paper_low" in reasons or "paper_out" in reasons:
            paper[role] = PAPER[paper_level(reasons)]
    total_sessions, total_items = _visits(health)
    after = Baseline(health.get("session_seq"), health.get("at"), row["uptime_s"], total_sessions,
                     total_items or NO_ITEMS)
    sessions, items = total_sessions, total_items
    restarted = False
    if previous is None:
        sessions, items = 0, {}  # counts from before the back office knew this kiosk: no baseline, no delta
    else:
        before_up = previous.uptime_s
        restarted = row["uptime_s"] is not None and before_up is not None and row["uptime_s"] < before_up
        if not restarted:
            old_sessions, old_items = previous.sessions, previous.items
            sessions = max(0, sessions - old_sessions)
            items = {k: n - old_items.get(k, 0) for k, n in items.items() if n - old_items.get(k, 0) > 0}
    row["at"], row["resolution"], row["n"] = at, 0, 1
    row["session_seq"] = int(health.get("session_seq") or 0)
    row["state"], row["mode"] = str(health.get("state") or "")[:20], str(health.get("mode") or "")[:24]
    row["restarts"], row["visits"] = int(restarted), sessions
    row["items"], row["paper"] = {k: v for k, v in items.items() if v} if items else {}, paper
    return row, after


def merge(rows: list[dict], bucket: float, resolution: int = HOUR) -> dict:
    """Rows (oldest first) as one: figures averaged by weight, counts summed, paper at its worst, state last."""
    total = sum(r["n"] for r in rows)
    out: dict = {"at": bucket, "resolution": resolution, "n": total, "session_seq": rows[-1]["session_seq"],
                 "state": rows[-1]["state"], "mode": rows[-1]["mode"], "uptime_s": rows[-1]["uptime_s"],
                 "restarts": sum(r["restarts"] for r in rows), "visits": sum(r["visits"] for r in rows),
                 "items": {}, "paper": {}}
    for name in FIGURES:
        weighted = [(r[name], r["n"]) for r in rows if r[name] is not None]
        weight = sum(n for _, n in weighted)
        out[name] = round(sum(v * n for v, n in weighted) / weight, 3) if weight else None
    for r in rows:
        for item, n in r["items"].items():
            out["items"][item] = out["items"].get(item, 0) + n
        for role, level in r["paper"].items():
            out["paper"][role] = min(level, out["paper"].get(role, level))
    return out


COLUMNS = ("at", "resolution", "n", "session_seq", "state", "mode", "uptime_s", *FIGURES, "restarts", "visits",
           "items", "paper")


def as_dict(s: HealthSample) -> dict:
    return {c: getattr(s, c) for c in COLUMNS}


def compact(engine: Engine, now: float, full_days: float, hourly_days: float) -> dict[str, int]:
    """Merge full-resolution samples older than `full_days` into hourly rows, whole hours only (a row is
    never merged twice unless a late one arrives, which joins its hour's row), then drop hourly rows and
    timeline changes older than `hourly_days`. One transaction per kiosk: a long job never holds the fleet."""
    cutoff = math.floor((now - full_days * DAY) / HOUR) * HOUR
    done = {"merged": 0, "hourly": 0, "dropped": 0, "changes_dropped": 0}
    with Session(engine) as s:
        kiosks = list(s.scalars(select(HealthSample.kiosk_id).where(
            HealthSample.resolution == 0, HealthSample.at < cutoff).distinct()))
    for kiosk_id in kiosks:
        with Session(engine) as s, s.begin():
            raw = list(s.scalars(select(HealthSample).where(
                HealthSample.kiosk_id == kiosk_id, HealthSample.resolution == 0, HealthSample.at < cutoff)
                .order_by(HealthSample.at, HealthSample.id)))
            buckets: dict[float, list[dict]] = {}
            for r in raw:
                buckets.setdefault(math.floor(r.at / HOUR) * HOUR, []).append(as_dict(r))
            for bucket, rows in buckets.items():
                existing = s.scalars(select(HealthSample).where(
                    HealthSample.kiosk_id == kiosk_id, HealthSample.resolution == HOUR,
                    HealthSample.at == bucket)).first()
                if existing is not None:
                    rows = [as_dict(existing), *rows]
                    s.delete(existing)
                    s.flush()
                else:
                    done["hourly"] += 1
                s.add(HealthSample(kiosk_id=kiosk_id, **merge(rows, bucket)))
            s.execute(delete(HealthSample).where(HealthSample.kiosk_id == kiosk_id, HealthSample.resolution == 0,
                                                 HealthSample.at < cutoff))
            done["merged"] += len(raw)
    horizon = now - hourly_days * DAY
    with Session(engine) as s, s.begin():
        done["dropped"] = s.execute(delete(HealthSample).where(HealthSample.at < horizon)).rowcount
        done["changes_dropped"] = s.execute(delete(KioskChange).where(KioskChange.at < horizon)).rowcount
    return done


def samples(engine: Engine, kiosk_id: str, since: float, until: float) -> list[dict]:
    """Every row for the kiosk between the two times, hourly and full resolution together, oldest first."""
    with Session(engine) as s:
        rows = s.scalars(select(HealthSample).where(
            HealthSample.kiosk_id == kiosk_id, HealthSample.at >= since, HealthSample.at <= until)
            .order_by(HealthSample.at, HealthSample.resolution.desc()))
        return [as_dict(r) for r in rows]


def changes(engine: Engine, kiosk_id: str, since: float, limit: int = 500) -> list[dict]:
    with Session(engine) as s:
        rows = s.scalars(select(KioskChange).where(KioskChange.kiosk_id == kiosk_id, KioskChange.at >= since)
                         .order_by(KioskChange.at.desc(), KioskChange.id.desc()).limit(limit))
        return [{"at": c.at, "kind": c.kind, "session_seq": c.session_seq, "value": c.value, "detail": c.detail}
                for c in rows]


async def run_forever(engine: Engine, every_s: float, full_days: float, hourly_days: float, clock) -> None:
    """The server's retention job: first run at start, then every `every_s`; a failure is logged and retried."""
    while True:
        try:
            done = await asyncio.to_thread(compact, engine, clock(), full_days, hourly_days)
            if any(done.values()):
                log.info("history.compacted", **done)
        except Exception:  # a database outage must not end the job: the next round tries again
            log.exception("history.compact_failed")
        await asyncio.sleep(every_s)


def device_events(engine: Engine, kiosk_id: str, since: float, limit: int = 500) -> list[dict]:
    """The kiosk's device changes (faults and recoveries), newest first, for the timeline."""
    with Session(engine) as s:
        rows = s.scalars(select(Event).where(Event.kiosk_id == kiosk_id, Event.kind == "device", Event.at >= since)
                         .order_by(Event.at.desc(), Event.id.desc()).limit(limit))
        return [{"at": e.at, "session_seq": e.session_seq, "kind": e.kind, "payload": e.payload} for e in rows]
