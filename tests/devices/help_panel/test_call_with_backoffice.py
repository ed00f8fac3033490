"""The aiortc help panel against a real `backoffice serve`: a staff member (the agent socket, signed in through
the login form, and a second aiortc peer answering in this process) takes the call.

What a citizen and a staff member would notice: the offer and answer cross the desk and the call connects;
pictures arrive both ways and are not black, sound both ways is not silence; mute silences the citizen; a
hang-up from either side ends both; a network drop comes back on a new peer connection; a kiosk without a
camera still calls (audio only) and says so in its health; what the kiosk tells staff is masked, and the
planted ID number and name never leave the kiosk in clear.
"""
from __future__ import annotations

import asyncio
import json
import re
import time

import aiohttp
import pytest

from devices.help_panel import webrtc
from devices.help_panel.webrtc import WebRtcHelpPanel
from devices.status import Reason
from devices.testing import agent_peer
from devices.testing.agent_peer import AgentPeer, loopback_ice
from tests.backoffice.console import Console
from tests.fleet.mqtt_helpers import Broker, free_port
from wire import signaling as sig

AGENT_PW = "agent-passphrase-1"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]*)"')
ID_NUMBER, NAME = "110101199003071234", "张三丰"
LIMIT = 20.0  # turns a hang into a failure; not a timing goal (bench/ holds those)


async def until(condition, what: str, limit: float = LIMIT) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {limit}s for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def desk(tmp_path):
    (tmp_path / "mqtt").mkdir()
    broker = Broker(tmp_path / "mqtt").start()
    console = Console(tmp_path, free_port(), broker.port,
                      f'\n[helpdesk]\nphone_key_file = "{tmp_path / "phone.key"}"\n').start()
    try:
        console.add_user("li", "agent", AGENT_PW)
        (tmp_path / "credential").write_text(console.cli("kiosks", "credential", "K-0001").strip() + "\n")
        yield console
    finally:
        console.stop()
        broker.stop()


@pytest.fixture
def frames_made(monkeypatch):
    """Every signaling frame made in this process (the kiosk's, and the staff side's): the wire, searched."""
    made: list[str] = []
    real = sig.make

    def recording(call_id, body, at):
        frame = real(call_id, body, at)
        made.append(frame)
        return frame

    monkeypatch.setattr(webrtc.sig, "make", recording)
    return made


def panel(desk: Console, **options) -> WebRtcHelpPanel:
    opts = dict(url=desk.url.replace("http://", "ws://") + "/ws/kiosk", kiosk_id="K-0001",
                credential_file=str(desk.workdir / "credential"), video=agent_peer.VIDEO, video_format="lavfi",
                audio=agent_peer.AUDIO, audio_format="lavfi")
    return WebRtcHelpPanel("help_panel", **{**opts, **options})


class Staff:
    """A staff member on the real desk: accepts the ring, answers each offer with a new aiortc peer."""

    def __init__(self, desk: Console):
        self.desk = desk
        self.peers: list[AgentPeer] = []
        self.frames: list[dict] = []
        self.call_id = ""
        self.http: aiohttp.ClientSession | None = None
        self.ws = None
        self.task: asyncio.Task | None = None

    @property
    def peer(self) -> AgentPeer:
        return self.peers[-1]

    def got(self, kind: str) -> list[dict]:
        return [f["body"] for f in self.frames if f["kind"] == kind]

    async def start(self) -> "Staff":
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        page = await (await self.http.get(f"{self.desk.url}/login")).text()
        r = await self.http.post(f"{self.desk.url}/login", allow_redirects=False,
                                 data={"name": "li", "password": AGENT_PW, "csrf": CSRF_FIELD.search(page).group(1),
                                       "next": "/"})
        assert r.status == 302
        self.ws = await self.http.ws_connect(f"{self.desk.url}/ws/agent", headers={"Origin": self.desk.url})
        await self.send("", sig.AgentState("available"))
        self.task = asyncio.ensure_future(self._serve())
        await until(lambda: any(b.get("state") == "available" for b in self.got("agent.state")), "staff available")
        return self

    async def send(self, call_id: str, body: sig.Body) -> None:
        await self.ws.send_str(sig.make(call_id, body, time.time()))

    async def _serve(self) -> None:
        async for msg in self.ws:
            frame = json.loads(msg.data)
            self.frames.append(frame)
            kind, body = frame["kind"], frame["body"]
            if kind == "call.ring":
                self.call_id = frame["call_id"]
                await self.send(self.call_id, sig.CallAccept())
            elif kind == "sdp.offer":
                if self.peers:
                    await self.peer.close()
                peer = AgentPeer()
                self.peers.append(peer)
                servers = [sig.IceServer(**s) for s in body["ice_servers"]]
                await self.send(frame["call_id"], sig.SdpAnswer(await peer.answer(body["sdp"], servers)))

    async def hang_up(self) -> None:
        await self.send(self.call_id, sig.Hangup())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        for peer in self.peers:
            await peer.close()
        if self.ws is not None:
            await self.ws.close()
        await self.http.close()


@pytest.fixture
async def staff(desk):
    with loopback_ice():
        s = await Staff(desk).start()
        yield s
        await s.stop()


def distinct(phases: list[str]) -> list[str]:
    return [p for i, p in enumerate(phases) if i == 0 or phases[i - 1] != p]


def level_of(peer_or_panel) -> float:
    return peer_or_panel.drains.audio_level


async def test_a_call_carries_pictures_and_sound_both_ways_mute_works_and_staff_hang_up_ends_both(
        desk, staff, frames_made):
    kiosk = panel(desk, quality_s=0.5)
    await kiosk.open()
    phases = []
    kiosk.on_call(lambda s: phases.append(s.phase))
    call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "show"}))
    try:
        await until(lambda: kiosk.call_state.phase == "connected", "the call to connect")
        assert kiosk.call_state.agent == "li"
        assert kiosk.pc._RTCPeerConnection__configuration.iceServers == []  # aiortc has no getter; [] = no default STUN
        await until(lambda: kiosk.drains.video_frames >= 10 and staff.peer.drains.video_frames >= 10,
                    "ten pictures each way")
        assert kiosk.remote_video[-1].mean() > 30 and staff.peer.pictures[-1].mean() > 30  # not black
        assert kiosk.local_video[-1].width == 160  # the citizen's small preview
        await until(lambda: level_of(kiosk) > 300 and level_of(staff.peer) > 300, "sound both ways")

        await kiosk.set_muted(True)
        await until(lambda: level_of(staff.peer) < 30, "the citizen's voice to stop reaching staff")
        assert level_of(kiosk) > 300  # the citizen still hears staff
        await kiosk.set_muted(False)
        await until(lambda: level_of(staff.peer) > 300, "the citizen's voice back")

        await staff.hang_up()
        assert await asyncio.wait_for(call, LIMIT) == "resumed"
        assert kiosk.call_state.reason == "agent_hangup"
        assert distinct(phases) == ["waiting", "connecting", "connected", "ended"]  # each shown to the citizen
    finally:
        call.cancel()
        await kiosk.close()
    sent = [json.loads(f) for f in frames_made]
    offer = next(f["body"]["sdp"] for f in sent if f["kind"] == "sdp.offer")
    assert "a=candidate" in offer  # the kiosk offers with every candidate (aiortc does not trickle)
    quality = [f["body"] for f in sent if f["kind"] == "call.quality"]
    assert quality and max(q["fps"] for q in quality) > 0  # the desk's per-call figures are fed


async def test_the_citizen_hangs_up_and_staff_see_the_call_end(desk, staff):
    kiosk = panel(desk)
    await kiosk.open()
    call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "show"}))
    try:
        await until(lambda: kiosk.call_state.phase == "connected", "the call to connect")
        await kiosk.end_call()
        assert await asyncio.wait_for(call, LIMIT) == "resumed"
        await until(lambda: staff.got("call.ended"), "staff to be told")
        assert staff.got("call.ended")[-1]["reason"] == "kiosk_hangup"
    finally:
        call.cancel()
        await kiosk.close()


async def test_a_network_drop_is_noticed_and_the_call_comes_back_on_a_new_peer_connection(desk, staff):
    kiosk = panel(desk, heartbeat_s=0.5)
    await kiosk.open()
    phases = []
    kiosk.on_call(lambda s: phases.append(s.phase))
    call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "show"}))
    try:
        await until(lambda: kiosk.call_state.phase == "connected", "the call to connect")
        first = staff.peer
        await until(lambda: first.control, "heartbeats on the control channel")
        first.drop()
        await until(lambda: kiosk.call_state.phase == "reconnecting", "the kiosk to notice the drop")
        await until(lambda: len(staff.peers) == 2 and kiosk.call_state.phase == "connected",
                    "the call back on a new peer connection")
        await until(lambda: staff.peer.drains.video_frames >= 5, "pictures on the new connection")
        assert distinct(phases)[-3:] == ["connected", "reconnecting", "connected"]
        await staff.hang_up()
        assert await asyncio.wait_for(call, LIMIT) == "resumed"
    finally:
        call.cancel()
        await kiosk.close()


async def test_without_a_camera_the_call_is_audio_only_and_the_fault_is_in_health(desk, staff, tmp_path):
    kiosk = panel(desk, video=str(tmp_path / "video0"), video_format="v4l2")
    await kiosk.open()
    assert Reason.CAMERA_MISSING in kiosk.status.reasons and kiosk.status.state == "warning"
    call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "show"}))
    try:
        await until(lambda: kiosk.call_state.phase == "connected", "the call to connect")
        assert kiosk.call_state.video is False
        await until(lambda: level_of(staff.peer) > 300 and kiosk.drains.video_frames >= 5,
                    "the citizen's voice to staff and staff's picture to the citizen")
        assert staff.peer.drains.video_frames == 0
        await staff.hang_up()
        assert await asyncio.wait_for(call, LIMIT) == "resumed"
        assert kiosk.status.as_dict()["reasons"] == ["camera_missing"]
    finally:
        call.cancel()
        await kiosk.close()


async def test_staff_see_the_context_masked_and_the_planted_values_never_leave_in_clear(desk, staff, frames_made):
    kiosk = panel(desk)
    await kiosk.open()
    masked = {"身份证号": ID_NUMBER[:6] + "********" + ID_NUMBER[-4:], "姓名": NAME[0] + "**"}
    await kiosk.send_context({"item": "social-security-certificate", "step": "show", "texts": ["请核对您的信息"],
                              "values": masked})
    call = asyncio.ensure_future(kiosk.call_staff({"flow": "social-security-certificate", "step": "show"}))
    try:
        await until(lambda: staff.got("context"), "the context on connect")
        assert staff.got("context")[-1]["values"] == masked
        await kiosk.send_context({"item": "social-security-certificate", "step": "confirm", "texts": [],
                                  "values": {"身份证号": ID_NUMBER}})  # a caller's mistake: refused on the kiosk
        await kiosk.send_context({"item": "social-security-certificate", "step": "print", "texts": ["打印中"],
                                  "values": masked})
        await until(lambda: staff.got("context")[-1]["step"] == "print", "the step change")
        assert [c["step"] for c in staff.got("context")] == ["show", "print"]
        await staff.hang_up()
        await asyncio.wait_for(call, LIMIT)
    finally:
        call.cancel()
        await kiosk.close()
    desk.stop()
    for planted in (ID_NUMBER, NAME):
        assert not [f for f in frames_made if planted in json.loads(f)["body"].__repr__()]
        assert planted not in desk.log.read_text()
