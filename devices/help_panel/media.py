"""The help panel's camera, microphone and speaker through PyAV (aiortc's MediaPlayer), and the tracks of a call.

A kiosk's camera and microphone are V4L2 and ALSA or PulseAudio devices; in
tests they are ffmpeg's lavfi sources (`testsrc`, `sine`): the same code
path, only the format differs. A missing or busy camera is not a failed call:
the call goes audio-only and the fault is reported (Reason.CAMERA_MISSING or
CAMERA_BUSY). Every received track is drained as fast as it arrives (aiortc's
receive queue is unbounded: a slow reader means growing delay), and only the
newest picture is kept, in a deque of one, for the screen to blit on its loop.
"""
from __future__ import annotations

import asyncio
import errno
import math
from array import array
from collections import deque
from dataclasses import dataclass

import av
from av.video.reformatter import VideoReformatter
import structlog
from aiortc.contrib.media import MediaPlayer, MediaRecorder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from devices.records import Picture
from devices.status import Reason
from wire import signaling as sig

log = structlog.get_logger("devices.help_panel")
PREVIEW = (160, 120)  # the citizen's own small picture: a corner of the screen, cheap to convert


@dataclass(frozen=True)
class Sources:
    video: str
    video_format: str
    video_size: str
    framerate: int
    audio: str
    audio_format: str
    speaker: str
    speaker_format: str

    def video_options(self) -> dict:
        """V4L2 takes size and rate from the driver's options; a lavfi source carries them in its own spec."""
        if self.video_format == "lavfi":
            return {}
        return {"video_size": self.video_size, "framerate": str(self.framerate)}


def open_camera(src: Sources) -> tuple[MediaPlayer | None, Reason | None]:
    """The camera, or None and why not (the call then goes audio-only)."""
    if not src.video:
        return None, Reason.CAMERA_MISSING
    try:
        player = MediaPlayer(src.video, format=src.video_format or None, options=src.video_options())
    except (av.FFmpegError, OSError) as exc:
        busy = getattr(exc, "errno", None) == errno.EBUSY
        log.warning("help_panel.camera_unusable", source=src.video, busy=busy, error=type(exc).__name__)
        return None, Reason.CAMERA_BUSY if busy else Reason.CAMERA_MISSING
    if player.video is None:
        return None, Reason.CAMERA_MISSING
    return player, None


def open_microphone(src: Sources) -> MediaPlayer | None:
    try:
        player = MediaPlayer(src.audio, format=src.audio_format or None)
    except (av.FFmpegError, OSError) as exc:
        log.warning("help_panel.microphone_unusable", source=src.audio, error=type(exc).__name__)
        return None
    return player if player.audio is not None else None


def open_speaker(src: Sources) -> MediaRecorder | None:
    """Where staff's voice plays; none configured (tests, a kiosk with its own speakerphone): only drained."""
    if not src.speaker:
        return None
    try:
        return MediaRecorder(src.speaker, format=src.speaker_format or None)
    except (av.FFmpegError, OSError) as exc:
        log.warning("help_panel.speaker_unusable", source=src.speaker, error=type(exc).__name__)
        return None


CLOSE_S = 5.0  # aiortc's close can wait on a transport that never answers (aiortc#283): a hang-up waits no longer


async def close_connection(pc) -> None:
    """Close a peer connection, giving up after CLOSE_S: a hang-up must not wait on it, and the next call
    builds a new connection anyway."""
    try:
        await asyncio.wait_for(pc.close(), CLOSE_S)
    except asyncio.TimeoutError:
        log.warning("help_panel.close_timeout", after_s=CLOSE_S)


def release(player: MediaPlayer | None) -> None:
    """Stop a player's tracks: its reading thread ends and the device is closed (MediaPlayer._stop)."""
    if player is None:
        return
    for track in (player.audio, player.video):
        if track is not None:
            track.stop()


class MutableAudio(MediaStreamTrack):
    """The microphone with a mute: muted frames go out as silence, so timing and the stream stay intact."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack):
        super().__init__()
        self.source = source
        self.muted = False

    async def recv(self):
        frame = await self.source.recv()
        if self.muted:
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
        return frame

    def stop(self) -> None:
        super().stop()
        self.source.stop()


def picture(frame: av.VideoFrame, seq: int, size: tuple[int, int] | None = None,
            scaler: VideoReformatter | None = None) -> Picture:
    """Packed RGB rows of a decoded frame (the row padding PyAV may add removed).

    With its own `scaler`, never the frame's cached one: a camera frame is shared (MediaRelay) with the
    encoder, which converts it in a worker thread at the same moment; one SwsContext used from two
    threads crashes the process (seen here as a segfault in vpx encode).
    """
    w, h = size or (frame.width, frame.height)
    rgb = (scaler or VideoReformatter()).reformat(frame, width=w, height=h, format="rgb24")
    plane, row = rgb.planes[0], w * 3
    data = bytes(plane)
    if plane.line_size != row:
        data = b"".join(data[y * plane.line_size:y * plane.line_size + row] for y in range(h))
    return Picture(seq, w, h, data)


def rms(frame: av.AudioFrame) -> float:
    """Root mean square of a 16-bit frame, 0..32767 (silence is 0); other formats are converted first."""
    if frame.format.name not in ("s16", "s16p"):
        frame = av.AudioResampler(format="s16", layout=frame.layout.name, rate=frame.sample_rate).resample(frame)[0]
    count = frame.samples * (len(frame.layout.channels) if frame.format.name == "s16" else 1)
    samples = array("h", bytes(frame.planes[0])[:count * 2])
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples)))


class Drains:
    """Tasks reading every received (and previewed) track; counters say what arrived, for health and tests."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []
        self.video_frames = 0
        self.audio_frames = 0
        self.audio_level = 0.0  # RMS of the last received audio frame

    def video(self, track: MediaStreamTrack, out: deque, size: tuple[int, int] | None = None,
              counted: bool = True) -> None:
        self.tasks.append(asyncio.ensure_future(self._video(track, out, size, counted)))

    def audio(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._audio(track)))

    async def _video(self, track, out: deque, size, counted: bool) -> None:
        seq, scaler = 0, VideoReformatter()
        try:
            while True:
                frame = await track.recv()
                seq += 1
                out.append(picture(frame, seq, size, scaler))
                if counted:
                    self.video_frames += 1
        except MediaStreamError:
            return

    async def _audio(self, track) -> None:
        try:
            while True:
                frame = await track.recv()
                self.audio_frames += 1
                if self.audio_frames % 5 == 1:  # a level four times a second is plenty, and cheap
                    self.audio_level = rms(frame)
        except MediaStreamError:
            return

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()


def quality(report, fps: float) -> sig.Quality:
    """One quality sample from a getStats report: the worst round trip and loss the other side reports."""
    remote = [r for r in report.values() if r.type == "remote-inbound-rtp"]
    rtt = max((r.roundTripTime or 0 for r in remote), default=0.0)
    loss = max((r.fractionLost or 0 for r in remote), default=0.0)
    return sig.Quality(min(60_000.0, rtt * 1000), min(1.0, max(0.0, float(loss))), min(240.0, max(0.0, fps)))
