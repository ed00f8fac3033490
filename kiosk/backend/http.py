"""Backend calls over HTTP: declared operations, bounded time and size, typed outcomes.

A flow names ``service.operation``; the bundle's services.yaml says what the
operation is (method, path, idempotent); the kiosk configuration says where
the service lives and which credential it takes. Replies are untrusted:
anything but the agreed JSON envelope is an ``error`` outcome.

The kiosk follows no redirect (a 3xx would re-send the citizen's ID number,
name and idempotency key to a host nobody configured), keeps no cookies (a
cookie set during one citizen's visit must not travel with the next one's),
and reads replies through kiosk.backend.reply (bounded size here, bounded
nesting depth and finite numbers there).
"""
from __future__ import annotations

import asyncio
import ssl
import time

import aiohttp
import structlog

from kiosk.backend.reply import Result, decode
from kiosk.config import MissingCredential
from kiosk.flow.model import Catalog

log = structlog.get_logger("kiosk.services")


class HttpServices:
    def __init__(self, catalog: Catalog | None, endpoints: dict, *, kiosk_id: str = ""):
        """endpoints: service name -> kiosk.config.ServiceConfig (base_url, timeout_s, credential)."""
        self.catalog = catalog
        self.endpoints = endpoints
        self.kiosk_id = kiosk_id
        self._http: aiohttp.ClientSession | None = None
        self._tls: dict[str, ssl.SSLContext] = {}

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def call(self, ref: str, request: dict, *, timeout: float, idempotency_key: str | None = None) -> Result:
        name, _, op_name = ref.partition(".")
        service = self.catalog.services.get(name) if self.catalog else None
        op = service.operations.get(op_name) if service else None
        endpoint = self.endpoints.get(name)
        if op is None or endpoint is None:
            return "error", None, f"service {ref} is not configured"
        timeout = min(timeout, endpoint.timeout_s)
        headers = {"Accept": "application/json", "X-Kiosk-Id": self.kiosk_id}
        started = time.monotonic()
        try:
            secret = endpoint.credential()
            tls = self._tls_for(name, endpoint)
        except MissingCredential as exc:  # checked at start-up, gone since: never call without it
            return self._log(ref, "error", started, f"no credential: {exc.option}")
        except (OSError, ssl.SSLError) as exc:
            return self._log(ref, "error", started, f"ca_file unusable: {type(exc).__name__}")
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        url = endpoint.base_url.rstrip("/") + op.path
        if self._http is None:
            self._http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        try:
            async with asyncio.timeout(timeout):
                kw = {"json": request} if op.method == "POST" else {"params": request}
                async with self._http.request(op.method, url, headers=headers, allow_redirects=False, ssl=tls,
                                              **kw) as resp:
                    if 300 <= resp.status < 400:  # the body and Location are the other host's business
                        return self._log(ref, "unavailable", started, f"HTTP {resp.status}, redirect not followed")
                    body = await _read_capped(resp, op.max_reply_kb * 1024)
                    status = resp.status
        except TimeoutError:
            return self._log(ref, "timeout", started, "no reply in time")
        except aiohttp.ClientError as exc:
            return self._log(ref, "unavailable", started, type(exc).__name__)
        except _TooLarge:
            return self._log(ref, "error", started, "reply too large")
        if status >= 500 or status in (408, 429):
            return self._log(ref, "unavailable", started, f"HTTP {status}")
        outcome, data, detail = decode(status, body)
        self._log(ref, outcome, started, detail)
        return outcome, data, detail

    def _tls_for(self, name: str, endpoint) -> ssl.SSLContext | bool:
        """Verification against the service's own CA when it names one, else the system's trust store."""
        if endpoint.ca_file is None:
            return True
        if name not in self._tls:
            self._tls[name] = ssl.create_default_context(cafile=str(endpoint.ca_file))
        return self._tls[name]

    def _log(self, ref: str, outcome: str, started: float, detail: str) -> Result:
        log.info("service.call", op=ref, outcome=outcome, ms=round((time.monotonic() - started) * 1000, 1), detail=detail)
        return outcome, None, detail


class _TooLarge(Exception):
    pass


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    chunks, total = [], 0
    async for chunk in resp.content.iter_chunked(65536):
        total += len(chunk)
        if total > cap:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)
