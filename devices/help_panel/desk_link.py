"""The help panel's line to the help desk: the WebSocket `/ws/kiosk` (wire/signaling.py, docs/operations.md).

It says `hello` with the kiosk's fleet id and its help-desk credential (read
from its file at every connect, so a re-issued credential needs no restart),
retries an unreachable desk with doubling backoff until a deadline, and reads
every frame against what a desk may send to a kiosk: a bad frame is logged by
its field and skipped, never acted on.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import structlog
from aiortc import RTCIceServer

from wire import signaling as sig
from wire.errors import WireError

log = structlog.get_logger("devices.help_panel")
FIRST_RETRY_S = 0.2


class DeskRefused(Exception):
    """The desk said this kiosk is not who it claims (unauthorized), or the credential cannot be read."""


class DeskUnreachable(Exception):
    """No desk answered before the deadline."""


class DeskLink:
    def __init__(self, url: str, kiosk_id: str, credential_file: str, backoff_max_s: float):
        self.url, self.kiosk_id, self.credential_file = url, kiosk_id, credential_file
        self.backoff_max_s = backoff_max_s
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    @property
    def open(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def connect(self, call_id: str, limit_s: float) -> None:
        """A new socket, hello answered by welcome; DeskRefused or DeskUnreachable otherwise."""
        credential = await asyncio.to_thread(self._credential)
        if self._http is None:
            self._http = aiohttp.ClientSession()
        deadline, delay = time.monotonic() + limit_s, FIRST_RETRY_S
        while True:
            try:
                if await self._hello(call_id, credential):
                    return
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError, WireError) as exc:
                log.info("help_panel.desk_unreachable", error=type(exc).__name__, retry_in_s=delay)
            if time.monotonic() + delay > deadline:
                raise DeskUnreachable(self.url)
            await asyncio.sleep(delay)  # backoff between attempts to reach the desk
            delay = min(delay * 2, self.backoff_max_s)

    async def _hello(self, call_id: str, credential: str) -> bool:
        ws = await self._http.ws_connect(self.url, heartbeat=5, max_msg_size=sig.FRAME_MAX)
        await ws.send_str(sig.make(call_id, sig.Hello(self.kiosk_id, credential, ["audio", "video"]), time.time()))
        first = await ws.receive(timeout=10)
        if first.type == aiohttp.WSMsgType.TEXT:
            _, body = sig.read(first.data, sig.TO_KIOSK)
            if isinstance(body, sig.Welcome):
                await self.close_socket()
                self._ws = ws
                return True
            if isinstance(body, sig.Error) and body.code == "unauthorized":
                await ws.close()
                log.error("help_panel.desk_refused_kiosk", kiosk=self.kiosk_id)
                raise DeskRefused(self.kiosk_id)
        await ws.close()
        return False

    def _credential(self) -> str:
        try:
            return Path(self.credential_file).read_text().strip()
        except OSError as exc:
            log.error("help_panel.no_credential", file=self.credential_file, error=type(exc).__name__)
            raise DeskRefused("no credential") from exc

    async def send(self, call_id: str, body: sig.Body) -> None:
        if not self.open:
            raise ConnectionError("no signaling socket")
        await self._ws.send_str(sig.make(call_id, body, time.time()))

    async def receive(self) -> tuple[sig.Signal, sig.Body] | None:
        """The next good frame; None once the socket is gone (the caller decides: resume or end)."""
        while True:
            msg = await self._ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                return None
            try:
                return sig.read(msg.data, sig.TO_KIOSK)
            except WireError as err:
                log.warning("help_panel.bad_signal", at=err.at)  # the field, never the value

    async def close_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()

    async def close(self) -> None:
        await self.close_socket()
        if self._http is not None:
            await self._http.close()
            self._http = None


def ice_server(server) -> RTCIceServer:
    """An ICE server from configuration (a mapping) or from call.assigned (sig.IceServer)."""
    if isinstance(server, dict):
        return RTCIceServer(urls=server["urls"], username=server.get("username") or None,
                            credential=server.get("credential") or None)
    return RTCIceServer(urls=list(server.urls), username=server.username or None, credential=server.credential or None)


def context_body(c: dict) -> sig.Context:
    """The kiosk's context as the wire wants it, cut to its bounds; WireError if a value looks unmasked."""
    body = sig.Context(str(c.get("item", ""))[:200], str(c.get("step", ""))[:200],
                       [str(x)[:500] for x in c.get("texts", [])][:sig.ITEMS_MAX],
                       {str(k)[:200]: str(v)[:200] for k, v in list(c.get("values", {}).items())[:sig.ITEMS_MAX]})
    body.validate()
    return body
