"""The transaction journal: every visit's outcome, durable, with no personal data.

A row is written when a visit starts and completed when it ends, each in
its own committed transaction (SQLite WAL, synchronous=FULL), so a power cut
or kill -9 at any moment leaves either the row or nothing, never a torn
record, and a visit that was cut off shows up as started-but-not-ended.
The citizen appears only as an HMAC of the ID number with a per-kiosk salt:
repeat visits can be linked for statistics, the number cannot be recovered.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from pathlib import Path

from kiosk.durable import write_atomically

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
"""


class Journal:
    def __init__(self, path: str | Path, salt: bytes | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.salt = salt if salt is not None else _salt(self.path.with_suffix(".salt"))
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def citizen_hash(self, id_number: str | None) -> str | None:
        if not id_number:
            return None
        return hmac.new(self.salt, id_number.encode(), hashlib.sha256).hexdigest()[:32]

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

    def counts(self) -> dict[str, int]:
        """Visits started and visits with their outcome recorded; a gap is a lost transaction."""
        started, ended = self.db.execute("SELECT COUNT(*), COUNT(ended_at) FROM transactions").fetchone()
        return {"started": started, "ended": ended}

    def rows(self, limit: int = 100) -> list[dict]:
        cur = self.db.execute("SELECT * FROM transactions ORDER BY started_at DESC LIMIT ?", (limit,))
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def _salt(path: Path) -> bytes:
    """Per-kiosk random salt, created once with owner-only permissions."""
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
    except FileNotFoundError:
        pass
    data = secrets.token_bytes(32)
    write_atomically(path, data, mode=0o600)
    return data
