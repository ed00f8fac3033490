"""A simulated kiosk for the staff page's browser tests: the wire/signaling WebSocket and an aiortc peer.

It runs on its own event loop in a background thread, because Playwright's sync API owns the test's thread.
The camera and microphone are ffmpeg's lavfi sources (testsrc, sine); what the kiosk receives is measured,
not kept: the brightest video frame's mean and the loudest audio frame's RMS, so a test can tell "frames
that are not black" and "sound that is not silence". Loopback ICE: aioice skips 127.0.0.1, so the tests
patch its host addresses (loopback_ice) as docs/video-help.md describes; never outside tests.
"""
from __future__ import annotations

import array
import asyncio
import io
import json
import math
import sys
import threading
import time
import traceback

import aiohttp

from devices.help_panel import media
from wire import signaling as sig


def ice_module():
    """aiortc's ICE implementation (aioice.ice), reached through aiortc: aioice is aiortc's dependency, not ours."""
    from aiortc import rtcicetransport
    return sys.modules[rtcicetransport.Connection.__module__]


def loopback_ice(monkeypatch) -> None:
    monkeypatch.setattr(ice_module(), "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


class KioskPeer:
    """One kiosk: hello, help.request, and on call.assigned an aiortc offer with lavfi media, then `context`."""

    def __init__(self, url: str, kiosk_id: str, credential: str, context: sig.Context):
        self.url, self.kiosk_id, self.credential, self.context = url, kiosk_id, credential, context
        self.frames: list[tuple[str, str, dict]] = []  # (kind, call_id, body) received
        self.video_frames = self.audio_frames = 0
        self.brightest = 0.0  # the highest mean luma of a received frame, 0..255
        self.loudest = 0.0  # the highest RMS of a received audio frame, int16 scale
        self.call_id = ""
        self.ice_state = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="kiosk-peer")
        self._ws = None
        self._pc = None
        self._players: list = []
        self._tasks: list[asyncio.Task] = []

    # ----------------------------------------------------------- driven from the test's thread
    def start(self, item: str, step: str, skill: str = "general") -> "KioskPeer":
        self._thread.start()
        self._run(self._open(sig.HelpRequest(item, step, "zh-CN", skill)))
        return self

    def send(self, body: sig.Body) -> None:
        self._run(self._send(body))

    def kinds(self) -> list[str]:
        return [k for k, _, _ in list(self.frames)]

    def wait(self, what, timeout: float = 20.0, why: str = "") -> None:
        """Poll `what()` until true: the kiosk's loop and the browser run on their own, this only looks."""
        deadline = time.monotonic() + timeout
        while not what():
            if time.monotonic() > deadline:
                raise AssertionError(f"kiosk: {why or what} not within {timeout} s; got {self.kinds()}, "
                                     f"{self.video_frames} frames (brightest {self.brightest:.0f}), "
                                     f"{self.audio_frames} audio (loudest {self.loudest:.0f}), ICE {self.ice_state}")
            time.sleep(0.05)  # polling another thread and process, bounded by the deadline

    def reset_media(self) -> None:
        self.video_frames, self.audio_frames, self.brightest, self.loudest = 0, 0, 0.0, 0.0

    def stop(self) -> None:
        if self._thread.is_alive():
            try:
                self._run(self._close())
            except TimeoutError:  # seen once in about fifty runs: say where it stuck, for the next time
                raise AssertionError(f"the kiosk peer did not close within 30 s:\n{self._stuck()}") from None
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def _stuck(self) -> str:
        """The peer loop's pending tasks and every thread's stack (a loop blocked in a join shows there)."""
        out = io.StringIO()
        for task in asyncio.all_tasks(self._loop):
            task.print_stack(file=out)
        for ident, frame in sys._current_frames().items():
            out.write(f"thread {ident}:\n{''.join(traceback.format_stack(frame))}")
        return out.getvalue()

    def _run(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # ----------------------------------------------------------- on the kiosk's loop
    async def _open(self, request: sig.HelpRequest) -> None:
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(self.url + "/ws/kiosk")
        await self._send(sig.Hello(self.kiosk_id, self.credential, ["audio", "video"]))
        self._tasks.append(asyncio.create_task(self._read()))
        await self._send(request)

    async def _send(self, body: sig.Body) -> None:
        await self._ws.send_str(sig.make(self.call_id, body, time.time()))

    async def _read(self) -> None:
        async for msg in self._ws:
            frame = json.loads(msg.data)
            kind, call_id, body = frame["kind"], frame["call_id"], frame["body"]
            self.frames.append((kind, call_id, body))
            if call_id and kind == "queue.update":
                self.call_id = call_id
            if kind == "call.assigned":
                self.call_id = call_id
                await self._offer(body["ice_servers"])
            elif kind == "sdp.answer" and self._pc is not None:
                from aiortc import RTCSessionDescription
                await self._pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "answer"))
            elif kind == "ice.candidate" and self._pc is not None and body["candidate"]:
                from aiortc.sdp import candidate_from_sdp
                cand = candidate_from_sdp(body["candidate"].removeprefix("candidate:"))
                cand.sdpMid, cand.sdpMLineIndex = body.get("sdp_mid"), body.get("sdp_mline_index")
                await self._pc.addIceCandidate(cand)
            elif kind in ("call.ended", "call.transferring"):
                await self._hangup_peer()

    async def _offer(self, ice_servers: list[dict]) -> None:
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
        from aiortc.contrib.media import MediaPlayer
        await self._hangup_peer()
        servers = [RTCIceServer(urls=s["urls"], username=s["username"] or None, credential=s["credential"] or None)
                   for s in ice_servers]
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))  # never the default public STUN

        @pc.on("iceconnectionstatechange")
        def _ice():
            self.ice_state = pc.iceConnectionState

        @pc.on("track")
        def _track(track):
            self._tasks.append(asyncio.create_task(self._consume(track)))

        video = MediaPlayer("testsrc=size=640x480:rate=15", format="lavfi")
        audio = MediaPlayer("sine=frequency=440:sample_rate=48000", format="lavfi")
        self._players = [video, audio]
        pc.addTrack(video.video)
        pc.addTrack(audio.audio)
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate first
        await self._send(sig.SdpOffer(pc.localDescription.sdp))
        await self._send(self.context)

    async def _consume(self, track) -> None:
        from aiortc.mediastreams import MediaStreamError
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                self.video_frames += 1
                if self.video_frames % 5 == 0:
                    luma = bytes(frame.reformat(width=64, height=48, format="gray").planes[0])[:64 * 48]
                    self.brightest = max(self.brightest, sum(luma) / len(luma))
            else:
                self.audio_frames += 1
                samples = array.array("h", bytes(frame.planes[0]))  # aiortc decodes Opus to packed s16
                if samples:
                    self.loudest = max(self.loudest, math.sqrt(sum(x * x for x in samples) / len(samples)))

    async def _hangup_peer(self) -> None:
        if self._pc is not None:
            pc, self._pc = self._pc, None
            await media.close_connection(pc)  # bounded, as the kiosk's own close is
        for player in self._players:
            for track in (player.audio, player.video):
                if track is not None:
                    track.stop()
        self._players = []

    async def _close(self) -> None:
        await self._hangup_peer()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._ws is not None:
            await self._ws.close()
        await self._http.close()
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]  # aiortc's own, left by close
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)
