"""What the video-help benchmarks share: a camera that stamps the time into its frames, the reader of that stamp,
the real help panel driver against a help desk on loopback, and a bare aiortc pair as the baseline.

The stamp: the monotonic clock in milliseconds (32 bits) and a check byte, as 40 black or white 16x16 blocks
along the top of a 640x480 picture. Blocks on the codec's 16-pixel macroblock grid survive VP8 intact, and
CLOCK_MONOTONIC is one clock for every process on the machine, so sender and receiver may be two processes.
Read back from the RGB Picture the driver hands the screen, the figure is glass to glass minus the camera's
own exposure and the display's scan-out: everything the kiosk's software adds.
"""
from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections import deque
from dataclasses import dataclass
from unittest import mock

import av
from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from devices.help_panel import media
from devices.help_panel.webrtc import WebRtcHelpPanel
from devices.testing import agent_peer
from devices.testing.agent_peer import AgentPeer
from devices.testing.fake_helpdesk import FakeHelpDesk

WIDTH, HEIGHT, FPS = 640, 480, 15
BLOCK, BITS = 16, 40  # 32 bits of milliseconds and an 8-bit check
BLACK, WHITE = 16, 235


def now_ms() -> int:
    return int(time.monotonic() * 1000) & 0xFFFFFFFF


def _bits(ms: int) -> list[int]:
    check = (ms ^ (ms >> 8) ^ (ms >> 16) ^ (ms >> 24)) & 0xFF
    word = (ms << 8) | check
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


class StampedVideo(MediaStreamTrack):
    """A 640x480, 15 fps camera whose every frame carries the moment it was handed to the encoder."""

    kind = "video"

    def __init__(self):
        super().__init__()
        self._start = None
        self._n = 0
        self._grey = bytes([128]) * (WIDTH * (HEIGHT - BLOCK))
        self._chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._n / FPS
        await asyncio.sleep(max(0.0, due - time.monotonic()))  # the camera's own frame rate
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        row = b"".join(bytes([WHITE if b else BLACK]) * BLOCK for b in _bits(now_ms()))
        frame.planes[0].update(row * BLOCK + self._grey)
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = self._n * 90000 // FPS, fractions.Fraction(1, 90000)
        self._n += 1
        return frame


def read_stamp(pic) -> int | None:
    """The stamp of a received Picture (packed RGB), or None when the picture carries none (or a damaged one)."""
    if pic.width < BLOCK * BITS or pic.height < BLOCK:
        return None
    y = BLOCK // 2
    bits = [pic.rgb[(y * pic.width + i * BLOCK + BLOCK // 2) * 3 + 1] > 128 for i in range(BITS)]
    word = sum(b << (BITS - 1 - i) for i, b in enumerate(bits))
    ms = word >> 8
    return ms if _bits(ms) == [int(b) for b in bits] else None


class StampLog(deque):
    """A deque of one, as the driver's picture deques are, that notes when each picture arrived and its delay."""

    def __init__(self):
        super().__init__(maxlen=1)
        self.first_at: float | None = None
        self.delays: list[float] = []  # seconds, stamp to picture ready for the screen
        self.unreadable = 0

    def append(self, pic) -> None:
        super().append(pic)
        at = time.monotonic()
        if self.first_at is None:
            self.first_at = at
        ms = read_stamp(pic)
        if ms is None:
            self.unreadable += 1
        else:
            self.delays.append(((now_ms() - ms) & 0xFFFFFFFF) / 1000)


@dataclass
class Camera:
    """Looks like the MediaPlayer media.open_camera returns, holding a stamped track."""

    video: MediaStreamTrack
    audio: None = None


@contextlib.contextmanager
def stamped_camera():
    """The driver's camera replaced by a stamped one (opened anew for every call, like the real one)."""
    with mock.patch.object(media, "open_camera", lambda src: (Camera(StampedVideo()), None)):
        yield


def stamped_agent() -> AgentPeer:
    agent = AgentPeer(video=Camera(StampedVideo()))
    agent.pictures = StampLog()
    return agent


async def open_desk(tmp: str, stamped: bool) -> FakeHelpDesk:
    """A help desk on 127.0.0.1 whose staff member answers at once and stays until the kiosk hangs up."""
    desk = await FakeHelpDesk(agent=stamped_agent if stamped else AgentPeer).start()
    desk.answer = "talk"
    with open(f"{tmp}/credential", "w") as f:
        f.write(desk.credential)
    return desk


def panel_options(url: str, credential_file: str) -> dict:
    """The real driver's options as a kiosk.toml gives them, its camera and microphone ffmpeg's 640x480 15 fps
    test sources."""
    return {"url": url, "kiosk_id": "K-0001", "credential_file": credential_file, "video": agent_peer.VIDEO,
            "video_format": "lavfi", "audio": agent_peer.AUDIO, "audio_format": "lavfi"}


def kiosk_panel(url: str, credential_file: str) -> WebRtcHelpPanel:
    return WebRtcHelpPanel("help_panel", **panel_options(url, credential_file))


async def until(condition, limit_s: float = 30.0, every_s: float = 0.001) -> float:
    """Poll `condition` (another part of this loop makes it true); the moment it held, or TimeoutError."""
    deadline = time.monotonic() + limit_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(getattr(condition, "__name__", "condition"))
        await asyncio.sleep(every_s)
    return time.monotonic()


class BarePair:
    """The baseline: two RTCPeerConnections in one process, offer and answer handed over directly, each sending
    video and audio to the other, with nothing of the driver in between."""

    def __init__(self, stamped: bool):
        self.stamped = stamped
        self.received = {"a": StampLog(), "b": StampLog()}
        self.audio_at: dict[str, float] = {}
        self.players: list[MediaPlayer] = []
        self.tasks: list[asyncio.Task] = []
        self.pcs: list[RTCPeerConnection] = []

    def _tracks(self):
        audio = MediaPlayer(agent_peer.AUDIO, format="lavfi")
        self.players.append(audio)
        if self.stamped:
            return StampedVideo(), audio.audio
        video = MediaPlayer(agent_peer.VIDEO, format="lavfi")
        self.players.append(video)
        return video.video, audio.audio

    def _drain(self, side: str):
        def on_track(track):
            self.tasks.append(asyncio.ensure_future(self._read(side, track)))
        return on_track

    async def _read(self, side: str, track) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if track.kind == "audio":
                    self.audio_at.setdefault(side, time.monotonic())
                else:  # the same conversion the driver makes for the screen
                    self.received[side].append(media.picture(frame, 0))

    async def connect(self) -> float:
        """Both ends set up and exchanging media; returns the moment createOffer was called."""
        a, b = self.pcs = [RTCPeerConnection(RTCConfiguration(iceServers=[])) for _ in range(2)]
        tracks_a, tracks_b = self._tracks(), self._tracks()
        for t in tracks_a:
            a.addTrack(t)
        a.on("track", self._drain("a"))
        b.on("track", self._drain("b"))
        t0 = time.monotonic()
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        for t in tracks_b:
            b.addTrack(t)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        return t0

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for pc in self.pcs:
            await pc.close()
        for p in self.players:
            media.release(p)
