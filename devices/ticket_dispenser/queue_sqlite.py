"""Queue numbers from a local SQLite counter: per-category prefix, daily reset, durable and atomic."""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from devices.errors import ConfigError
from devices.status import Reason
from devices.ticket_dispenser.queue import QueueError, QueueNumber, QueueProvider, QueueUnavailable, \
    check_request_id, local_now

log = structlog.get_logger("devices.queue")

PREFIX = re.compile(r"[A-Z]{1,3}")  # letters only, so that "A" + "1000" can never read as "A1" + "000"
LOCAL_NUMBER = re.compile(r"([A-Z]{1,3})(\d{1,9})")

SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_numbers (
    day TEXT NOT NULL,          -- business day (ISO date) the number belongs to
    prefix TEXT NOT NULL,       -- the counter: categories sharing a prefix share one queue
    seq INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    category TEXT NOT NULL,
    number TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    called INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, prefix, seq),  -- the database itself refuses a duplicate number
    UNIQUE (day, request_id)
);
CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteQueueProvider(QueueProvider):
    """Per-category prefix, daily reset, durable and atomic numbering on this kiosk.

    Durability: WAL with ``synchronous=FULL`` means a committed number survives
    a power cut; the number is committed before anything is printed. Atomicity:
    each allocation is one ``BEGIN IMMEDIATE`` transaction, so concurrent
    processes queue for the write lock and a kill -9 at any point leaves either
    the whole allocation or none of it. The primary key (day, prefix, seq)
    makes a duplicate impossible even if this code were wrong.

    Past 999 numbers *widen* (A999 -> A1000) instead of wrapping: wrapping
    would give out A001 a second time on the same day while the first A001 may
    still be waiting, and two people would answer the same call.

    The business day starts at ``reset_time`` local time and never goes
    backwards: if the clock jumps back (a dead RTC battery before NTP), numbering
    continues the latest day seen instead of starting again at 001, which would
    duplicate numbers already handed out. Idempotency is per business day: a
    request id retried after the reset gets a number of the new day.

    Blocking SQLite calls run on one worker thread that owns the connection.
    """

    kind = "local"

    def __init__(self, path: str | Path, prefixes: dict[str, str] | None = None, digits: int = 3,
                 reset_time: str = "00:00", clock: Callable[[], dt.datetime] = local_now, *,
                 retention_days: int = 31, busy_timeout: float = 5.0):
        self.path = Path(path)
        self.prefixes = dict(prefixes or {})
        for category, prefix in self.prefixes.items():
            if not isinstance(prefix, str) or not PREFIX.fullmatch(prefix):
                raise ConfigError(f"queue prefix for {category!r} must be 1 to 3 capital letters, got {prefix!r}")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 6:
            raise ConfigError(f"queue digits must be 1..6, got {digits!r}")
        match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", reset_time) if isinstance(reset_time, str) else None
        if match is None:
            raise ConfigError(f"queue reset_time must be HH:MM (24 h), got {reset_time!r}")
        self.digits = digits
        self.reset = dt.timedelta(hours=int(match[1]), minutes=int(match[2]))
        self.clock = clock
        self.retention = dt.timedelta(days=retention_days)
        self.busy_timeout = busy_timeout
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None  # touched only on the worker thread
        self._clock_behind = False

    def prefix_for(self, category: str) -> str:
        """The configured prefix; a category that already is 1-3 capital letters ("A") is its own prefix."""
        prefix = self.prefixes.get(category)
        if prefix is None and isinstance(category, str) and PREFIX.fullmatch(category):
            prefix = category
        if prefix is None:
            raise QueueError(f"no number prefix configured for category {category!r}", Reason.NOT_CONFIGURED)
        return prefix

    # public calls ------------------------------------------------------------------
    async def open(self) -> None:
        await self._call(self._connection)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.get_running_loop().run_in_executor(pool, self._disconnect)
            pool.shutdown(wait=False)

    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        check_request_id(request_id)
        prefix = self.prefix_for(category)
        number, fresh = await self._call(self._in_transaction, self._take, category, prefix, request_id)
        log.info("queue.number", provider=self.kind, number=number.number, category=category, fresh=fresh,
                 waiting_ahead=number.waiting_ahead)
        return number

    async def mark_called(self, number: str) -> bool:
        """The hall called ``number`` today: it no longer counts as waiting. False if it was not waiting."""
        match = LOCAL_NUMBER.fullmatch(number) if isinstance(number, str) else None
        if match is None:
            raise QueueError(f"not a local queue number: {number!r}")
        return await self._call(self._in_transaction, self._mark_called, match[1], int(match[2]))

    # worker thread ------------------------------------------------------------------
    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="queue-db")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise QueueUnavailable(f"queue database stayed locked for {self.busy_timeout:g}s") from exc
            raise QueueError(f"queue database failed: {exc}", Reason.HARDWARE_ERROR) from exc
        except OSError as exc:
            raise QueueError(f"queue database folder unusable: {exc.strerror}", Reason.NOT_CONFIGURED) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only (request ids, times of day): SQLite gives the -wal and -shm files the database file's mode.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)  # a database an older version created 0644
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # e.g. a network file system: no durable, concurrent numbering there
                raise QueueError(f"queue database cannot use WAL (journal_mode={mode})", Reason.NOT_CONFIGURED)
            db.execute("PRAGMA synchronous=FULL")  # per connection: fsync at every commit, power-cut safe
            db.executescript(SCHEMA)
        except BaseException:
            db.close()
            raise
        self._db = db
        return db

    def _disconnect(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            db.close()

    def _in_transaction(self, fn: Callable[..., Any], *args: Any) -> Any:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")  # take the write lock first: no other writer between read and write
        try:
            now = self.clock()
            out = fn(db, self._business_day(db, now), now, *args)
            db.execute("COMMIT")
            return out
        except BaseException:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                self._disconnect()  # the connection is in an unknown state; the next call opens a fresh one
            raise

    def _business_day(self, db: sqlite3.Connection, now: dt.datetime) -> str:
        by_clock = (now - self.reset).date()
        row = db.execute("SELECT value FROM queue_meta WHERE key = 'day'").fetchone()
        if row is not None and by_clock.isoformat() < row[0]:
            if not self._clock_behind:
                log.warning("queue.clock_behind", clock_day=by_clock.isoformat(), day=row[0])
                self._clock_behind = True
            return row[0]
        self._clock_behind = False
        if row is None or by_clock.isoformat() > row[0]:
            db.execute("INSERT INTO queue_meta(key, value) VALUES ('day', ?) "
                       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (by_clock.isoformat(),))
            db.execute("DELETE FROM queue_numbers WHERE day < ?", ((by_clock - self.retention).isoformat(),))
        return by_clock.isoformat()

    def _take(self, db: sqlite3.Connection, day: str, now: dt.datetime, category: str, prefix: str,
              request_id: str) -> tuple[QueueNumber, bool]:
        row = db.execute("SELECT prefix, seq, number, issued_at, category FROM queue_numbers "
                         "WHERE day = ? AND request_id = ?", (day, request_id)).fetchone()
        fresh = row is None
        if row is None:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM queue_numbers WHERE day = ? AND prefix = ?",
                             (day, prefix)).fetchone()[0]
            row = (prefix, seq, f"{prefix}{seq:0{self.digits}d}", now.isoformat(), category)
            db.execute("INSERT INTO queue_numbers(day, prefix, seq, request_id, category, number, issued_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (day, *row[:2], request_id, category, *row[2:4]))
        elif row[4] != category:
            raise QueueError(f"request id already used today for another category ({row[4]!r})")
        ahead = db.execute("SELECT COUNT(*) FROM queue_numbers WHERE day = ? AND prefix = ? AND seq < ? "
                           "AND called = 0", (day, row[0], row[1])).fetchone()[0]
        return QueueNumber(row[2], category, ahead, dt.datetime.fromisoformat(row[3])), fresh

    @staticmethod
    def _mark_called(db: sqlite3.Connection, day: str, _now: dt.datetime, prefix: str, seq: int) -> bool:
        cur = db.execute("UPDATE queue_numbers SET called = 1 WHERE day = ? AND prefix = ? AND seq = ? "
                         "AND called = 0", (day, prefix, seq))
        return cur.rowcount == 1


