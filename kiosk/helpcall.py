"""The citizen's video call to the help desk, beside the visit rather than inside it.

視頻求助 can be tapped on the home screen and on any step; the call runs on the
help panel (devices/help_panel) while the visit stays exactly where it was.
This keeps the panel's call state as data for the screen (waiting with queue
position and estimated wait, connecting, connected, reconnecting, ended),
passes the citizen's mute and end taps on, and tells staff what the citizen
sees: built from the step's VIEW, which is already masked (kiosk/engine/views.py),
never from session data. Every call on the panel shows here, also one a flow's
`video_help` step or an ending's offer placed.

When the desk offers a call back (the citizen waited too long, or nobody is on
duty: at night a 24-hour kiosk is often alone), this decides the offer's
steps (`CallbackForm`): the offer beside keep-waiting and end, the number on
the keypad, checked as every call-back form checks it, sent over the panel,
and the desk's target time. The number passes through, once, to the panel: it
is never kept here, never logged, and the typed digits live only in the call
panel's form, dropped when the form closes.
"""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable

import structlog

from devices.errors import DeviceError
from devices.records import CallState
from kiosk.engine.aftercare import mobile_number
from kiosk.engine.views import StepView

log = structlog.get_logger("kiosk.helpcall")
ACTIVE = ("waiting", "connecting", "connected", "reconnecting")
ENDED_SHOWN_S = 4.0  # "the call has ended" stays this long, then the panel closes
BOOKED_SHOWN_S = 20.0  # the call-back's confirmation and its time: long enough to read twice, or tap OK
NUMBER_FORM_S = 120.0  # a number form left open this long closes, and the digits typed go with it
ACTIONS = ("help", "call_mute", "call_end", "call_close", "call_callback", "call_callback_wait",
           "call_callback_back", "call_callback_submit")


@dataclasses.dataclass(frozen=True)
class CallbackForm:
    """The call-back offer as the call panel shows it; nothing personal (the digits stay in the form).

    step: offer (leave a number, keep waiting, end), waiting (the citizen chose to wait: a smaller button
    stays), number (the keypad), sending, failed (try again or wait), booked (the time staff will call by).
    """
    step: str
    error: str = ""  # a text key: call:callback_bad_phone, call:callback_failed
    when: str = ""  # once booked: the target time as the citizen reads it (21:30, or 12-07 09:30)


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
        self._form: CallbackForm | None = None  # the citizen's own steps through the call-back offer
        self._form_timer = None
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

    @property
    def callback(self) -> CallbackForm | None:
        """What the call panel shows of the call-back offer, or None (no offer, or the call is not waiting)."""
        state = self.state
        if state is None:
            return None
        if state.phase == "ended":
            return self._form if self._form is not None and self._form.step == "booked" else None
        if state.phase != "waiting" or not state.callback_offered:
            return None
        return self._form or CallbackForm("offer")

    def act(self, kind: str, view: StepView | None, locale: str, value=None) -> bool:
        """help, call_mute, call_end, call_close or a call-back step; False when it could not be done."""
        if self.panel is None:
            return False
        if kind == "help":
            return self.start(view, locale)
        if kind == "call_close":
            if self.state is None or self.state.phase != "ended":
                return False
            self._close()
            return True
        if kind.startswith("call_callback"):
            return self._callback_step(kind, value)
        if not self.active:
            return False
        if kind == "call_mute":
            asyncio.ensure_future(self.panel.set_muted(not self.state.muted))
        else:
            asyncio.ensure_future(self.panel.end_call())
        return True

    def start(self, view: StepView | None, locale: str) -> bool:
        if self.busy:
            return False
        context = context_of(view)
        log.info("helpcall.start", item=context["item"], step=context["step"])
        self._asked = True
        self._task = asyncio.ensure_future(self._run(context, locale, self._task))
        return True

    def _callback_step(self, kind: str, value) -> bool:
        form = self.callback
        if form is None or form.step in ("sending", "booked"):
            return False
        if kind == "call_callback":
            self._set_form(CallbackForm("number"))
        elif kind == "call_callback_wait":
            self._set_form(CallbackForm("waiting"))
        elif kind == "call_callback_back":
            self._set_form(CallbackForm("offer"))
        elif form.step != "number":
            return False
        else:
            phone = mobile_number(value)
            if phone is None:
                log.info("helpcall.callback_bad_number")  # that it was refused, never what was typed
                self._set_form(CallbackForm("number", error="call:callback_bad_phone"))
            else:
                self._set_form(CallbackForm("sending"))
                asyncio.ensure_future(self._book(phone))
        self.on_change(self.state)
        return True

    def _set_form(self, form: CallbackForm | None) -> None:
        """A number form gets a time limit: a citizen who walked away must not leave digits for the next."""
        if self._form_timer is not None:
            self._form_timer.cancel()
            self._form_timer = None
        self._form = form
        if form is not None and form.step == "number":
            self._form_timer = self.clock.call_later(NUMBER_FORM_S, self._form_expired)

    def _form_expired(self) -> None:
        self._form_timer = None
        self._close_number()

    def _close_number(self) -> None:
        """An open number form goes back to the offer, and the digits typed into it with it."""
        if self._form is not None and self._form.step == "number":
            self._set_form(CallbackForm("offer"))
            self.on_change(self.state)

    async def _book(self, phone: str) -> None:
        log.info("helpcall.callback_requested")
        try:
            target = await self.panel.request_callback(phone)
        except DeviceError as exc:
            log.warning("helpcall.callback_failed", error=type(exc).__name__)
            if self._form is not None and self._form.step == "sending":
                self._set_form(CallbackForm("failed", error="call:callback_failed"))
                self.on_change(self.state)
            return
        when = dt.datetime.fromtimestamp(target)
        today = dt.datetime.fromtimestamp(self.clock.wallclock().timestamp()).date()
        self._set_form(CallbackForm("booked", when=f"{when:%H:%M}" if when.date() == today else f"{when:%m-%d %H:%M}"))
        log.info("helpcall.callback_booked", target_at=round(target))
        if self.state is not None and self.state.phase == "ended":  # the desk's call.ended came first
            self._changed(self.state)
        else:
            self.on_change(self.state)

    def visit_ended(self) -> None:
        """A call can outlive the visit (the citizen went home on it); a number being typed does not."""
        self._close_number()
        self.step_changed(None)

    def step_changed(self, view: StepView | None) -> None:
        if self.active:
            asyncio.ensure_future(self.panel.send_context(context_of(view)))

    async def _run(self, context: dict, locale: str, previous: asyncio.Task | None) -> None:
        if previous is not None and not previous.done():
            # the panel says "ended" before its teardown is over; a call placed in that gap (a citizen tapping
            # 视频求助 again while "ended" is still shown) would be torn down with the last one and end at once
            await asyncio.wait([previous])
        await self.panel.send_context(context)
        try:
            outcome = await self.panel.call_staff({"flow": context["item"], "step": context["step"], "locale": locale})
            log.info("helpcall.over", outcome=outcome)
        except DeviceError as exc:  # the panel is gone: the citizen is told, the visit is untouched
            log.warning("helpcall.failed", error=type(exc).__name__)
            self._changed(CallState(phase="ended", reason="unavailable"))
        finally:
            if self._asked and self._task is asyncio.current_task():  # over without a single state from the panel
                self._asked = False
                self.on_change(self.state)

    def _changed(self, state: CallState) -> None:
        self.state = state
        self._asked = False
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if state.phase not in ("waiting", "ended") or (state.phase == "ended" and state.reason != "callback_booked"):
            self._set_form(None)  # staff answered, or the call is over: the offer is gone
        if state.phase == "ended":
            booked = self._form is not None and self._form.step == "booked"
            self._close_timer = self.clock.call_later(BOOKED_SHOWN_S if booked else ENDED_SHOWN_S, self._close)
        self.on_change(state)

    def _close(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
        self._close_timer = None
        if self.state is not None and self.state.phase == "ended":
            self.state = None
            self._set_form(None)
            self.on_change(None)
