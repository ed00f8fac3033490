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
import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from devices.errors import DeviceError
from devices.status import Reason


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


def check_request_id(request_id: str) -> None:
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 128:
        raise QueueError("request_id must be a string of 1 to 128 characters")
