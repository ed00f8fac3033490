"""A staff member's end of a video-help call, in aiortc, for tests and bench work.

It answers the kiosk's offer (as the staff page's browser does), sends ffmpeg
lavfi test media back, answers heartbeats on the `control` channel, and keeps
what it received: the newest picture, frame and audio counts, the audio level,
the control messages. `drop()` stops it dead (no close, no goodbye) so the
kiosk must notice the silence on its own, as after a cable pull.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from unittest import mock

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from devices.help_panel.media import Drains
from devices.records import Picture

VIDEO = "testsrc=size=640x480:rate=15"
AUDIO = "sine=frequency=440:sample_rate=48000"


class AgentPeer:
    def __init__(self, video=VIDEO, audio: str = AUDIO):
        """`video`: a lavfi spec, or an opened source with `.video` and `.audio` (bench/: a stamped camera)."""
        self.player_video = MediaPlayer(video, format="lavfi") if isinstance(video, str) else video
        self.player_audio = MediaPlayer(audio, format="lavfi")
        self.pc: RTCPeerConnection | None = None
        self.drains = Drains()
        self.pictures: deque[Picture] = deque(maxlen=1)
        self.control: list[dict] = []
        self.dropped = False

    async def answer(self, offer_sdp: str, ice_servers=()) -> str:
        servers = [RTCIceServer(urls=list(s.urls), username=s.username or None, credential=s.credential or None)
                   for s in ice_servers]
        pc = self.pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=servers))
        pc.on("track", self._on_track)
        pc.on("datachannel", self._on_channel)
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        for t in pc.getTransceivers():
            if t.kind == "video":
                pc.addTrack(self.player_video.video)
            elif t.kind == "audio":
                pc.addTrack(self.player_audio.audio)
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    def _on_track(self, track) -> None:
        if track.kind == "video":
            self.drains.video(track, self.pictures)
        else:
            self.drains.audio(track)

    def _on_channel(self, channel) -> None:
        @channel.on("message")
        def on_message(message):
            msg = json.loads(message)
            self.control.append(msg)
            if msg.get("type") == "hb" and not self.dropped and channel.readyState == "open":
                channel.send(json.dumps({"v": 1, "type": "hb", "seq": msg.get("seq", 0), "ts": time.time()}))

    @property
    def connected(self) -> bool:
        return self.pc is not None and self.pc.connectionState == "connected"

    def drop(self) -> None:
        """The network between kiosk and staff is gone: no heartbeat answered, no media sent."""
        self.dropped = True
        for transceiver in self.pc.getTransceivers() if self.pc else ():
            transceiver.sender.replaceTrack(None)

    async def close(self) -> None:
        self.drains.stop()
        if self.pc is not None:
            await self.pc.close()
        for p in (self.player_video, self.player_audio):
            for track in (p.audio, p.video):
                if track is not None:
                    track.stop()


@contextlib.contextmanager
def loopback_ice():
    """Tests only: aioice skips 127.0.0.1 when gathering, so a one-machine call would never connect
    (docs/video-help.md); offer it as the one host address instead."""
    with mock.patch("aioice.ice.get_host_addresses", lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]):
        yield
