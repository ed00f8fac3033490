"""A help desk with one staff member, on 127.0.0.1, speaking /ws/kiosk as the back office does: the help panel's
protocol peer in the device contract suite (the back office itself is tested against the driver elsewhere).

Scripted: ``answer`` is how the next call ends (resumed: staff answer, talk
until the peer connection is up, and hang up; ended: a callback is booked;
unavailable: nobody answers; talk: staff stay on); ``hold()`` keeps calls waiting in the queue until
``pick_up()``; ``offer_callback()`` offers the waiting kiosk a call back (as the back office does after
callback_after_s or with nobody on duty), and a `callback.request` is booked. The staff member's media is
a real aiortc peer (AgentPeer).
"""
from __future__ import annotations

import asyncio
import secrets
import time

from aiohttp import WSMsgType, web

from devices.testing.agent_peer import AgentPeer
from wire import signaling as sig


class FakeHelpDesk:
    def __init__(self, kiosk_id: str = "K-0001", credential: str = "kc_test_credential", agent=AgentPeer):
        self.kiosk_id, self.credential = kiosk_id, credential
        self.make_agent = agent  # the staff member's peer for each offer (bench/ gives one with a stamped camera)
        self.answer = "resumed"  # or "talk": staff answer and stay until the kiosk hangs up
        self.refuse_resume = False  # the desk lost the call: a resume is answered with an error
        self.received: list[tuple[str, dict]] = []  # (kind, body) of every frame the kiosk sent
        self.callback_target_s = 4 * 3600.0
        self._to_waiting = None  # send() of the kiosk whose call waits in the queue
        self.agents: list[AgentPeer] = []
        self._held: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> "FakeHelpDesk":
        app = web.Application()
        app.router.add_get("/ws/kiosk", self._kiosk)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws/kiosk"
        return self

    async def stop(self) -> None:
        for agent in self.agents:
            await agent.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def hold(self) -> None:
        self._held = asyncio.Event()

    def pick_up(self) -> None:
        if self._held is not None:
            self._held.set()
            self._held = None

    async def offer_callback(self) -> None:
        if self._to_waiting is not None:
            await self._to_waiting(sig.QueueUpdate(1, 600.0, 0, True))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.received]

    async def _kiosk(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        call_id, script = "", None

        async def send(body: sig.Body) -> None:
            if not ws.closed:
                await ws.send_str(sig.make(call_id, body, time.time()))

        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            signal, body = sig.read(msg.data, sig.KIOSK_SENDS)
            self.received.append((signal.kind, signal.body))
            if isinstance(body, sig.Hello):
                if (body.kiosk_id, body.credential) != (self.kiosk_id, self.credential):
                    await send(sig.Error("unauthorized", "unknown kiosk or wrong credential"))
                    await ws.close(code=4401)
                    break
                await send(sig.Welcome(body.kiosk_id, list(sig.SKILLS)))
            elif isinstance(body, sig.HelpRequest):
                call_id = "c-" + secrets.token_hex(4)
                script = asyncio.ensure_future(self._queue(send))
            elif isinstance(body, sig.CallResume) and self.refuse_resume:
                await send(sig.Error("unknown_call", "no connected call of yours"))
            elif isinstance(body, sig.CallResume):
                call_id = signal.call_id
                await send(sig.CallAssigned("王芳", [], "rt-" + call_id))
            elif isinstance(body, sig.SdpOffer):
                agent = self.make_agent()
                self.agents.append(agent)
                await send(sig.SdpAnswer(await agent.answer(body.sdp)))
                if self.answer == "resumed" and script is not None and script.done():
                    script = asyncio.ensure_future(self._talk_then_hang_up(agent, send))
            elif isinstance(body, sig.CallbackRequest) and self._to_waiting is send:
                self._to_waiting = None
                if script is not None:
                    script.cancel()
                await send(sig.CallbackBooked(time.time() + self.callback_target_s))
                await send(sig.CallEnded("callback_booked"))
            elif isinstance(body, sig.CallbackRequest):
                await send(sig.Error("unknown_call", "no call of yours is waiting"))
            elif isinstance(body, (sig.HelpCancel, sig.Hangup)):
                await send(sig.CallEnded("cancelled" if isinstance(body, sig.HelpCancel) else "kiosk_hangup"))
        if script is not None:
            script.cancel()
        return ws

    async def _queue(self, send) -> None:
        await send(sig.QueueUpdate(2, 120.0, 1, False))
        await send(sig.QueueUpdate(1, 60.0, 1, False))
        if self._held is not None:
            self._to_waiting = send
            await self._held.wait()
            self._to_waiting = None
        if self.answer == "unavailable":
            await send(sig.CallEnded("no_answer"))
        elif self.answer == "ended":
            await send(sig.CallbackBooked(time.time() + 3600))
            await send(sig.CallEnded("callback_booked"))
        else:
            await send(sig.CallAssigned("王芳", [], "rt-test"))

    async def _talk_then_hang_up(self, agent: AgentPeer, send) -> None:
        while not agent.connected:
            await asyncio.sleep(0.02)  # polling the peer's state, bounded by the test's own deadline
        await send(sig.CallEnded("agent_hangup"))
