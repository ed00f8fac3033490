"""The live help panel: a WebRTC call to the back office's help desk, in aiortc.

The driver owns both the media (media.py: camera and microphone through
PyAV) and the call's signaling (the WebSocket `/ws/kiosk`, wire/signaling.py,
docs/operations.md): a call is one operation of the device (`call_staff`), so
an unplug, a close and the citizen's end button all end the same thing, and
devices/ needs nothing from kiosk/.

Rules it keeps (docs/video-help.md):
- ICE servers are only those configured here plus the TURN servers the desk
  sends in `call.assigned` (time-limited credentials); never aiortc's default
  public STUN server: RTCConfiguration(iceServers=[...]) is always given.
- The kiosk always offers, with every candidate in the SDP (aiortc does not
  trickle); the desk's trickled candidates are accepted.
- A drop is noticed within seconds: a heartbeat on the `control` DataChannel
  (once the other side has sent one) or the peer connection failing. The
  call then comes back with a NEW peer connection (`call.resume` with the
  token from `call.assigned`; aiortc cannot restart ICE), or ends.
- `send_context` takes values the caller already masked; a value the wire
  contract's check finds unmasked is dropped here, never sent.
- `request_callback` sends the citizen's number once (`callback.request`) and
  keeps nothing of it; the desk answers `callback.booked` with its target
  time, then `call.ended` (callback_booked).
"""
from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.sdp import candidate_from_sdp

from devices.base import driver_options
from devices.contracts import HelpPanel
from devices.errors import ConfigError, DeviceError, DeviceOffline
from devices.help_panel import media
from devices.help_panel.desk_link import DeskLink, DeskRefused, DeskUnreachable, context_body, ice_server
from devices.help_panel.heartbeat import Heartbeat
from devices.help_panel.options import OPTIONS
from devices.status import Reason
from wire import signaling as sig
from wire.errors import WireError

log = structlog.get_logger("devices.help_panel")
CAMERA_FAULTS = {Reason.CAMERA_MISSING, Reason.CAMERA_BUSY}
LIVE = ("connecting", "connected", "reconnecting")



class _Ended(Exception):
    """The call is over: `outcome` for call_staff, `reason` for the screen."""

    def __init__(self, outcome: str, reason: str):
        super().__init__(reason)
        self.outcome, self.reason = outcome, reason


class WebRtcHelpPanel(HelpPanel):
    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        cfg = driver_options(name, options, OPTIONS, required=("url", "kiosk_id", "credential_file"))
        self.cfg = cfg
        self.sources = media.Sources(cfg["video"], cfg["video_format"], cfg["video_size"], int(cfg["framerate"]),
                                     cfg["audio"], cfg["audio_format"], cfg["speaker"], cfg["speaker_format"])
        try:
            self.ice_servers = [ice_server(s) for s in cfg["ice_servers"]]
        except (KeyError, TypeError, AttributeError):
            raise ConfigError(f"{name}: each of ice_servers needs urls = [...] (and username, credential)") from None
        self.guides: list[str] = []
        self.drains = media.Drains()  # what arrived in the current (or last) call
        self.pc: RTCPeerConnection | None = None
        self.link = DeskLink(cfg["url"], cfg["kiosk_id"], cfg["credential_file"], float(cfg["backoff_max_s"]))
        self._call_id = ""
        self._token = ""
        self._context: dict | None = None
        self._mic: media.MutableAudio | None = None
        self._hangup: asyncio.Future | None = None
        self._booking: asyncio.Future | None = None  # a callback.request sent, callback.booked not yet heard
        self._dropped: asyncio.Event = asyncio.Event()
        self._hb = Heartbeat(float(cfg["heartbeat_s"]), int(cfg["heartbeat_misses"]))
        self._in_call = False
        self._was_connected = False  # this call reached staff: its end is "resumed"
        self._media_deadline = 0.0
        self._players: tuple = ()
        self._speaker = None

    def capabilities(self) -> dict:
        return {"camera": not (self.status.reasons & CAMERA_FAULTS), "microphone": True, "speaker": True,
                "call_button": True, "webrtc": True}

    # lifecycle -----------------------------------------------------------------------------------
    async def open(self) -> None:
        await self.check_health()

    async def check_health(self):
        """Try the camera and microphone (not during a call: they are in use then)."""
        if not self._in_call:
            camera, fault = await asyncio.to_thread(media.open_camera, self.sources)
            mic = await asyncio.to_thread(media.open_microphone, self.sources)
            media.release(camera)
            media.release(mic)
            self._media_status(fault, mic is not None)
        return self.status

    def _media_status(self, camera_fault: Reason | None, microphone: bool) -> None:
        reasons = ({Reason.NO_DEVICE} if not microphone else set()) | ({camera_fault} if camera_fault else set())
        detail = "microphone missing" if not microphone else (f"audio only: {camera_fault}" if camera_fault else "")
        self._set_reasons(reasons, detail)

    async def close(self) -> None:
        await super().close()  # a call in progress fails with DeviceOffline and cleans up after itself
        await self.link.close()

    # the contract ---------------------------------------------------------------------------------
    async def play_guide(self, video: str) -> None:
        """The panel has no screen of its own: the kiosk's screen plays guides; this records the request."""
        await self._refuse_if_gone()
        self.guides.append(video)
        self._emit("guide", video=video)

    async def call_staff(self, context: dict) -> str:
        await self._refuse_if_gone()
        self._in_call = True
        self._hangup = asyncio.get_running_loop().create_future()
        self._set_call(phase="waiting", position=0, estimated_wait_s=0.0, agent="", muted=False, video=True,
                       reason="", callback_offered=False, callback_target_at=0.0)
        try:
            outcome = await self._pending(self._run(context))
        finally:
            if self.call_state.phase != "ended":  # unplugged, or the caller cancelled (the kiosk stopping)
                self._set_call(phase="ended", reason="lost")
            if self._booking is not None and not self._booking.done():
                self._booking.set_exception(DeviceError(f"{self.name}: the call is over"))
            await self._teardown()
            self._in_call = False
            self._hangup = None
        return outcome

    async def set_muted(self, muted: bool) -> None:
        if self._mic is not None:
            self._mic.muted = bool(muted)
        self._set_call(muted=bool(muted))

    async def end_call(self) -> None:
        if self._hangup is not None and not self._hangup.done():
            self._hangup.set_result(None)

    async def request_callback(self, phone: str) -> float:
        if not self._in_call or self.call_state.phase != "waiting" or not self._call_id:
            raise DeviceError(f"{self.name}: no call is waiting for staff")
        if self._booking is not None and not self._booking.done():
            raise DeviceError(f"{self.name}: a call back is being booked already")
        self._booking = asyncio.get_running_loop().create_future()
        try:
            await self._send(sig.CallbackRequest(phone))
        except WireError as err:  # the field, never the number
            raise DeviceError(f"{self.name}: not a telephone number ({err.at})") from None
        except (ConnectionError, RuntimeError) as exc:
            raise DeviceError(f"{self.name}: the help desk is not connected") from exc
        try:
            return await asyncio.wait_for(asyncio.shield(self._booking), float(self.cfg["callback_timeout_s"]))
        except asyncio.TimeoutError:
            raise DeviceError(f"{self.name}: the help desk did not book the call back") from None
        finally:
            self._booking = None

    async def send_context(self, context: dict) -> None:
        self._context = dict(context)
        if self.call_state.phase == "connected":
            await self._send_context()

    # a call -------------------------------------------------------------------------------------
    async def _refuse_if_gone(self) -> None:
        """Ask the microphone and camera first, as a real driver's first poll would."""
        await self.check_health()
        if Reason.NO_DEVICE in self.status.reasons or Reason.NOT_CONFIGURED in self.status.reasons:
            raise DeviceOffline(f"{self.name}: {self.status.detail or 'unplugged'}")

    async def _run(self, context: dict) -> str:
        skill = context.get("skill") or self.cfg["skill"]
        try:
            await self._connect(float(self.cfg["connect_timeout_s"]))
            await self._send(sig.HelpRequest(str(context.get("flow", ""))[:200], str(context.get("step", ""))[:200],
                                             str(context.get("locale") or "zh-CN")[:20],
                                             skill if skill in sig.SKILLS else "general"))
            while True:
                await self._next_signal()
        except _Ended as end:
            if self._booking is not None and not self._booking.done():  # ended before the desk booked it
                self._booking.set_exception(DeviceError(f"{self.name}: the call ended ({end.reason})"))
            self._set_call(phase="ended", reason=end.reason)
            log.info("help_panel.call_ended", reason=end.reason, outcome=end.outcome)
            return end.outcome

    async def _next_signal(self) -> None:
        """Wait for the desk, the citizen's end button or a network drop, and act on whichever comes first."""
        receive = asyncio.ensure_future(self.link.receive())
        dropped = asyncio.ensure_future(self._dropped.wait())
        limit = None  # media must come up (or back) within resume_window_s, or the call ends cleanly
        if self.call_state.phase in ("connecting", "reconnecting"):
            limit = max(0.0, self._media_deadline - time.monotonic())
        try:
            done, _ = await asyncio.wait((receive, dropped, self._hangup), timeout=limit,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            dropped.cancel()
            if not receive.done():
                receive.cancel()
        if not done:
            log.warning("help_panel.media_never_came", phase=self.call_state.phase)
            raise _Ended("resumed" if self._was_connected else "unavailable", "lost")
        if self._hangup.done():
            await self._citizen_hangs_up()
        if dropped.done() and not receive.done():
            await self._recover("heartbeat")
            return
        got = receive.result()
        if got is None:
            await self._recover("signaling")
            return
        await self._on_signal(*got)

    async def _on_signal(self, signal: sig.Signal, body: sig.Body) -> None:
        if isinstance(body, sig.QueueUpdate):
            self._call_id = signal.call_id or self._call_id
            self._set_call(phase="waiting", position=body.position, estimated_wait_s=body.estimated_wait_s,
                           callback_offered=body.callback_offered)
        elif isinstance(body, sig.CallbackBooked):
            self._set_call(callback_target_at=body.target_at)
            if self._booking is not None and not self._booking.done():
                self._booking.set_result(body.target_at)
        elif isinstance(body, sig.CallAssigned):
            self._call_id, self._token = signal.call_id, body.resume_token
            self._media_deadline = time.monotonic() + float(self.cfg["resume_window_s"])
            self._set_call(phase="connecting" if self.call_state.phase != "reconnecting" else "reconnecting",
                           agent=body.agent_name[:40], position=0, estimated_wait_s=0.0, callback_offered=False)
            await self._offer(body.ice_servers)
        elif isinstance(body, sig.SdpAnswer) and self.pc is not None:
            await self.pc.setRemoteDescription(RTCSessionDescription(body.sdp, "answer"))
        elif isinstance(body, sig.IceCandidate) and self.pc is not None and body.candidate:
            candidate = candidate_from_sdp(body.candidate.removeprefix("candidate:"))
            candidate.sdpMid, candidate.sdpMLineIndex = body.sdp_mid, body.sdp_mline_index
            await self.pc.addIceCandidate(candidate)
        elif isinstance(body, sig.CallTransferring):
            await self._close_pc()
            self._set_call(phase="waiting", agent="")
        elif isinstance(body, sig.CallEnded):
            if body.reason == "callback_booked":
                raise _Ended("ended", body.reason)
            raise _Ended("resumed" if self._was_connected else "unavailable", body.reason)
        elif isinstance(body, sig.Error):
            log.warning("help_panel.desk_refused", code=body.code)
            if self._booking is not None and not self._booking.done():  # the desk would not book it
                self._booking.set_exception(DeviceError(f"{self.name}: the help desk refused the call back "
                                                        f"({body.code})"))
                return
            if self.call_state.phase == "reconnecting":  # the desk cannot bring the call back: end it cleanly
                raise _Ended("resumed" if self._was_connected else "unavailable", "lost")
            if body.code == "unauthorized":
                raise _Ended("unavailable", "refused")

    async def _citizen_hangs_up(self) -> None:
        talking = self.call_state.phase in LIVE
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._send(sig.Hangup() if talking else sig.HelpCancel())
        raise _Ended("resumed" if talking else "ended", "kiosk_hangup" if talking else "cancelled")

    # media and the peer connection -------------------------------------------------------------------
    async def _offer(self, desk_servers: list[sig.IceServer]) -> None:
        """A NEW peer connection for each assignment (first, after a transfer, after a drop)."""
        await self._close_pc()
        config = RTCConfiguration(iceServers=self.ice_servers + [ice_server(s) for s in desk_servers])
        pc = self.pc = RTCPeerConnection(configuration=config)
        camera, fault = await asyncio.to_thread(media.open_camera, self.sources)
        mic = await asyncio.to_thread(media.open_microphone, self.sources)
        self._media_status(fault, mic is not None)
        if mic is None:
            media.release(camera)
            raise DeviceOffline(f"{self.name}: microphone missing")
        self._players = (camera, mic)
        self._mic = media.MutableAudio(mic.audio)
        self._mic.muted = self.call_state.muted
        pc.addTrack(self._mic)
        self._set_call(video=camera is not None)
        if camera is not None:
            relay = self._relay = MediaRelay()
            pc.addTrack(relay.subscribe(camera.video))
            self.drains.video(relay.subscribe(camera.video), self.local_video, media.PREVIEW, counted=False)
        else:  # audio-only: the citizen still sees staff
            pc.addTransceiver("video", direction="recvonly")
        self._speaker = media.open_speaker(self.sources)
        channel = pc.createDataChannel("control")
        channel.on("open", lambda: self.drains.tasks.append(asyncio.ensure_future(self._watch(channel))))
        channel.on("message", self._hb.heard)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", lambda: self._on_pc_state(pc))
        await pc.setLocalDescription(await pc.createOffer())  # gathers every candidate: no trickle from aiortc
        await self._send(sig.SdpOffer(pc.localDescription.sdp))

    def _on_track(self, track) -> None:
        if track.kind == "video":
            self.drains.video(track, self.remote_video)
        elif self._speaker is not None:
            relay = MediaRelay()
            self._speaker.addTrack(relay.subscribe(track))
            self.drains.tasks.append(asyncio.ensure_future(self._speaker.start()))
            self.drains.audio(relay.subscribe(track))
        else:
            self.drains.audio(track)

    def _on_pc_state(self, pc: RTCPeerConnection) -> None:
        if pc is not self.pc:
            return
        state = pc.connectionState
        if state == "connected":
            self._set_call(phase="connected")
            self._was_connected = True
            self._hb.alive()
            self.drains.tasks.append(asyncio.ensure_future(self._quality(pc)))
            asyncio.ensure_future(self._send_context())
        elif state in ("failed", "closed") and self.call_state.phase == "connected":
            self._dropped.set()

    async def _watch(self, channel) -> None:
        if await self._hb.run(channel, lambda: self.call_state.phase == "connected"):
            self._dropped.set()

    async def _quality(self, pc: RTCPeerConnection) -> None:
        """While connected: what the desk's per-call WebRTC figures are made of (aiortc's getStats)."""
        every, frames = float(self.cfg["quality_s"]), self.drains.video_frames
        while True:
            await asyncio.sleep(every)  # the sampling period
            sample = media.quality(await pc.getStats(), (self.drains.video_frames - frames) / every)
            frames = self.drains.video_frames
            with contextlib.suppress(ConnectionError, RuntimeError, WireError):
                await self._send(sample)

    async def _recover(self, why: str) -> None:
        """The network dropped: a new socket if needed, `call.resume`, and a new peer connection on the answer."""
        self._dropped.clear()
        self._hb.reset()
        if self.call_state.phase not in LIVE:
            if why == "signaling":  # lost while waiting: the desk has counted the call abandoned
                raise _Ended("unavailable", "lost")
            return
        log.warning("help_panel.call_dropped", why=why)
        self._set_call(phase="reconnecting")
        self._media_deadline = time.monotonic() + float(self.cfg["resume_window_s"])
        await self._close_pc()
        if not self.link.open or why == "signaling":
            await self._connect(float(self.cfg["resume_window_s"]))
        await self._send(sig.CallResume(self._token))

    async def _send_context(self) -> None:
        if self._context is None or not self._call_id:
            return
        try:
            await self._send(context_body(self._context))
        except WireError as err:  # an unmasked value: not sent at all, and the key (never the value) logged
            log.error("help_panel.context_refused", at=err.at)
        except (ConnectionError, RuntimeError):
            log.warning("help_panel.context_not_sent")

    # signaling ---------------------------------------------------------------------------------------
    async def _connect(self, limit_s: float) -> None:
        try:
            await self.link.connect(self._call_id, limit_s)
        except DeskRefused:
            raise _Ended("unavailable", "refused") from None
        except DeskUnreachable:
            raise _Ended("unavailable", "lost") from None

    async def _send(self, body: sig.Body) -> None:
        await self.link.send(self._call_id, body)

    async def _close_pc(self) -> None:
        self.drains.stop()
        pc, self.pc = self.pc, None
        if pc is not None:
            await media.close_connection(pc)
        for player in getattr(self, "_players", ()):
            media.release(player)
        self._players = ()
        speaker, self._speaker = getattr(self, "_speaker", None), None
        if speaker is not None:
            with contextlib.suppress(Exception):  # a speaker that vanished mid-call must not block the hang-up
                await speaker.stop()
        self._mic = None

    async def _teardown(self) -> None:
        await self._close_pc()
        await self.link.close_socket()
        self._call_id = self._token = ""
        self._dropped.clear()
        self._hb.reset()
        self._was_connected = False
