"""/ws/kiosk and /ws/agent: the two WebSocket doors of the help desk (docs/operations.md, Video help signaling).

A kiosk proves itself with its first frame (`hello`: fleet id and help-desk credential); an agent with the
console's session cookie and the `agent` capability, from a page of this console (Origin checked: a
handshake carries no CSRF token, so another site could otherwise ride the cookie). Each frame is read
against the table of what its sender may send; a bad frame is answered with `error` and never relayed.
Nothing a citizen typed is logged: refusals log the field at fault, never the value.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import urlsplit

import structlog
from aiohttp import WSMsgType, web

from backoffice.auth import USER, public, require
from backoffice.helpdesk.acd import DeskError
from backoffice.helpdesk.keys import HUB
from backoffice.helpdesk.secrets import kiosk_credential_ok
from backoffice.keys import CONFIG, ENGINE
from backoffice.helpdesk.relay import Endpoint
from wire import signaling as sig
from wire.errors import WireError

log = structlog.get_logger("backoffice.helpdesk")
HELLO_TIMEOUT_S = 10
UNAUTHORIZED = 4401  # WebSocket close code: the application's own range, as HTTP 401
# A call's signaling is a few dozen frames (offer, answer, candidates, a context per step, a quality sample
# every few seconds); a socket sending faster than this is broken or hostile, and each frame is a database
# write, shared by every instance.
BURST, PER_S = 60, 20
CLOCK = time.monotonic  # the bucket's; a test freezes it


class Bucket:
    """A token bucket on monotonic time: BURST frames at once, then PER_S a second."""

    def __init__(self):
        self.tokens, self.at = float(BURST), CLOCK()

    def take(self) -> bool:
        now = CLOCK()
        self.tokens = min(BURST, self.tokens + (now - self.at) * PER_S)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _socket() -> web.WebSocketResponse:
    return web.WebSocketResponse(heartbeat=10, max_msg_size=sig.FRAME_MAX)


async def _error(ws: web.WebSocketResponse, call_id: str, code: str, detail: str) -> None:
    if not ws.closed:
        await ws.send_str(sig.make(call_id[:64], sig.Error(code, detail[:200]), time.time()))


async def _frames(ws: web.WebSocketResponse, table, who: str):
    """(envelope, body) for each good text frame; bad ones are answered and skipped, a flood is dropped."""
    bucket, dropped = Bucket(), 0
    async for msg in ws:
        if not bucket.take():
            dropped += 1
            if dropped == 1:  # once per flood, not once per frame
                log.warning("helpdesk.flood", who=who)
                await _error(ws, "", "busy", f"more than {PER_S} frames a second: frames dropped")
            continue
        dropped = 0
        if msg.type != WSMsgType.TEXT:
            await _error(ws, "", "malformed", "text frames only")
            continue
        try:
            yield sig.read(msg.data, table)
        except WireError as err:
            log.info("helpdesk.frame_refused", who=who, at=err.at)  # the field, never its value
            await _error(ws, "", "malformed", str(err))


def _failed(signal: sig.Signal, exc: Exception) -> None:
    """Logged by kind and type only: a database error's text can carry the statement's parameters."""
    log.error("helpdesk.frame_failed", kind=signal.kind, call=signal.call_id, error=type(exc).__name__)


@public  # a kiosk has no console account: its first frame must be a valid hello, checked below
async def kiosk_socket(request: web.Request) -> web.WebSocketResponse:
    hub, engine = request.app[HUB], request.app[ENGINE]
    ws = _socket()
    await ws.prepare(request)
    try:
        first = await ws.receive(timeout=HELLO_TIMEOUT_S)
        _, hello = sig.read(first.data if first.type == WSMsgType.TEXT else "", sig.KIOSK_SENDS)
        if not isinstance(hello, sig.Hello):
            raise WireError("kind", "the first frame must be hello")
    except (WireError, asyncio.TimeoutError, TypeError):
        await _error(ws, "", "unauthorized", "send hello with this kiosk's credential first")
        await ws.close(code=UNAUTHORIZED)
        return ws
    if not await asyncio.to_thread(kiosk_credential_ok, engine, hello.kiosk_id, hello.credential):
        log.warning("helpdesk.kiosk_refused", kiosk=hello.kiosk_id)
        await _error(ws, "", "unauthorized", "unknown kiosk or wrong credential")
        await ws.close(code=UNAUTHORIZED)
        return ws
    kiosk_id, conn = hello.kiosk_id, secrets.token_hex(8)
    old = hub.kiosks.get(kiosk_id)
    hub.kiosks[kiosk_id] = Endpoint(ws, conn)
    if old is not None:
        await old.ws.close(code=4409, message=b"replaced by a newer connection")
    log.info("helpdesk.kiosk_connected", kiosk=kiosk_id)
    await ws.send_str(sig.make("", sig.Welcome(kiosk_id, list(sig.SKILLS)), time.time()))
    desk = hub.desk

    async def route(signal, body) -> None:
        if isinstance(body, sig.HelpRequest):
            await asyncio.to_thread(desk.enter, kiosk_id, conn, body)
        elif isinstance(body, (sig.HelpCancel, sig.Hangup)):
            reason = "cancelled" if isinstance(body, sig.HelpCancel) else "kiosk_hangup"
            await asyncio.to_thread(desk.kiosk_hangup, kiosk_id, signal.call_id, reason)
        elif isinstance(body, sig.CallbackRequest):
            await asyncio.to_thread(desk.book_callback, kiosk_id, signal.call_id, body.phone)
        elif isinstance(body, sig.CallResume):
            await asyncio.to_thread(desk.resume, kiosk_id, conn, signal.call_id, body.resume_token)
        elif isinstance(body, sig.Quality):
            await asyncio.to_thread(desk.quality, signal.call_id, "kiosk", kiosk_id, body)
        elif isinstance(body, (sig.SdpOffer, sig.IceCandidate, sig.Context)):
            await asyncio.to_thread(desk.from_kiosk, kiosk_id, signal.call_id, body)
        else:  # a second hello
            raise DeskError("not_allowed", "already said hello")

    try:
        await _serve(ws, hub, sig.KIOSK_SENDS, kiosk_id, route)
    finally:
        await _release(hub, hub.kiosks, kiosk_id, conn, desk.kiosk_gone)
        log.info("helpdesk.kiosk_disconnected", kiosk=kiosk_id)
    return ws


async def _serve(ws: web.WebSocketResponse, hub, table, who: str, route) -> None:
    """Each checked frame to `route`; a frame that fails is answered with an error and the socket stays open."""
    async for signal, body in _frames(ws, table, who):
        try:
            await route(signal, body)
            hub.nudge()
        except DeskError as err:
            await _error(ws, signal.call_id, err.code, err.detail)
        except Exception as exc:  # a bug or a database fault: this frame fails, the socket stays
            _failed(signal, exc)
            await _error(ws, signal.call_id, "busy", "the help desk could not handle this; try again")


async def _release(hub, endpoints: dict, key: str, conn: str, gone) -> None:
    """A socket closed: forget it unless a newer one replaced it, and tell the desk (shared state)."""
    if endpoints.get(key) is not None and endpoints[key].conn == conn:
        del endpoints[key]
    await asyncio.to_thread(gone, key, conn)
    hub.nudge()


def same_origin(request: web.Request) -> bool:
    """The handshake comes from this console's page (or a configured origin), not from another site."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    if origin in request.app[CONFIG].helpdesk.allowed_origins:
        return True
    return urlsplit(origin).netloc == request.host and urlsplit(origin).scheme in ("http", "https")


@require("agent")
async def agent_socket(request: web.Request) -> web.WebSocketResponse:
    if not same_origin(request):
        log.warning("helpdesk.agent_origin_refused", agent=request[USER].name)
        raise web.HTTPForbidden(text="the agent socket opens only from this console's pages")
    hub, name, conn = request.app[HUB], request[USER].name, secrets.token_hex(8)
    desk = hub.desk
    ws = _socket()
    await ws.prepare(request)
    old = hub.agents.get(name)
    hub.agents[name] = Endpoint(ws, conn)
    if old is not None:
        await old.ws.close(code=4409, message=b"replaced by a newer connection")
    await ws.send_str(sig.make("", sig.Welcome(name, list(desk.skills_of(name))), time.time()))
    await asyncio.to_thread(desk.agent_online, name, conn)
    hub.nudge()
    log.info("helpdesk.agent_connected", agent=name)
    async def route(signal, body) -> None:
        call_id = signal.call_id
        if isinstance(body, sig.AgentState):
            await asyncio.to_thread(desk.set_state, name, body.state, body.reason)
        elif isinstance(body, sig.CallAccept):
            await asyncio.to_thread(desk.accept, name, call_id)
        elif isinstance(body, sig.CallReject):
            await asyncio.to_thread(desk.reject, name, call_id)
        elif isinstance(body, sig.CallTransfer):
            await asyncio.to_thread(desk.transfer, name, call_id, body)
        elif isinstance(body, sig.Hangup):
            await asyncio.to_thread(desk.agent_hangup, name, call_id)
        elif isinstance(body, sig.WrapupDone):
            await asyncio.to_thread(desk.wrapup_done, name, call_id, body.outcome, body.note)
        elif isinstance(body, sig.Quality):
            await asyncio.to_thread(desk.quality, call_id, "agent", name, body)
        else:  # sdp.answer, ice.candidate
            await asyncio.to_thread(desk.from_agent, name, call_id, body)

    try:
        await _serve(ws, hub, sig.AGENT_SENDS, name, route)
    finally:
        await _release(hub, hub.agents, name, conn, desk.agent_gone)
        log.info("helpdesk.agent_disconnected", agent=name)
    return ws
