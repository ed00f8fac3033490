"""A durable, bounded outbox for fleet events: they survive broker outages, reboots and kill -9.

paho's own queue lives in memory; this one is SQLite (WAL, synchronous=FULL)
so an event is either stored or was never acknowledged to the caller. When
full, the oldest events are dropped and the drop is counted, because a
kiosk offline for a month must not fill its disk.
"""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from kiosk.system.durable import owner_only_database


class Outbox:
    def __init__(self, path: str | Path, max_rows: int = 10_000):
        self.path = Path(path)
        owner_only_database(self.path)
        self.max_rows = max_rows
        self._lock = threading.Lock()  # paho's network thread acks, the event loop appends
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=5)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA secure_delete=ON")  # a delivered call-back's phone number leaves no trace behind
        self.db.execute("CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, "
                        "payload TEXT NOT NULL, at REAL NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")

    def put(self, topic: str, body: str) -> int:
        """Store an encoded message (wire.messages) for `topic`; its row id once it is durable."""
        with self._lock, self.db:
            cur = self.db.execute("INSERT INTO outbox(topic, payload, at) VALUES (?, ?, ?)", (topic, body, time.time()))
            over = self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] - self.max_rows
            if over > 0:
                self.db.execute("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)", (over,))
                self.db.execute("INSERT INTO meta(key, value) VALUES ('dropped', ?) "
                                "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value", (over,))
            return cur.lastrowid

    def next_seq(self) -> int:
        """The next report number (wire: Health.seq, Event.seq), durable before it is used, so it only grows
        across restarts. A new outbox starts from the wall clock in milliseconds rather than 1: a kiosk whose
        disk was replaced must not send numbers the back office has already stored, and would drop as repeats."""
        with self._lock, self.db:
            self.db.execute("INSERT INTO meta(key, value) VALUES ('seq', ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = value + 1", (int(time.time() * 1000),))
            return self.db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]

    def pending(self, limit: int = 100) -> list[tuple[int, str, str]]:
        with self._lock:
            return self.db.execute("SELECT id, topic, payload FROM outbox ORDER BY id LIMIT ?", (limit,)).fetchall()

    def ack(self, row_id: int) -> None:
        with self._lock, self.db:
            self.db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))

    def depth(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    def dropped(self) -> int:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'dropped'").fetchone()
            return row[0] if row else 0

    def close(self) -> None:
        self.db.close()
