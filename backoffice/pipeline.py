"""What both ingest paths share: read each payload through wire, write batches on one store thread, and say
whether the data the console shows is current.

A worker's reports go to one store thread, so a kiosk's reports are written in the order the worker got
them. `process` returns only once its batch is committed: the NATS path acknowledges a message to JetStream
after that, so a report is either in the database or will be delivered again. When the database is
unreachable the batch waits and is retried with backoff (and no more is taken in meanwhile); the outage is
logged once when it starts and once when it ends, and `freshness` turns stale. A report the database itself
refuses (not an outage), or that trips a bug in the store, is written alone, counted as failed and skipped,
so one bad report cannot stop a worker, nor come back forever from JetStream.
"""
from __future__ import annotations

import collections
import dataclasses
import threading
import time

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from backoffice import callbacks_inbox
from backoffice.reports import BAD_REASONS, Reader, Report
from backoffice.store import STORED, FleetStore
from wire import messages

log = structlog.get_logger("backoffice.ingest")

BATCH = 500  # reports per transaction: enough to amortise a commit, small enough to keep a batch's latency low
BACKOFF_S = (0.2, 10.0)  # first and longest wait between attempts while the database is down


class Stopped(Exception):
    """The worker is stopping while its batch waits for the database: the batch is left unacknowledged."""


@dataclasses.dataclass
class Link:
    """Whether a dependency answers, and since when (wall clock, for people to read)."""
    name: str
    up: bool = False
    since: float = dataclasses.field(default_factory=time.time)
    detail: str = "not connected yet"

    def mark(self, up: bool, detail: str = "") -> bool:
        """True when this is a change, which the caller logs once."""
        changed = up != self.up
        if changed:
            self.up, self.since = up, time.time()
        self.detail = detail
        return changed

    def as_dict(self) -> dict:
        return {"up": self.up, "since": self.since, "detail": self.detail}


class Pipeline:
    def __init__(self, store: FleetStore, max_payload: int = 65536):
        self.store = store
        self.reader = Reader(max_payload)
        self.bad = self.reader.bad  # reason -> count
        self.counts: collections.Counter[str] = collections.Counter()  # stored, duplicate, stale, ignored, failed
        self.broker = Link("broker")
        self.database = Link("database", up=True, detail="")  # up until a write says otherwise
        self._stopping = threading.Event()
        # Parts that follow what kiosks say, called on the store thread once a batch is committed:
        # observers(kiosk_id, message) for every stored report (alerts, statistics); listeners, objects with
        # heard(kiosk_id, message) for a stored birth, state or health and reply(kiosk_id, message) -> bool
        # for a command reply (backoffice.commands).
        self.observers: list = []
        self.listeners: list = []
        # The help desk's call-back tasks (callbacks_inbox.Desk), set before start by the server: a dead end's
        # call-back request becomes a task there as it is read. None: masked and stored only (tools, tests).
        self.callback_desk: callbacks_inbox.Desk | None = None

    def status(self) -> dict:
        return {"connected": self.broker.up, "bad": {r: self.bad[r] for r in BAD_REASONS},
                "counts": dict(self.counts), "broker": self.broker.as_dict(), "database": self.database.as_dict()}

    # store thread -------------------------------------------------------------
    def process(self, items: list[tuple[str, bytes]]) -> None:
        """Read and store a batch of (topic, payload); returns once it is committed (or raises Stopped)."""
        read = [r for r in (self.reader.read(*item) for item in items) if r is not None]
        if read:
            reports, outcomes = self._commit(read)
            if self.observers or self.listeners:
                self._tell(reports, outcomes)
            self.counts.update(outcomes)  # last: a report counted has been heard by everyone that follows it

    def _tell(self, reports: list[Report], outcomes: list[str]) -> None:
        for report, outcome in zip(reports, outcomes):
            if report.cls in messages.REPLIES:
                msg = report.message()
                for listener in self.listeners:
                    _contained(listener.reply, report.kiosk_id, msg)
            elif outcome == STORED:
                msg = report.message()
                for observe in self.observers:
                    _contained(observe, report.kiosk_id, msg)
                if not issubclass(report.cls, messages.Event):
                    for listener in self.listeners:
                        _contained(listener.heard, report.kiosk_id, msg)

    def _take(self, report: Report) -> Report:
        """A call-back request, the one personal field, masked before anything stores it; the help desk's task
        made from it first. In the commit's retry: a database outage waits like the batch (the task is made
        once however often this runs)."""
        if report.cls is not messages.CallbackRequest:
            return report
        try:
            return callbacks_inbox.take(self.store.engine, report, self.callback_desk)
        except SQLAlchemyError as exc:
            if _outage(exc):
                raise
            log.error("ingest.callback_task_failed", error=_what(exc))  # the kind only: never the row's values
            return callbacks_inbox.take(self.store.engine, report)

    def _commit(self, read: list[Report]) -> tuple[list[Report], list[str]]:
        """(the reports as stored, their outcomes), once committed."""
        wait = BACKOFF_S[0]
        while True:
            try:
                reports = [self._take(r) for r in read]
                outcomes = self._write(reports)
            except SQLAlchemyError as exc:  # only outages come out of _write
                if self.database.mark(False, _what(exc)):
                    log.warning("ingest.database_down", error=_what(exc), waiting=len(reports))
                if self._stopping.wait(wait):
                    raise Stopped from None
                wait = min(wait * 2, BACKOFF_S[1])
                continue
            down_since = self.database.since
            if self.database.mark(True):
                log.info("ingest.database_up", down_s=round(time.time() - down_since, 1))
            return reports, outcomes

    def _write(self, reports: list[Report]) -> list[str]:
        try:
            return self.store.write(reports)
        except Exception as exc:  # noqa: BLE001  (a bug on one report must not stop the fleet's ingest either)
            if isinstance(exc, SQLAlchemyError) and _outage(exc):
                raise
            if len(reports) > 1:  # find the one the database (or the store) refuses; keep the others
                return [o for r in reports for o in self._write([r])]
            # The error's text can quote the row's values, a report's payload: only its kind is logged.
            log.error("ingest.store_refused", error=_what(exc), kind=reports[0].cls.__name__)
            return ["failed"]


def _contained(fn, kiosk_id: str, msg) -> None:
    """A follower's failure is its own: the report is stored all the same, and the others still hear it."""
    try:
        fn(kiosk_id, msg)
    except Exception:  # noqa: BLE001
        log.exception("ingest.follower_failed", follower=getattr(fn, "__qualname__", "?"), kiosk=kiosk_id)


def _outage(exc: SQLAlchemyError) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def _what(exc: Exception) -> str:
    """The error's class and, on PostgreSQL, its SQLSTATE: never its message, which can hold the parameters."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None)
    return f"{type(orig or exc).__name__}" + (f" ({code})" if code else "")
