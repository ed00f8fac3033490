"""Backend calls over HTTP: declared operations, bounded time and size, typed outcomes.

A flow names ``service.operation``; the bundle's services.yaml says what the
operation is (method, path, idempotent); the kiosk configuration says where
the service lives and which credential it takes. Replies are untrusted:
anything but the agreed JSON envelope is an ``error`` outcome.

Envelope: ``{"ok": true, "data": {...}}`` or ``{"ok": false, "error": {"code": "not_found"}}``.
"""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import structlog

from kiosk.flow.model import Catalog

log = structlog.get_logger("kiosk.services")
Result = tuple[str, object, str]


class HttpServices:
    def __init__(self, catalog: Catalog | None, endpoints: dict, *, kiosk_id: str = ""):
        """endpoints: service name -> kiosk.config.ServiceConfig (base_url, timeout_s, credential)."""
        self.catalog = catalog
        self.endpoints = endpoints
        self.kiosk_id = kiosk_id
        self._http: aiohttp.ClientSession | None = None

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
        secret = endpoint.credential()
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        url = endpoint.base_url.rstrip("/") + op.path
        started = time.monotonic()
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(timeout):
                kw = {"json": request} if op.method == "POST" else {"params": request}
                async with self._http.request(op.method, url, headers=headers, **kw) as resp:
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
        return self._decode(ref, status, body, started)

    def _decode(self, ref: str, status: int, body: bytes, started: float) -> Result:
        try:
            reply = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return self._log(ref, "error", started, f"HTTP {status}, not JSON")
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            return self._log(ref, "error", started, f"HTTP {status}, not the agreed envelope")
        if reply["ok"]:
            data = reply.get("data")
            if not isinstance(data, dict):
                return self._log(ref, "error", started, "ok reply without a data object")
            self._log(ref, "ok", started, "")
            return "ok", data, ""
        err = reply.get("error")
        code = err.get("code") if isinstance(err, dict) else None
        if not isinstance(code, str) or not code.isidentifier() or len(code) > 40:
            return self._log(ref, "error", started, "error reply without a valid code")
        self._log(ref, "backend_error", started, code)
        return "backend_error", {"code": code.lower()}, code

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
