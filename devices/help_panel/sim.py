"""The simulated help panel: records guides played, calls made and contexts sent; ``answer`` is how the next
call ends.

``hold_calls()`` makes calls wait in the queue (position 1) until ``pick_up()``,
so that a test can unplug the panel while a citizen waits for staff. With
``stay_connected`` a picked-up call stays connected, drawing a moving test
picture at 15 fps, until the citizen ends it or ``staff_hang_up()``: what the
screen tests and the demo need. ``inject("camera_missing")`` makes the next
calls audio-only, as the real panel does. ``offer_callback()`` makes the
desk offer a call back to the waiting citizen (a long wait, nobody on duty);
a booked call back is recorded masked (``callbacks``), as the twin keeps
nothing personal either.
"""
from __future__ import annotations

import asyncio
import time

from devices.contracts import HelpPanel
from devices.errors import DeviceError
from devices.records import Picture
from devices.simulation import SimMixin
from devices.status import Reason

PICTURE = (160, 120)
FPS = 15


class SimHelpPanel(SimMixin, HelpPanel):
    OPTIONS = {"stay_connected": (False, "a picked-up call stays connected until one side hangs up"),
               "estimated_wait_s": (30.0, "the wait the simulated desk announces"),
               "offer_callback": (False, "the simulated desk offers a call back to every waiting citizen"),
               "callback_target_s": (4 * 3600.0, "how soon the simulated desk promises to call back")}

    def __init__(self, name: str, **options):
        super().__init__(name, **options)
        self._sim_init()
        self.answer = "unavailable"  # what the next call_staff ends with
        self.stay_connected = bool(self.options.get("stay_connected", False))
        self.calls: list[dict] = []
        self.guides: list[str] = []
        self.contexts: list[dict] = []
        self.callbacks: list[str] = []  # booked call backs, the number masked (138****5678)
        self._picked_up: asyncio.Event | None = None
        self._over: asyncio.Future | None = None
        self._last_context: dict | None = None  # sent again on every connect, as the real panel does

    def capabilities(self) -> dict:
        return {"camera": Reason.CAMERA_MISSING not in self.faults, "microphone": True, "speaker": True,
                "call_button": True}

    def hold_calls(self) -> None:
        self._picked_up = asyncio.Event()

    def pick_up(self) -> None:
        if self._picked_up is not None:
            self._picked_up.set()
            self._picked_up = None

    def offer_callback(self) -> None:
        """The desk offers a call back to the citizen waiting now (as after callback_after_s, or at night)."""
        if self._call.phase == "waiting":
            self._set_call(callback_offered=True)

    async def request_callback(self, phone: str) -> float:
        self._refuse_if_unreachable()
        if self._call.phase != "waiting" or self._over is None or self._over.done():
            raise DeviceError(f"{self.name}: no call is waiting for staff")
        target = time.time() + float(self.options.get("callback_target_s", 4 * 3600))
        self.callbacks.append(phone[:3] + "****" + phone[-4:])
        self._set_call(callback_target_at=target)
        self._finish("ended", "callback_booked")
        return target

    def staff_hang_up(self) -> None:
        self._finish("resumed", "agent_hangup")

    async def play_guide(self, video: str) -> None:
        self._refuse_if_unreachable()
        self.guides.append(video)

    async def call_staff(self, context: dict) -> str:
        self._refuse_if_unreachable()
        self.calls.append(dict(context))
        self._over = asyncio.get_running_loop().create_future()
        video = Reason.CAMERA_MISSING not in self.faults
        self._set_call(phase="waiting", position=1, estimated_wait_s=float(self.options.get("estimated_wait_s", 30)),
                       agent="", muted=False, video=video, reason="", callback_target_at=0.0,
                       callback_offered=bool(self.options.get("offer_callback", False)))
        try:
            return await self._pending(self._run())  # an unplug ends a ringing call at once (Device._pending)
        finally:
            if self._call.phase != "ended":
                self._set_call(phase="ended", reason="lost")
            self._over = None

    async def _run(self) -> str:
        if self._picked_up is not None:
            waiting = asyncio.ensure_future(self._picked_up.wait())
            await asyncio.wait((waiting, self._over), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if self._over.done():
                return self._over.result()
        if self.answer == "unavailable":
            self._set_call(phase="ended", reason="no_answer")
            return "unavailable"
        if self.answer == "ended":
            self._set_call(phase="ended", reason="callback_booked")
            return "ended"
        self._set_call(phase="connecting", position=0, estimated_wait_s=0.0, agent="模拟坐席",
                       callback_offered=False)
        self._set_call(phase="connected")
        if self._last_context is not None:
            self.contexts.append(dict(self._last_context))
        if self.stay_connected:
            painter = asyncio.ensure_future(self._paint())
            try:
                return await self._over
            finally:
                painter.cancel()
        self._set_call(phase="ended", reason="agent_hangup")
        return self.answer

    async def _paint(self) -> None:
        """A moving gradient, so a screen test can tell new frames from old ones."""
        w, h = PICTURE
        seq = 0
        while True:
            seq += 1
            row = bytes((x * 255 // w + seq * 8) % 256 for x in range(w) for _ in range(3))
            self.remote_video.append(Picture(seq, w, h, row * h))
            if self._call.video:
                self.local_video.append(Picture(seq, w, h, bytes(reversed(row)) * h))
            await asyncio.sleep(1 / FPS)  # the simulated camera's frame clock, not a synchronisation

    def _finish(self, outcome: str, reason: str) -> None:
        if self._over is not None and not self._over.done():
            self._set_call(phase="ended", reason=reason)
            self._over.set_result(outcome)

    async def set_muted(self, muted: bool) -> None:
        self._set_call(muted=bool(muted))

    async def end_call(self) -> None:
        connected = self._call.phase in ("connecting", "connected", "reconnecting")
        self._finish("resumed" if connected else "ended", "kiosk_hangup" if connected else "cancelled")

    async def send_context(self, context: dict) -> None:
        if self._call.phase == "connected":
            self.contexts.append(dict(context))
        self._last_context = dict(context)
