"""The transaction journal: every visit's outcome, durable, with no personal data.

A row is written when a visit starts and completed when it ends, each in
its own committed transaction (SQLite WAL, synchronous=FULL), so a power cut
or kill -9 at any moment leaves either the row or nothing, never a torn
record, and a visit that was cut off shows up as started-but-not-ended.

The citizen appears only as an HMAC of the ID number, and only when the
fleet provisions the key ([journal] in kiosk.toml: an environment variable
or a systemd credential). The key never lives beside the journal: an ID
number has about 20 bits of entropy once a district and a birth year are
known, so with the key on the same disk the pseudonym falls to a loop of
plain Python in seconds. Without a key the citizen column stays empty.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

import structlog

from kiosk.system.durable import owner_only_database

log = structlog.get_logger("kiosk.journal")
KEY_BYTES = 32

SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    session TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    flow_version TEXT NOT NULL,
    bundle TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    result TEXT,
    reason TEXT,
    documents TEXT NOT NULL DEFAULT '[]',
    tickets TEXT NOT NULL DEFAULT '[]',
    citizen TEXT
);
CREATE INDEX IF NOT EXISTS transactions_started ON transactions(started_at);
CREATE TABLE IF NOT EXISTS ratings (
    session TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    result TEXT NOT NULL,
    level INTEGER NOT NULL,
    reasons TEXT NOT NULL DEFAULT '[]',
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS callbacks (
    session TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    step TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


class Journal:
    def __init__(self, path: str | Path, key: bytes | None = None):
        if key is not None and len(key) != KEY_BYTES:
            raise ValueError(f"the journal key must be {KEY_BYTES} bytes")
        self.path = Path(path)
        self._key = key
        owner_only_database(self.path)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self._retire_salt(self.path.with_suffix(".salt"))
        if key is None:
            log.warning("journal.no_key", detail="no journal key provisioned: visits are recorded without a citizen")

    @property
    def pseudonymous(self) -> bool:
        """True when visits carry a citizen pseudonym (a key is provisioned)."""
        return self._key is not None

    def close(self) -> None:
        self.db.close()

    def citizen_hash(self, id_number: str | None) -> str | None:
        if not id_number or self._key is None:
            return None
        return hmac.new(self._key, id_number.encode(), hashlib.sha256).hexdigest()[:32]

    def _retire_salt(self, salt: Path) -> None:
        """Earlier versions kept their key beside the journal: its pseudonyms are reversible, so both go."""
        if not salt.exists():
            return
        self.db.execute("PRAGMA secure_delete=ON")  # zero the old values in the pages, not just unlink them
        with self.db:
            self.db.execute("UPDATE transactions SET citizen = NULL WHERE citizen IS NOT NULL")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and no copy left in the write-ahead log
        salt.unlink()
        log.warning("journal.salt_retired", detail="pseudonyms made with the on-disk salt were erased")

    def started(self, session: str, flow: str, version: str, bundle: str, at: dt.datetime) -> None:
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO transactions(session, flow, flow_version, bundle, started_at) "
                            "VALUES (?, ?, ?, ?, ?)", (session, flow, version, bundle, at.isoformat()))

    def ended(self, session: str, at: dt.datetime, result: str, reason: str, *, documents: list[str],
              tickets: list[str], id_number: str | None, duration_ms: int) -> None:
        with self.db:
            self.db.execute(
                "UPDATE transactions SET ended_at=?, duration_ms=?, result=?, reason=?, documents=?, tickets=?, "
                "citizen=? WHERE session=?",
                (at.isoformat(), duration_ms, result, reason[:200], json.dumps(documents), json.dumps(tickets),
                 self.citizen_hash(id_number), session))

    def rated(self, session: str, flow: str, result: str, level: int, reasons: list[str], at: dt.datetime) -> None:
        """The visit's rating (0: none given); reason codes only, so nothing a citizen typed."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO ratings(session, flow, result, level, reasons, at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", (session, flow, result, level, json.dumps(reasons), at.isoformat()))

    def callback_requested(self, session: str, flow: str, step: str, reason: str, at: dt.datetime) -> None:
        """That a call-back was asked for, where and why; the phone number goes to the fleet outbox only."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO callbacks(session, flow, step, reason, at) VALUES (?, ?, ?, ?, ?)",
                            (session, flow, step, reason[:80], at.isoformat()))

    def ratings(self, limit: int = 100) -> list[dict]:
        cur = self.db.execute("SELECT * FROM ratings ORDER BY at DESC LIMIT ?", (limit,))
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def counts(self) -> dict[str, int]:
        """Visits started and visits with their outcome recorded; a gap is a lost transaction."""
        started, ended = self.db.execute("SELECT COUNT(*), COUNT(ended_at) FROM transactions").fetchone()
        return {"started": started, "ended": ended}

    def rows(self, limit: int = 100) -> list[dict]:
        cur = self.db.execute("SELECT * FROM transactions ORDER BY started_at DESC LIMIT ?", (limit,))
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

