"""The fleet's current facts and history, written by ingest from reports wire has already checked.

Blocking (SQLAlchemy): called from an ingest worker's single store thread, a batch of reports at a time,
each batch one transaction: per-report sessions and commits would cap a worker far below the fleet's rate.
Within a batch, reports are applied in arrival order; each kiosk's row is locked (PostgreSQL: FOR UPDATE,
in id order so two workers never deadlock; SQLite has one writer anyway), so workers sharing a fleet see
each other's writes. The same SQL runs on SQLite and PostgreSQL; the tests run it on both.

History rides along in the same transaction: a health sample per health report (backoffice.history) and a
timeline row per new session or state change, so the kiosk page's charts and timeline never disagree with
the current facts. After the commit, `listeners` hear which kiosks changed (the live fleet view).
"""
from __future__ import annotations

import hashlib
import json
import operator
import time

import structlog
from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice import history
from backoffice.models import Event, Kiosk, KioskChange
from backoffice.reports import Report
from wire import messages

log = structlog.get_logger("backoffice.store")

STORED, DUPLICATE, STALE, IGNORED = "stored", "duplicate", "stale", "ignored"
JSON_COLUMNS = frozenset({"birth", "health"})
# The kiosks table's columns that ingest writes, with their PostgreSQL types (birth and health: json).
PG_TYPES = {"id": "text", "hall": "text", "region": "text", "session_seq": "int4", "birth": "json",
            "birth_at": "float8", "state": "text", "state_at": "float8", "health": "json", "health_at": "float8",
            "last_seen": "float8", "health_seq": "int8"}
FLOAT_COLUMNS = frozenset(c for c, t in PG_TYPES.items() if t == "float8")
SAMPLE_COLUMNS = ("kiosk_id", *history.COLUMNS)  # the two JSON columns last: items, paper
assert SAMPLE_COLUMNS[-2:] == ("items", "paper")
_sample_values = operator.itemgetter(*SAMPLE_COLUMNS)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class FleetStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[engine.dialect.name]
        self._lock_rows = engine.dialect.name == "postgresql"
        self.clock = time.time  # the back office's clock: when a report arrived
        self.listeners: list = []  # called with a kiosk id after each committed change (from the store thread)
        # kiosk id -> (health_at, health_seq, history.Baseline) of the last health this worker committed: what
        # the next sample's deltas need, kept instead of reading back and parsing the stored health (a third
        # of a batch's cost). Trusted only while the row still says that health is the latest (another
        # worker may have written since); a few numbers per kiosk, so a province's fleet costs a few MiB.
        self._baselines: dict[str, tuple] = {}
        self._new_kiosks = ("INSERT INTO kiosks (id, session_seq, state) SELECT unnest(%s::text[]), 0, 'unknown' "
                            "ON CONFLICT (id) DO NOTHING" if self._lock_rows else
                            "INSERT INTO kiosks (id, session_seq, state) VALUES (?, 0, 'unknown') "
                            "ON CONFLICT (id) DO NOTHING")
        # The batch's kiosks, by id (PostgreSQL: locked, in id order); the ids as one parameter, not one each.
        self._rows = ("SELECT id, session_seq, health_seq, state, health_at FROM kiosks WHERE id = ANY(%s) "
                      "ORDER BY id FOR UPDATE" if self._lock_rows else
                      "SELECT id, session_seq, health_seq, state, health_at FROM kiosks "
                      "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id")
        self._sample_sql = (f"INSERT INTO health_samples ({', '.join(SAMPLE_COLUMNS)}) "
                            f"VALUES ({', '.join('?' * len(SAMPLE_COLUMNS))})")

    # ------------------------------------------------------------------ writing
    def write(self, reports: list[Report]) -> list[str]:
        """Apply a batch in one transaction; each report's outcome, in order: stored; duplicate (a report
        already kept); stale (from an older session than the kiosk's latest birth, or a health older than the
        one stored); ignored (command replies: tracked with the commands)."""
        if not reports:
            return []
        now = self.clock()
        ids = sorted({r.kiosk_id for r in reports})
        with_health = {r.kiosk_id for r in reports if r.cls is messages.Health}
        with Session(self.engine) as s, s.begin():
            conn = s.connection()
            conn.exec_driver_sql(self._new_kiosks, (ids,) if self._lock_rows else [(i,) for i in ids])
            rows = conn.exec_driver_sql(self._rows, (ids if self._lock_rows else _dumps(ids),)).fetchall()
            kiosks = {i: _Pending(ss, hs, st) for i, ss, hs, st, _ in rows}
            if with_health:  # the previous health, for the sample's deltas (visits, restarts since then)
                self._previous(conn, kiosks, with_health, rows)
            outcomes = [self._apply(s, kiosks[r.kiosk_id], r, now) for r in reports]
            self._update(conn, kiosks, now)
            samples = [_one_sample(i, k.samples, now) for i, k in kiosks.items() if k.samples]
            if samples:
                self._insert_samples(conn, samples)
            timeline = [row for k in kiosks.values() for row in k.timeline]
            if timeline:
                conn.execute(insert(KioskChange), timeline)
        for kiosk_id, k in kiosks.items():  # committed: what this worker now knows of each kiosk's last health
            if k.health_written:
                self._baselines[kiosk_id] = (k.health_at, k.health_seq, k.previous)
        changed = sorted({r.kiosk_id for r, o in zip(reports, outcomes) if o == STORED})
        for kiosk_id in changed:
            for listener in self.listeners:
                listener(kiosk_id)
        return outcomes

    def _apply(self, s: Session, k: _Pending, r: Report, now: float) -> str:
        body, cls = r.body, r.cls
        if cls is messages.Birth:
            if body["session_seq"] < k.session_seq:
                return STALE
            identity = body.get("identity") or {}
            if body["session_seq"] > k.session_seq:
                k.timeline.append({"kiosk_id": r.kiosk_id, "at": now, "kind": "birth", "session_seq": body["session_seq"],
                                   "value": str(body.get("boot_id", ""))[:64], "detail": {"versions": body["versions"]}})
                if k.state in ("lost", "disconnected"):  # that end was an older session's
                    k.set(state="starting", state_at=body["at"])
            k.set(session_seq=body["session_seq"], birth=body, birth_at=body["at"],
                  hall=identity.get("hall") or None, region=identity.get("region") or None)
            return STORED
        if cls is messages.State:
            # The Sparkplug bdSeq rule: a Will that arrives after the kiosk reconnected must not mark it lost.
            if body["session_seq"] < k.session_seq:
                return STALE
            if body["state"] != k.state:
                k.timeline.append({"kiosk_id": r.kiosk_id, "at": now, "kind": "state", "session_seq": body["session_seq"],
                                   "value": body["state"], "detail": {}})
            k.set(session_seq=body["session_seq"], state=body["state"], state_at=body["at"])
            return STORED
        if cls is messages.Health:
            seq = body.get("seq")
            if body["session_seq"] < k.session_seq:
                return STALE
            if seq is not None and k.health_seq is not None and seq <= k.health_seq:
                return DUPLICATE if seq == k.health_seq else STALE
            previous = k.previous
            if previous is None or (previous.session_seq, previous.at) != (body["session_seq"], body["at"]):
                row, k.previous = history.sample(body, previous, now)
                k.samples.append(row)
            else:
                k.previous = history.baseline(body)
            k.health_written, k.health_at, k.health_text = True, body["at"], r.text
            k.set(health=body, health_at=body["at"], **({"health_seq": seq} if seq is not None else {}))
            return STORED
        if issubclass(cls, messages.Event):
            return STORED if self._event(s, r, now) else DUPLICATE
        return IGNORED

    def _event(self, s: Session, r: Report, now: float) -> bool:
        """Kept once: on (kiosk, seq) when numbered, else on (kiosk, session, at, digest of the payload).
        Events of older sessions are history replayed from the kiosk's outbox, so they are kept."""
        body = r.body
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        done = s.execute(self._insert(Event).values(
            kiosk_id=r.kiosk_id, session_seq=body["session_seq"], kind=body["kind"], at=body["at"], digest=digest,
            payload=body, received_at=now, seq=body.get("seq")).on_conflict_do_nothing().returning(Event.id))
        return done.first() is not None

    def _previous(self, conn, kiosks: dict[str, _Pending], with_health: set[str], rows) -> None:
        """Each kiosk's baseline for the deltas: this worker's own when the row's health is still the one it
        wrote, else read from the stored health."""
        missing = []
        for i, _, health_seq, _, health_at in rows:
            if i in with_health:
                mine = self._baselines.get(i)
                if mine is not None and health_at is not None and (mine[0], mine[1]) == (health_at, health_seq):
                    kiosks[i].previous = mine[2]
                else:
                    missing.append(i)
        if missing:
            for i, health in conn.execute(select(Kiosk.id, Kiosk.health).where(Kiosk.id.in_(missing))):
                kiosks[i].previous = history.baseline(health) if health else None

    def _insert_samples(self, conn, samples: list[dict]) -> None:
        """Straight to the driver, as _update: SQLite an executemany, PostgreSQL one INSERT of the batch as a
        JSON array (json_populate_recordset maps its keys to the table's columns)."""
        if self._lock_rows:
            names = ", ".join(SAMPLE_COLUMNS)
            conn.exec_driver_sql(f"INSERT INTO health_samples ({names}) SELECT {names} "
                                 "FROM json_populate_recordset(NULL::health_samples, %s::json)", (_dumps(samples),))
        else:
            rows = []
            for row in samples:
                *values, items, paper = _sample_values(row)
                rows.append((*values, _small_json(items), _small_json(paper)))
            conn.exec_driver_sql(self._sample_sql, rows)

    def _update(self, conn, kiosks: dict[str, _Pending], now: float) -> None:
        """One statement per set of changed columns (most batches: health only, so one), straight to the
        driver: SQLAlchemy's per-row parameter handling cost more than the database's work here. SQLite
        takes an executemany (its loop is in C); PostgreSQL one UPDATE ... FROM the batch as one JSON
        array, encoded once here and taken apart by the server: a round trip and a plan for the batch
        instead of one per kiosk, and no per-value escaping in the worker. A health read whole goes as the
        kiosk sent it (Report.text): encoding it again was a tenth of a worker's time."""
        groups: dict[tuple[str, ...], list] = {}
        for kiosk_id, k in kiosks.items():
            changes = k.changes
            columns = tuple(sorted(changes))
            text = k.health_text if "health" in changes else None  # the health's payload as sent, if whole
            if self._lock_rows:
                row = {"id": kiosk_id, "last_seen": now, **changes}
                if text is None:
                    groups.setdefault(columns, []).append(_dumps(row))
                else:
                    del row["health"]
                    groups.setdefault(columns, []).append(f'{_dumps(row)[:-1]},"health":{text}}}')
            else:
                values = []
                for c, v in sorted(changes.items()):
                    if c in JSON_COLUMNS:
                        v = text if c == "health" and text is not None else _dumps(v)
                    elif c in FLOAT_COLUMNS:
                        v = float(v)  # JSON allows 1000 for 1000.0
                    values.append(v)
                groups.setdefault(columns, []).append((*values, now, kiosk_id))
        for columns, rows in groups.items():
            names = (*columns, "last_seen")
            if self._lock_rows:
                sets = ", ".join(f"{c} = v->'{c}'" if c in JSON_COLUMNS else f"{c} = (v->>'{c}')::{PG_TYPES[c]}"
                                 for c in names)
                conn.exec_driver_sql(f"UPDATE kiosks AS k SET {sets} FROM json_array_elements(%s::json) AS v "
                                     "WHERE k.id = v->>'id'", (f"[{','.join(rows)}]",))
            else:
                sets = ", ".join(f"{c} = ?" for c in names)
                conn.exec_driver_sql(f"UPDATE kiosks SET {sets} WHERE id = ?", rows)

    # The single-report forms, for callers with a typed message in hand.
    def birth(self, kiosk_id: str, msg: messages.Birth) -> bool:
        return self._one(kiosk_id, msg) == STORED

    def state(self, kiosk_id: str, msg: messages.State) -> bool:
        return self._one(kiosk_id, msg) == STORED

    def health(self, kiosk_id: str, msg: messages.Health) -> bool:
        return self._one(kiosk_id, msg) == STORED

    def event(self, kiosk_id: str, msg: messages.Event) -> bool:
        return self._one(kiosk_id, msg) == STORED

    def _one(self, kiosk_id: str, msg) -> str:
        return self.write([Report(kiosk_id, type(msg), msg.as_dict())])[0]

    # ------------------------------------------------------------------ reading
    def kiosks(self, ids: list[str] | None = None, seen_since: float | None = None) -> list[dict]:
        """All kiosks, or those named, or those heard from since a time (what another worker wrote). Plain rows,
        not ORM objects: a province's fleet is read at once, and an identity map of 100,000 kiosks would double
        what it holds (bench/bench_memory.py)."""
        query = select(Kiosk.__table__).order_by(Kiosk.id)
        if ids is not None:
            query = query.where(Kiosk.id.in_(ids))
        if seen_since is not None:
            query = query.where(Kiosk.last_seen >= seen_since)
        with self.engine.connect() as conn:
            return [_row(k) for k in conn.execute(query)]

    def events(self, kiosk_id: str) -> list[dict]:
        with Session(self.engine) as s:
            rows = s.scalars(select(Event).where(Event.kiosk_id == kiosk_id).order_by(Event.at, Event.id))
            return [{"session_seq": e.session_seq, "seq": e.seq, "kind": e.kind, "at": e.at, "payload": e.payload}
                    for e in rows]


_SMALL: dict[tuple, str] = {}


def _small_json(counts: dict) -> str:
    """A sample's items or paper as JSON: a few keys that repeat from report to report (paper levels by
    printer, mostly none), so each shape is encoded once; bounded, as the fleet's shapes are few."""
    if not counts:
        return "{}"
    key = tuple(counts.items())
    text = _SMALL.get(key)
    if text is None:
        text = _dumps(counts)
        if len(_SMALL) < 4096:
            _SMALL[key] = text
    return text


def _one_sample(kiosk_id: str, samples: list[dict], now: float) -> dict:
    """A kiosk's health reports in one batch arrived at one moment: one row for them (a sample's key is the
    kiosk, resolution and arrival time), counts summed, the figures and paper as the last report left them."""
    if len(samples) == 1:
        return {"kiosk_id": kiosk_id, **samples[0]}
    return {"kiosk_id": kiosk_id, **history.merge(samples, now, resolution=0), "paper": samples[-1]["paper"]}


class _Pending:
    """A kiosk's row as a batch goes through it: what the checks read, and the columns to write."""
    __slots__ = ("session_seq", "health_seq", "state", "previous", "health_written", "health_at", "health_text",
                 "changes", "samples", "timeline")

    def __init__(self, session_seq: int, health_seq: int | None, state: str | None = None):
        self.session_seq, self.health_seq, self.state = session_seq, health_seq, state
        self.previous: history.Baseline | None = None  # the last health, as far as the next sample needs it
        self.health_written, self.health_at, self.health_text = False, None, None
        self.changes: dict = {}
        self.samples: list[dict] = []  # health_samples rows
        self.timeline: list[dict] = []  # kiosk_changes rows

    def set(self, **columns) -> None:
        self.changes.update(columns)
        self.session_seq = columns.get("session_seq", self.session_seq)
        self.health_seq = columns.get("health_seq", self.health_seq)
        self.state = columns.get("state", self.state)


def _row(k) -> dict:
    return {"id": k.id, "hall": k.hall, "region": k.region, "state": k.state, "state_at": k.state_at,
            "session_seq": k.session_seq, "last_seen": k.last_seen, "birth_at": k.birth_at,
            "health_interval_s": (k.birth or {}).get("health_interval_s") or None,
            "versions": (k.birth or {}).get("versions", {}),
            "identity": (k.birth or {}).get("identity", {}), "health": k.health, "health_at": k.health_at}

