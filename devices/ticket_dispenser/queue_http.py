"""Queue numbers from a hall's queue system over HTTP, validated strictly (the reply is untrusted)."""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import aiohttp
import structlog

from devices.errors import ConfigError
from devices.status import Reason
from devices.ticket_dispenser.queue import QueueError, QueueNumber, QueueProvider, QueueUnavailable, \
    check_request_id, local_now

log = structlog.get_logger("devices.queue")

MAX_REPLY = 64 * 1024  # a take-number reply is a few dozen bytes; more is a broken or hostile peer
# A vendor number is printed at quadruple size: 8 characters fill a 58 mm roll (32 columns / 4).
VENDOR_NUMBER = re.compile(r"(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,8}", re.ASCII)
MAX_WAITING = 9999  # a hall with more people waiting than this is a garbage reply, not a busy day

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
        check_request_id(request_id)
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
