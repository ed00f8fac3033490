"""Queue numbers (取号) behind one interface: a local SQLite counter, or a hall's queue system over HTTP.

Why an interface: no national queue-system API exists; each hall runs a
vendor product with its own API (kiosk-service-items.md §3), and a kiosk
without one numbers locally.

Why a request id: the dispenser takes a number *before* printing. Asking
again with the same ``request_id`` returns the same number, so a re-print
after a paper fault neither consumes a second number nor leaves a "ghost"
number that the hall will call for nobody.

Every failure is a :class:`QueueError` (never a KeyError or a raw library
error), so the flow can tell "no numbers right now" apart from a printer fault.
"""
from __future__ import annotations

import abc
import asyncio
import collections
import concurrent.futures
import datetime as dt
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp
import structlog

from devices.errors import ConfigError, DeviceError
from devices.status import Reason

log = structlog.get_logger("devices.queue")

MAX_REPLY = 64 * 1024  # a take-number reply is a few dozen bytes; more is a broken or hostile peer
PREFIX = re.compile(r"[A-Z]{1,3}")  # letters only, so that "A" + "1000" can never read as "A1" + "000"
LOCAL_NUMBER = re.compile(r"([A-Z]{1,3})(\d{1,9})")
# A vendor number is printed at quadruple size: 8 characters fill a 58 mm roll (32 columns / 4).
VENDOR_NUMBER = re.compile(r"(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,8}", re.ASCII)
MAX_WAITING = 9999  # a hall with more people waiting than this is a garbage reply, not a busy day


class QueueError(DeviceError):
    """No number was issued (or none can be confirmed). Not a printer fault: no ticket was printed."""

    reason = Reason.PROTOCOL_ERROR


class QueueUnavailable(QueueError):
    """No answer in time, connection refused, HTTP 5xx, database locked: retry later with the same request id."""

    reason = Reason.NO_REPLY


@dataclass(frozen=True)
class QueueNumber:
    number: str  # printed and called: prefix + digits, e.g. "A023"
    category: str
    waiting_ahead: int  # people before this number who have not been called yet
    issued_at: dt.datetime  # when the number was first issued (a re-print keeps it)
    est_wait_min: int | None = None  # only when the queue system knows it


class QueueProvider(abc.ABC):
    """Where queue numbers come from. Implementations are safe to call again with the same request id."""

    kind: ClassVar[str] = "queue"

    @abc.abstractmethod
    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        """The next number in ``category``, or the one already issued today for ``request_id``."""

    async def open(self) -> None:
        """Get ready (create the database...) so that configuration problems show at start-up."""

    async def close(self) -> None:
        """Release threads and files; a later call opens them again."""


def local_now() -> dt.datetime:
    """The local wall clock, timezone-aware.

    Wall clock on purpose: a hall's numbering starts again each morning by the
    calendar, which monotonic time cannot tell. Only dates come from it, never
    a timeout.
    """
    return dt.datetime.now().astimezone()


def _check_request_id(request_id: str) -> None:
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 128:
        raise QueueError("request_id must be a string of 1 to 128 characters")


# --------------------------------------------------------------------------- local numbering

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
        _check_request_id(request_id)
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


# --------------------------------------------------------------------------- a hall's queue system

DEFAULT_OK_STATUS: tuple[int | str, ...] = (0, "0", "ok", "success")


class HttpQueueProvider(QueueProvider):
    """A hall's queue system: POST {category, service, request_id} -> {"status", "num": "C007", "wsn": 5}.

    The request id goes in the body and as ``Idempotency-Key``. Whether the
    vendor honours it is the vendor's business, so numbers issued in the last
    ``remember_s`` seconds are also remembered here: a re-print after a paper
    fault never asks for a second number, even from a vendor that ignores the
    key (memory only; a restart forgets them).

    One short-lived HTTP session per number: a kiosk takes a few numbers a
    minute, and nothing is left open to leak between calls.
    """

    kind = "http"

    def __init__(self, base_url: str, timeout: float = 5.0, token: str | None = None, *, path: str = "/take",
                 ok_status: Iterable[int | str] = DEFAULT_OK_STATUS, clock: Callable[[], dt.datetime] = local_now,
                 remember_s: float = 3600.0, remember_max: int = 256):
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"queue system URL must be http(s)://HOST[:PORT]/..., got {base_url!r}")
        if parts.username or parts.password:
            raise ConfigError("queue system URL must not carry credentials; use the token")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
            raise ConfigError(f"queue system timeout must be in (0, 60] seconds, got {timeout!r}")
        self.url = base_url.rstrip("/") + ("/" + path.lstrip("/") if path else "")
        self.timeout = float(timeout)
        self._token = token
        self.ok_status = _ok_set(ok_status)
        self.clock = clock
        self.remember_s, self.remember_max = remember_s, remember_max
        self._issued: collections.OrderedDict[str, tuple[float, QueueNumber]] = collections.OrderedDict()

    def __repr__(self) -> str:  # never the token
        return f"HttpQueueProvider(url={self.url!r})"

    async def take_number(self, category: str, service_name: str, *, request_id: str) -> QueueNumber:
        _check_request_id(request_id)
        known = self._recall(request_id)
        if known is not None:
            if known.category != category:
                raise QueueError(f"request id already used for another category ({known.category!r})")
            return known
        headers = {"Idempotency-Key": request_id, "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = {"category": category, "service": service_name, "request_id": request_id}
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout) as deadline:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
                    async with http.post(self.url, json=body, headers=headers, allow_redirects=False) as resp:
                        _check_http_status(resp.status)
                        raw = await _read_capped(resp)
                        charset = resp.charset
        except TimeoutError as exc:
            if deadline.expired() or isinstance(exc, aiohttp.ServerTimeoutError):
                raise QueueUnavailable(f"queue system: no reply within {self.timeout:g}s") from exc
            raise
        except aiohttp.ClientError as exc:
            raise QueueUnavailable(f"queue system unreachable ({type(exc).__name__})") from exc
        num, wsn = parse_reply(raw, ok_status=self.ok_status, charset=charset)
        number = QueueNumber(num, category, wsn, self.clock())
        self._remember(request_id, number)
        log.info("queue.number", provider=self.kind, number=num, category=category, waiting_ahead=wsn,
                 ms=round((time.monotonic() - started) * 1000))
        return number

    def _recall(self, request_id: str) -> QueueNumber | None:
        now = time.monotonic()
        while self._issued and now - next(iter(self._issued.values()))[0] > self.remember_s:
            self._issued.popitem(last=False)
        entry = self._issued.get(request_id)
        return entry[1] if entry else None

    def _remember(self, request_id: str, number: QueueNumber) -> None:
        self._issued[request_id] = (time.monotonic(), number)
        while len(self._issued) > self.remember_max:
            self._issued.popitem(last=False)


def _ok_set(values: Iterable[int | str]) -> frozenset[str]:
    out = set()
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ConfigError(f"queue ok_status values must be numbers or strings, got {v!r}")
        out.add(str(v).casefold())
    return frozenset(out)


def _check_http_status(code: int) -> None:
    if code >= 500:
        raise QueueUnavailable(f"queue system answered HTTP {code}")
    if code in (401, 403):
        raise QueueError(f"queue system refused our credentials (HTTP {code})", Reason.NOT_CONFIGURED)
    if code != 200:
        raise QueueError(f"queue system answered HTTP {code}")


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    if resp.content_length is not None and resp.content_length > MAX_REPLY:
        raise QueueError(f"queue system reply of {resp.content_length} bytes exceeds 64 KiB")
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(16384):
        size += len(chunk)
        if size > MAX_REPLY:  # chunked or compressed replies carry no honest length
            raise QueueError("queue system reply exceeds 64 KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_reply(raw: bytes, *, ok_status: frozenset[str] = _ok_set(DEFAULT_OK_STATUS),
                charset: str | None = None) -> tuple[str, int]:
    """Validate a take-number reply strictly; (num, wsn) or QueueError naming what is wrong.

    Messages name fields and types, never the reply's text: a vendor's error
    message may echo what it was sent.
    """
    if len(raw) > MAX_REPLY:
        raise QueueError("queue system reply exceeds 64 KiB")
    try:
        reply = json.loads(raw.decode(charset or "utf-8"))
    except (LookupError, UnicodeDecodeError) as exc:
        raise QueueError(f"queue system reply is not text in {charset or 'utf-8'}") from exc
    except (ValueError, RecursionError) as exc:
        raise QueueError("queue system reply is not JSON") from exc
    if not isinstance(reply, dict):
        raise QueueError(f"queue system reply is a JSON {type(reply).__name__}, not an object")
    missing = [k for k in ("status", "num", "wsn") if k not in reply]
    if missing:
        raise QueueError(f"queue system reply lacks {', '.join(missing)}")
    status, num, wsn = reply["status"], reply["num"], reply["wsn"]
    if isinstance(status, bool) or not isinstance(status, int | str):
        raise QueueError(f"queue system reply: 'status' is a {type(status).__name__}, not a number or string")
    if str(status).casefold() not in ok_status:
        raise QueueError(f"queue system refused the request (status {str(status)[:16]!r})")
    if not isinstance(num, str) or not VENDOR_NUMBER.fullmatch(num):
        raise QueueError("queue system reply: 'num' is not a ticket number of 1-8 letters, digits or '-'")
    if isinstance(wsn, bool) or not isinstance(wsn, int) or not 0 <= wsn <= MAX_WAITING:
        raise QueueError(f"queue system reply: 'wsn' is not a whole number 0..{MAX_WAITING}")
    return num, wsn
