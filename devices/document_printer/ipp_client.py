"""IPP over HTTP for the document printer: where a URI points, and one request with its deadline.

Kept apart from the driver (ipp.py), which owns the job and its watchdog: this
module only turns a request into a reply or into one of the device errors.
Nothing here logs attribute values or documents: both carry personal data.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from devices.document_printer.ipp_codec import Attribute, Message, Op, decode, request, status_name
from devices.document_printer.ipp_status import printable
from devices.errors import ConfigError, DeviceOffline, DeviceTimeout, ProtocolError
from devices.status import Reason

wire = logging.getLogger("devices.ipp.wire")  # operation, status, sizes; never attribute values or documents
MAX_REPLY = 1 << 20  # our requests ask for a handful of attributes; more is a broken or hostile peer


@dataclass(frozen=True)
class Endpoint:
    url: str  # where the HTTP POST goes
    printer_uri: str  # the printer-uri attribute inside each request
    tls: bool


def parse_uri(uri: str) -> Endpoint:
    """Validate a printer URI without any I/O; ConfigError names what is wrong."""
    parts = urlsplit(uri)
    if parts.scheme == "cups":
        queue = parts.netloc if parts.path in ("", "/") else ""  # cups://QUEUE, nothing after it
        if not queue or any(c in queue for c in "/#\\ ?@:") or parts.query or parts.fragment:
            raise ConfigError(f"{uri}: cups:// needs a queue name, e.g. cups://KioskA4")
        return Endpoint(f"http://localhost:631/printers/{queue}", f"ipp://localhost:631/printers/{queue}", False)
    if parts.scheme not in ("ipp", "ipps"):
        raise ConfigError(f"{uri}: unsupported scheme {parts.scheme!r}; use ipp://, ipps:// or cups://")
    try:
        port = parts.port or 631  # IANA port for both ipp and ipps (RFC 8010 §8.1, RFC 7472)
    except ValueError as exc:
        raise ConfigError(f"{uri}: bad port") from exc
    if not parts.hostname or not parts.path or parts.path == "/":
        raise ConfigError(f"{uri}: needs a host and a path, e.g. ipp://192.168.1.60/ipp/print")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    http = "https" if parts.scheme == "ipps" else "http"
    return Endpoint(f"{http}://{host}:{port}{parts.path}", f"{parts.scheme}://{host}:{port}{parts.path}",
                    parts.scheme == "ipps")


class IppClient:
    """One printer endpoint; a fresh request id per call."""

    def __init__(self, uri: str, request_timeout: float, *, tls_verify: bool = True, tls_pin: bytes | None = None):
        self.endpoint = parse_uri(uri)
        self.request_timeout = request_timeout
        self.tls_verify = tls_verify
        self.tls_pin = tls_pin
        self._ids = itertools.count(1)

    async def call(self, op: Op, op_attrs: tuple[Attribute, ...], job_attrs: tuple[Attribute, ...] = (), *,
                   deadline: float, data: bytes = b"", extra: float = 0.0) -> Message:
        """One IPP request over HTTP. Transport failures become DeviceOffline/DeviceTimeout/ProtocolError."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeviceTimeout(f"no time left for {op.name}", reason=Reason.NO_REPLY)
        request_id = next(self._ids) & 0x7FFFFFFF or 1
        body = request(op, request_id, self.endpoint.printer_uri, operation=op_attrs, job=job_attrs).encode() + data
        timeout = aiohttp.ClientTimeout(total=min(remaining, self.request_timeout + extra))
        try:
            async with self._http() as http, http.post(self.endpoint.url, data=body, timeout=timeout,
                                                       headers={"Content-Type": "application/ipp"}) as resp:
                raw = await _read_reply(resp)
        except asyncio.TimeoutError as exc:
            raise DeviceTimeout(f"no answer to {op.name} within {timeout.total:.1f}s",
                                reason=Reason.NO_REPLY) from exc
        except (aiohttp.ClientSSLError, aiohttp.ServerFingerprintMismatch) as exc:
            raise ConfigError(f"TLS to the printer failed ({exc.__class__.__name__}); "
                              "see options tls_verify and tls_fingerprint") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeviceOffline(f"printer unreachable ({printable(str(exc), 200) or type(exc).__name__})") from exc
        reply = decode(raw)
        wire.debug("%s id=%d sent=%d status=%s received=%d", op.name, request_id, len(body),
                   status_name(reply.code), len(raw))
        if reply.request_id != request_id:
            raise ProtocolError(f"reply to {op.name} carries request-id {reply.request_id}, not {request_id}")
        return reply

    def _http(self) -> aiohttp.ClientSession:
        """A session per request, a connection per request: a keep-alive socket the printer dropped
        while idle is never mistaken for the printer vanishing, and there is nothing to leak when a
        caller forgets close(). Two small requests a poll are nothing next to a page. No proxies
        from the environment: the printer is on the kiosk's LAN."""
        ssl_arg: bool | aiohttp.Fingerprint = True
        if self.endpoint.tls and self.tls_pin is not None:
            ssl_arg = aiohttp.Fingerprint(self.tls_pin)
        elif self.endpoint.tls and not self.tls_verify:
            ssl_arg = False
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True, ssl=ssl_arg), trust_env=False)


async def _read_reply(resp: aiohttp.ClientResponse) -> bytes:
    if resp.status in (401, 403):
        raise ConfigError(f"the printer wants authentication (HTTP {resp.status})")
    if resp.status == 404:
        raise ConfigError("no printer at this path (HTTP 404); check the URI")
    if resp.status == 426:
        raise ConfigError("the printer requires TLS (HTTP 426); use ipps://")
    if resp.status != 200:
        raise ProtocolError(f"HTTP {resp.status} instead of an IPP reply")
    raw = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        raw += chunk
        if len(raw) > MAX_REPLY:
            raise ProtocolError(f"IPP reply larger than {MAX_REPLY} bytes")
    return bytes(raw)


def fingerprint(name: str, text: Any) -> bytes | None:
    if not text:
        return None
    try:
        digest = bytes.fromhex(str(text).replace(":", ""))
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ConfigError(f"{name}: option 'tls_fingerprint' must be a SHA-256 in hex (64 digits, colons allowed)")
    return digest


