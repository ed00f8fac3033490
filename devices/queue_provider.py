"""Queue numbers behind one interface: a local SQLite counter, or a hall's queue system over HTTP.

A number is taken with a request id; asking again with the same id returns
the same number, so re-printing after a paper fault never consumes a new one
and never shows the citizen two numbers.
"""
from __future__ import annotations

import abc
import asyncio
import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from devices.errors import DeviceError, DeviceOffline, DeviceTimeout, ProtocolError
from devices.status import Reason

MAX_REPLY = 64 * 1024


class QueueError(DeviceError):
    reason = Reason.PROTOCOL_ERROR


@dataclass(frozen=True)
class QueueNumber:
    number: str
    waiting_ahead: int
    issued_at: dt.datetime


class QueueProvider(abc.ABC):
    @abc.abstractmethod
    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        """The next number in the category (or the one already given for this request id)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (day TEXT NOT NULL, category TEXT NOT NULL, last INTEGER NOT NULL,
                                     PRIMARY KEY (day, category));
CREATE TABLE IF NOT EXISTS issued (request_id TEXT PRIMARY KEY, day TEXT NOT NULL, category TEXT NOT NULL,
                                   seq INTEGER NOT NULL, number TEXT NOT NULL, issued_at TEXT NOT NULL,
                                   called INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS issued_unique ON issued(day, category, seq);
"""


class SqliteQueueProvider(QueueProvider):
    """Per-category prefix, daily reset at local midnight, atomic and durable.

    Numbers reset by the *local calendar date*, which is legitimately wall
    clock: a hall's numbering starts again each morning. Allocation runs in
    one BEGIN IMMEDIATE transaction with synchronous=FULL, so two processes,
    a restart or a kill -9 between allocation and printing never produce a
    duplicate. Past 999 the number widens to four digits rather than wrap.
    """

    def __init__(self, path: str | Path, prefixes: dict[str, str] | None = None, digits: int = 3,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone()):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.prefixes = prefixes or {}
        self.digits = digits
        self.now = now
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        return await asyncio.to_thread(self._take, category, request_id)

    def _take(self, category: str, request_id: str) -> QueueNumber:
        now = self.now()
        day = now.date().isoformat()
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT number, seq, issued_at, day, category FROM issued WHERE request_id = ?",
                             (request_id,)).fetchone()
            if row is None:
                last = db.execute("SELECT last FROM counters WHERE day = ? AND category = ?", (day, category)).fetchone()
                seq = (last[0] if last else 0) + 1
                number = f"{self.prefixes.get(category, category[:1].upper())}{seq:0{self.digits}d}"
                db.execute("INSERT INTO counters(day, category, last) VALUES (?, ?, ?) "
                           "ON CONFLICT(day, category) DO UPDATE SET last = excluded.last", (day, category, seq))
                db.execute("INSERT INTO issued(request_id, day, category, seq, number, issued_at) VALUES (?, ?, ?, ?, ?, ?)",
                           (request_id, day, category, seq, number, now.isoformat()))
                row = (number, seq, now.isoformat(), day, category)
            ahead = db.execute("SELECT COUNT(*) FROM issued WHERE day = ? AND category = ? AND seq < ? AND called = 0",
                               (row[3], row[4], row[1])).fetchone()[0]
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()
        return QueueNumber(row[0], ahead, dt.datetime.fromisoformat(row[2]))

    def mark_called(self, number: str) -> None:
        """The hall called this number: it no longer counts as waiting."""
        with self._connect() as db:
            db.execute("UPDATE issued SET called = 1 WHERE number = ? AND day = ?", (number, self.now().date().isoformat()))


class HttpQueueProvider(QueueProvider):
    """A hall's queue system: POST {category, service, request_id} -> {status, num, wsn}."""

    def __init__(self, base_url: str, timeout: float = 5.0, token: str | None = None):
        self.url = base_url.rstrip("/") + "/take"
        self.timeout = timeout
        self.token = token

    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        headers = {"Idempotency-Key": request_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {"category": category, "service": service_name, "request_id": request_id}
        try:
            async with aiohttp.ClientSession() as http, asyncio.timeout(self.timeout):
                async with http.post(self.url, json=body, headers=headers) as resp:
                    raw = await resp.content.read(MAX_REPLY + 1)
                    status = resp.status
        except TimeoutError as exc:
            raise DeviceTimeout(f"queue system: no reply within {self.timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            raise DeviceOffline(f"queue system unreachable: {type(exc).__name__}") from exc
        return _parse_reply(status, raw)


def _parse_reply(status: int, raw: bytes) -> QueueNumber:
    if len(raw) > MAX_REPLY:
        raise QueueError("queue system reply larger than 64 KiB")
    if status != 200:
        raise QueueError(f"queue system answered HTTP {status}")
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("queue system reply is not JSON") from exc
    if not isinstance(reply, dict):
        raise QueueError("queue system reply is not an object")
    num, wsn, ok = reply.get("num"), reply.get("wsn"), reply.get("status")
    if ok not in (0, "0", "ok", "success", True):
        raise QueueError(f"queue system refused: status {str(ok)[:20]!r}")
    if not isinstance(num, str) or not 1 <= len(num) <= 16 or not num.isalnum():
        raise QueueError("queue system reply has no valid 'num'")
    if isinstance(wsn, bool) or not isinstance(wsn, int) or not 0 <= wsn < 100_000:
        raise QueueError("queue system reply has no valid 'wsn'")
    return QueueNumber(num, wsn, dt.datetime.now().astimezone())
