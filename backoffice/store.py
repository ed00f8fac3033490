"""The fleet's current facts and history, written by ingest from messages wire has already checked.

Blocking (SQLAlchemy sessions): called from ingest's single store thread, so writes land in arrival order.
"""
from __future__ import annotations

import hashlib
import json
import time

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backoffice import history
from backoffice.models import Event, HealthSample, Kiosk, KioskChange
from wire import messages

log = structlog.get_logger("backoffice.store")


class FleetStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[engine.dialect.name]
        self.clock = time.time  # the back office's clock: when a report arrived
        self.listeners: list = []  # called with a kiosk id after each stored change (from the store thread)

    def _changed(self, kiosk_id: str) -> None:
        for listener in self.listeners:
            listener(kiosk_id)

    def _kiosk(self, s: Session, kiosk_id: str) -> Kiosk:
        """The kiosk's row, created if new. Insert-or-nothing first: two workers meeting a new kiosk at once
        must not fail one of them, and a transaction that starts by writing never has to upgrade a read."""
        s.execute(self._insert(Kiosk).values(id=kiosk_id, session_seq=0, state="unknown")
                  .on_conflict_do_nothing(index_elements=["id"]))
        kiosk = s.get(Kiosk, kiosk_id)
        kiosk.last_seen = self.clock()
        return kiosk

    def birth(self, kiosk_id: str, msg: messages.Birth) -> bool:
        """A new connection; an older session's birth (a stale retained copy) changes nothing."""
        with Session(self.engine) as s, s.begin():
            kiosk = self._kiosk(s, kiosk_id)
            if msg.session_seq < kiosk.session_seq:
                return False
            if msg.session_seq > kiosk.session_seq and kiosk.state in ("lost", "disconnected"):
                kiosk.state, kiosk.state_at = "starting", msg.at  # that end was an older session's
            if (kiosk.birth or {}).get("boot_id") != msg.boot_id or kiosk.session_seq != msg.session_seq:
                s.add(KioskChange(kiosk_id=kiosk_id, at=kiosk.last_seen, kind="birth", session_seq=msg.session_seq,
                                  value=msg.boot_id[:64], detail={"versions": msg.versions}))
            kiosk.session_seq, kiosk.birth, kiosk.birth_at = msg.session_seq, msg.as_dict(), msg.at
            kiosk.hall, kiosk.region = msg.identity.get("hall") or None, msg.identity.get("region") or None
        self._changed(kiosk_id)
        return True

    def state(self, kiosk_id: str, msg: messages.State) -> bool:
        """False for a state from an older session than the latest birth: a Will that arrived after the
        kiosk had reconnected (the Sparkplug bdSeq rule) must not mark it lost."""
        with Session(self.engine) as s, s.begin():
            kiosk = self._kiosk(s, kiosk_id)
            if msg.session_seq < kiosk.session_seq:
                return False
            if msg.state != kiosk.state:
                s.add(KioskChange(kiosk_id=kiosk_id, at=kiosk.last_seen, kind="state", session_seq=msg.session_seq,
                                  value=msg.state, detail={}))
            kiosk.session_seq = msg.session_seq
            kiosk.state, kiosk.state_at = msg.state, msg.at
        self._changed(kiosk_id)
        return True

    def health(self, kiosk_id: str, msg: messages.Health) -> bool:
        with Session(self.engine) as s, s.begin():
            kiosk = self._kiosk(s, kiosk_id)
            if msg.session_seq < kiosk.session_seq:
                return False
            body = msg.as_dict()
            previous = kiosk.health
            if previous is None or (previous.get("session_seq"), previous.get("at")) != (msg.session_seq, msg.at):
                s.add(HealthSample(kiosk_id=kiosk_id, **history.sample(body, previous, kiosk.last_seen)))
            kiosk.health, kiosk.health_at = body, msg.at
        self._changed(kiosk_id)
        return True

    def event(self, kiosk_id: str, msg: messages.Event) -> bool:
        """Stored once: a redelivery (same kiosk, session, time and payload) is a no-op that returns False.
        Events of older sessions are history replayed from the kiosk's outbox, so they are kept."""
        payload = msg.as_dict()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        with Session(self.engine) as s, s.begin():
            self._kiosk(s, kiosk_id)
            s.flush()  # the kiosk row first: the event refers to it
            done = s.execute(self._insert(Event).values(
                kiosk_id=kiosk_id, session_seq=msg.session_seq, kind=msg.KIND, at=msg.at, digest=digest,
                payload=payload, received_at=time.time()).on_conflict_do_nothing())
            stored = done.rowcount == 1
        if stored:
            self._changed(kiosk_id)
        return stored

    def kiosks(self, ids: list[str] | None = None, seen_since: float | None = None) -> list[dict]:
        """All kiosks, or those named, or those heard from since a time (what another worker wrote)."""
        query = select(Kiosk).order_by(Kiosk.id)
        if ids is not None:
            query = query.where(Kiosk.id.in_(ids))
        if seen_since is not None:
            query = query.where(Kiosk.last_seen >= seen_since)
        with Session(self.engine) as s:
            return [_row(k) for k in s.scalars(query)]

    def events(self, kiosk_id: str) -> list[dict]:
        with Session(self.engine) as s:
            rows = s.scalars(select(Event).where(Event.kiosk_id == kiosk_id).order_by(Event.at, Event.id))
            return [{"session_seq": e.session_seq, "kind": e.kind, "at": e.at, "payload": e.payload} for e in rows]


def _row(k: Kiosk) -> dict:
    return {"id": k.id, "hall": k.hall, "region": k.region, "state": k.state, "state_at": k.state_at,
            "session_seq": k.session_seq, "last_seen": k.last_seen, "birth_at": k.birth_at,
            "health_interval_s": (k.birth or {}).get("health_interval_s") or None,
            "versions": (k.birth or {}).get("versions", {}),
            "identity": (k.birth or {}).get("identity", {}), "health": k.health, "health_at": k.health_at}
