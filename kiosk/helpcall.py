"""The citizen's video call to the help desk, beside the visit rather than inside it.

視頻求助 can be tapped on the home screen and on any step; the call runs on the
help panel (devices/help_panel) while the visit stays exactly where it was.
This keeps the panel's call state as data for the screen (waiting with queue
position and estimated wait, connecting, connected, reconnecting, ended),
passes the citizen's mute and end taps on, and tells staff what the citizen
sees: built from the step's VIEW, which is already masked (kiosk/engine/views.py),
never from session data. Every call on the panel shows here, also one a flow's
`video_help` step or an ending's offer placed.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from devices.errors import DeviceError
from devices.records import CallState
from kiosk.engine.views import StepView

log = structlog.get_logger("kiosk.helpcall")
ACTIVE = ("waiting", "connecting", "connected", "reconnecting")
ENDED_SHOWN_S = 4.0  # "the call has ended" stays this long, then the panel closes
ACTIONS = ("help", "call_mute", "call_end")


def context_of(view: StepView | None) -> dict:
    """What staff see beside the video: the item, the step, its texts and the values exactly as on screen."""
    if view is None:
        return {"item": "", "step": "home", "texts": [], "values": {}}
    texts = [t for t in (view.title, view.text, view.status) if t] + [o.label for o in view.options]
    texts += [f.label for f in view.fields]
    return {"item": view.flow, "step": view.step, "texts": texts, "values": {i.label: i.value for i in view.items}}


class HelpCall:
    def __init__(self, panel, clock, on_change: Callable[[CallState | None], None]):
        self.panel, self.clock, self.on_change = panel, clock, on_change
        self.state: CallState | None = None
        self._task: asyncio.Task | None = None
        self._asked = False  # tapped, and the panel has not reported a state since
        self._close_timer = None
        if panel is not None:
            panel.on_call(self._changed)

    @property
    def active(self) -> bool:
        return self.state is not None and self.state.phase in ACTIVE

    @property
    def busy(self) -> bool:
        """Asked for and not over: from the tap, before the panel reports its first state, until it ends."""
        # not "the task is running": the panel reports "ended" (no answer) from inside call_staff, and a home
        # screen rebuilt then kept saying "calling" after the call was over
        return self.active or self._asked

    def act(self, kind: str, view: StepView | None, locale: str) -> bool:
        """help, call_mute or call_end; False when it could not be done (no panel, no call)."""
        if self.panel is None:
            return False
        if kind == "help":
            return self.start(view, locale)
        if not self.active:
            return False
        if kind == "call_mute":
            asyncio.ensure_future(self.panel.set_muted(not self.state.muted))
        else:
            asyncio.ensure_future(self.panel.end_call())
        return True

    def start(self, view: StepView | None, locale: str) -> bool:
        if self.active:
            return False
        context = context_of(view)
        log.info("helpcall.start", item=context["item"], step=context["step"])
        self._asked = True
        self._task = asyncio.ensure_future(self._run(context, locale))
        return True

    def step_changed(self, view: StepView | None) -> None:
        if self.active:
            asyncio.ensure_future(self.panel.send_context(context_of(view)))

    async def _run(self, context: dict, locale: str) -> None:
        await self.panel.send_context(context)
        try:
            outcome = await self.panel.call_staff({"flow": context["item"], "step": context["step"], "locale": locale})
            log.info("helpcall.over", outcome=outcome)
        except DeviceError as exc:  # the panel is gone: the citizen is told, the visit is untouched
            log.warning("helpcall.failed", error=type(exc).__name__)
            self._changed(CallState(phase="ended", reason="unavailable"))
        finally:
            if self._asked:  # over without a single state from the panel
                self._asked = False
                self.on_change(self.state)

    def _changed(self, state: CallState) -> None:
        self.state = state
        self._asked = False
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if state.phase == "ended":
            self._close_timer = self.clock.call_later(ENDED_SHOWN_S, self._close)
        self.on_change(state)

    def _close(self) -> None:
        self._close_timer = None
        if self.state is not None and self.state.phase == "ended":
            self.state = None
            self.on_change(None)
