"""After the visit: the ending, a way out of a dead end, and the rating (好差评).

Like a session, a pure state machine (events in, commands out) that the
same SessionRunner drives, so actions from the touch UI, a scenario or a
remote agent are treated alike. It starts once the visit has ended and
wiped itself, and holds nothing personal: the ending's facts are not, and
the one personal value it ever sees, a phone number typed for a call-back,
goes straight out in a command and is not kept.

Phases: ``ending`` (a failure: the ways on, in order), ``callback`` (the
phone number form), ``rating`` (five levels, one tap, skippable),
``reasons`` (a low rating: optional reasons), ``rated`` (thanks; over).
Every phase but the last has a time limit of its own, longer in elderly
mode; when the rating's runs out the visit counts as not rated.
"""
from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.engine import ending_texts as words
from kiosk.engine import referral
from kiosk.engine.aftercare_policy import AftercarePolicy
from kiosk.engine.endings import Ending
from kiosk.engine.messages import (Action, CancelTimer, Command, Event, Finished, OpDone, Rejected, Show, StartOp,
                                   StartTimer, TimerFired)
from kiosk.engine.offers import Offer
from kiosk.engine.views import FieldView, OptionView, StepView
from kiosk.i18n import t

LEVELS = (5, 4, 3, 2, 1)  # as the halls' rating pads show them: most satisfied first
PHONE = re.compile(r"^1\d{10}$")
HELP_WAIT_S = 300.0  # a video call may run long; the panel ends it, this only guards a panel that never answers
DEVICE_WAIT_S = 45.0  # a ticket or a slip: seconds, not minutes
ACTIONS = {"choose", "done", "skip", "submit", "back", "home", "help", "set_locale", "set_elderly", "extend"}


def mobile_number(value) -> str | None:
    """The mainland mobile number in a call-back form's value ({"phone": ...}), spaces and dashes dropped;
    None when it is not one. Every call-back form on the kiosk takes its number through here."""
    phone = str((value or {}).get("phone", "")) if isinstance(value, dict) else ""
    phone = re.sub(r"[\s-]", "", phone)
    return phone if PHONE.fullmatch(phone) else None


@dataclass(frozen=True)
class Rated:
    """How the citizen rated the visit: item, outcome, level 1-5 (0: none given), reason codes. Nothing personal."""
    flow: str
    result: str
    level: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallbackRequested:
    """A call-back to arrange: the one command that carries a personal value, the phone number (never in repr)."""
    flow: str
    step: str
    reason: str
    locale: str
    phone: str = field(repr=False)


class Aftercare:
    def __init__(self, ending: Ending, policy: AftercarePolicy, offers: tuple[Offer, ...], *, session_id: str,
                 kiosk: dict, locale: str = "zh-CN", elderly: bool = False, elderly_multiplier: float = 1.5,
                 clock: Callable[[], float] = time.monotonic, wallclock: Callable[[], dt.datetime] = dt.datetime.now):
        self.ending, self.policy, self.offers = ending, policy, offers
        self.id, self.kiosk = session_id, kiosk
        self.locale, self.elderly, self.multiplier = locale, elderly, elderly_multiplier
        self.clock, self.wallclock = clock, wallclock
        self.phase = "ending" if ending.outcome == "failed" else "rating"
        self.used: set[str] = set()  # ways on already taken (a slip printed, a call-back registered)
        self.chosen: list[str] = []  # reasons picked for a low rating
        self.level = 0
        self.status: tuple[str, dict] | None = None
        self.phone_error = ""
        self.pending: dict[str, str] = {}  # op id -> what it is for: help, ticket, slip
        self.ticket = ""
        self.deadline: float | None = None
        self.result: str | None = None  # rated, not_rated once over
        self._out: list[Command] = []
        self._ops = itertools.count(1)

    # ------------------------------------------------------------------ api
    def start(self) -> list[Command]:
        if self.phase == "rating" and not self.policy.rating:
            self._show()
            self._over("not_asked")
        else:
            self._enter(self.phase)
        return self._flush()

    def handle(self, event: Event) -> list[Command]:
        if self.result is not None:
            return [Rejected(event.kind, "the visit has ended")] if isinstance(event, Action) else []
        if isinstance(event, Action):
            self._act(event)
        elif isinstance(event, TimerFired):
            self._timer(event.key)
        elif isinstance(event, OpDone):
            self._op_done(event)
        return self._flush()

    @property
    def busy(self) -> bool:
        return any(what in ("ticket", "slip") for what in self.pending.values())

    # -------------------------------------------------------------- actions
    def _act(self, action: Action) -> None:
        kind, value = action.kind, action.value
        if kind not in ACTIONS:
            self._out.append(Rejected(kind, f"not possible on the {self.phase} screen"))
            return
        if kind == "set_locale":
            self.locale = value if isinstance(value, str) and value in ("zh-CN", "en") else self.locale
        elif kind == "set_elderly":
            self.elderly = bool(value)
        elif kind == "home":
            if self.phase != "rated":
                self._record(0)
            self._over("not_rated" if self.level == 0 else "rated")
            return
        elif self.busy:
            self._out.append(Rejected(kind, "the kiosk is busy"))
            return
        elif kind == "help":
            self._offer("video_help")
        elif kind == "choose":
            self._choose(str(value))
        elif kind == "skip" and self.phase in ("rating", "reasons"):
            self._rate(self.level if self.phase == "reasons" else 0, skip_reasons=True)
        elif kind == "done" and self.phase == "ending":
            self._enter("rating")
        elif kind == "done" and self.phase == "reasons":
            self._rate(self.level)
        elif kind == "submit" and self.phase == "callback":
            self._callback(value)
        elif kind == "back" and self.phase == "callback":
            self._enter("ending")
        elif kind == "extend":
            pass
        else:
            self._out.append(Rejected(kind, f"not possible on the {self.phase} screen"))
            return
        if self.result is None:
            self._arm()  # a tap is activity: the phase's limit starts again
            self._show()

    def _choose(self, value: str) -> None:
        if self.phase == "ending":
            if value == "rate":
                self._enter("rating")
            else:
                self._offer(value)
        elif self.phase == "rating" and value.isdigit() and int(value) in LEVELS:
            self._rate(int(value))
        elif self.phase == "rating" and value == "skip":
            self._rate(0)
        elif self.phase == "reasons" and value.startswith("reason:"):
            reason = value.split(":", 1)[1]
            if reason not in {r.id for r in self.policy.low_reasons}:
                self._out.append(Rejected("choose", f"no reason {reason!r}"))
                return
            if reason in self.chosen:
                self.chosen.remove(reason)
            else:
                self.chosen.append(reason)
        elif self.phase == "reasons" and value in ("submit", "skip"):
            self._rate(self.level, skip_reasons=value == "skip")
        elif self.phase == "callback" and value == "back":
            self._enter("ending")
        else:
            self._out.append(Rejected("choose", f"no option {value!r} on the {self.phase} screen"))

    def _offer(self, which: str) -> None:
        offer = next((o for o in self.offers if o.id == which), None)
        if offer is None or not offer.available or which in self.used or self.phase != "ending" or self.pending:
            self._out.append(Rejected("choose", f"{which!r} is not on offer now"))
            return
        if which == "video_help":
            self._start_op("help", "help_panel", "call_staff", {"flow": self.ending.flow, "step": self.ending.step},
                           HELP_WAIT_S)
            self.status = ("status:help_calling", {})
        elif which == "referral":
            self.used.add("referral")
            if offer.with_ticket:
                self._start_op("ticket", "ticket_dispenser", "dispense", {
                    "category": self.policy.counter_category, "service_name": self.ending.flow_title.get("zh-CN", ""),
                    "timeout_s": 30, "idempotency_key": f"{self.id}-referral"}, DEVICE_WAIT_S)
            else:
                self._print_slip()
            self.status = ("status:printing", {})
        elif which == "callback":
            self._enter("callback")
        elif which == "hotline":
            self.status = ("status:hotline", {"hotline": self.policy.hotline})

    def _callback(self, value) -> None:
        phone = mobile_number(value)
        if phone is None:
            self.phone_error = t("bad_phone", self.locale)
            return
        self.phone_error = ""
        self.used.add("callback")
        self._out.append(CallbackRequested(self.ending.flow, self.ending.step, self.ending.reason, self.locale, phone))
        self.status = ("status:callback_sent", {})
        self._enter("ending")

    def _rate(self, level: int, skip_reasons: bool = False) -> None:
        if self.phase == "rating" and 0 < level <= self.policy.low_level and self.policy.low_reasons:
            self.level = level
            self._enter("reasons")
            return
        self._record(level, () if skip_reasons else tuple(self.chosen))
        self._enter("rated")
        self._over("rated" if level else "not_rated")

    def _record(self, level: int, reasons: tuple[str, ...] = ()) -> None:
        self.level = level
        self._out.append(Rated(self.ending.flow, self.ending.outcome, level, reasons))

    # ------------------------------------------------------------ the world
    def _start_op(self, what: str, target: str, name: str, args: dict, timeout: float) -> None:
        op_id = f"{self.id[:8]}-after-{next(self._ops)}"
        self.pending[op_id] = what
        self._out.append(StartOp(op_id, target, name, args))
        self._out.append(StartTimer(f"op:{op_id}", timeout))

    def _print_slip(self) -> None:
        slip = referral.slip(self.ending, self.kiosk, self.wallclock(), self.ticket, job_id=f"{self.id}-referral")
        self._start_op("slip", "receipt_printer", "print_slip", {"receipt": slip, "timeout_s": 30}, DEVICE_WAIT_S)

    def _op_done(self, event: OpDone) -> None:
        what = self.pending.pop(event.op_id, None)
        if what is None:
            return
        self._out.append(CancelTimer(f"op:{event.op_id}"))
        self._finish_op(what, event.outcome, event.data)
        self._show()

    def _finish_op(self, what: str, outcome: str, data) -> None:
        if what == "help":
            self.status = ("status:help_over", {}) if outcome in ("resumed", "ended") else ("status:help_failed", {})
        elif what == "ticket":
            self.ticket = str(getattr(data, "number", "") or "") if outcome == "ok" else ""
            if self.ticket:
                self.ending = self.ending.with_taken("ticket")
            self._print_slip()
        elif what == "slip":
            if outcome == "ok":
                self.ending = self.ending.with_taken("referral")
                self.status = ("status:referral_ticket", {"number": self.ticket}) if self.ticket \
                    else ("status:referral_done", {})
            else:
                self.status = ("status:referral_failed", {})
        self._arm()

    def _timer(self, key: str) -> None:
        if key.startswith("op:"):
            op_id = key[3:]
            what = self.pending.pop(op_id, None)
            if what is not None:
                self._finish_op(what, "timeout", None)
                self._show()
        elif key == "after":
            if self.pending:  # a slip still printing or a call still on: the screen stays until it is over
                self._arm()
            elif self.phase in ("ending", "callback") and self.policy.rating:
                self._enter("rating")
                self._show()
            elif self.phase in ("rating", "reasons"):  # nobody there: not rated, or rated without the reasons
                self._record(self.level if self.phase == "reasons" else 0, tuple(self.chosen))
                self._over("rated" if self.level else "not_rated")
            else:
                self._record(0)
                self._over("not_rated")

    # -------------------------------------------------------------- phases
    def _enter(self, phase: str) -> None:
        self.phase = phase
        self.phone_error = ""
        if phase == "rating" and not self.policy.rating:
            self._show()
            self._over("not_asked")
            return
        self._arm()
        if not self._out or not isinstance(self._out[-1], Show):
            self._show()

    def _arm(self) -> None:
        """The phase's own limit, restarted by every tap; none while a device works or once over."""
        if self.phase == "rated":
            self._out.append(CancelTimer("after"))
            self.deadline = None
            return
        limit = self.policy.rating_timeout_s if self.phase in ("rating", "reasons") else self.policy.ending_timeout_s
        seconds = limit * (self.multiplier if self.elderly else 1.0)
        self.deadline = self.clock() + seconds
        self._out.append(StartTimer("after", seconds))

    def _over(self, result: str) -> None:
        self.result = result
        self._out.append(CancelTimer("after"))
        for op_id in list(self.pending):
            self._out.append(CancelTimer(f"op:{op_id}"))
        self._out.append(Finished(result, self.ending.flow, "aftercare"))

    def _flush(self) -> list[Command]:
        out, self._out = self._out, []
        shows = [i for i, c in enumerate(out) if isinstance(c, Show)]
        return [c for i, c in enumerate(out) if not isinstance(c, Show) or i == shows[-1]]  # the last view is the one

    def _show(self) -> None:
        self._out.append(Show(self.view()))

    # --------------------------------------------------------------- views
    def view(self) -> StepView:
        loc, e = self.locale, self.ending
        w = lambda key, **kw: words.text(key, loc, **kw)  # noqa: E731
        remaining = None if self.deadline is None else max(0.0, self.deadline - self.clock())
        common = dict(session=self.id, flow=e.flow, flow_title=e.flow_title.get(loc) or e.flow_title.get("zh-CN", ""),
                      step=self.phase, locale=loc, elderly=self.elderly, result=e.outcome, can_cancel=False,
                      busy=self.busy, timeout_s=remaining, deadline=self.deadline,
                      status=words.text(self.status[0], loc, **self.status[1]) if self.status else "",
                      extra={"aftercare": self.phase})
        if self.phase == "ending":
            notes = tuple(o.note_text(loc) for o in self.offers if o.note)
            options = tuple(self._offer_view(o) for o in self.offers) + (OptionView("rate", w("next:rate")),)
            return StepView(**common, kind="ending", title=e.title(loc), text=e.thanks(loc), options=options,
                            ending=e.view(loc, notes), speak=" ".join((e.title(loc), e.thanks(loc))))
        if self.phase == "callback":
            phone = FieldView("phone", w("callback:field"), "phone", True, 11, "phone", error=self.phone_error)
            return StepView(**common, kind="callback", title=w("callback:title"), text=w("callback:text"),
                            fields=(phone,), can_back=True, ending=e.view(loc), speak=w("callback:title"))
        if self.phase == "rating":
            options = tuple(OptionView(str(level), w(f"level:{level}")) for level in LEVELS)
            options += (OptionView("skip", w("skip")),)
            lead = () if e.outcome == "failed" else (e.title(loc), e.thanks(loc))
            return StepView(**common, kind="rating", title=w("rating:title"), text=w("rating:text"), options=options,
                            ending=e.view(loc), speak=" ".join((*lead, w("rating:title"))))
        if self.phase == "reasons":
            options = tuple(OptionView(f"reason:{r.id}", ("✓ " if r.id in self.chosen else "") + r.label(loc))
                            for r in self.policy.low_reasons)
            options += (OptionView("submit", w("submit")), OptionView("skip", w("skip")))
            common["extra"] = {"aftercare": self.phase, "chosen": list(self.chosen)}
            return StepView(**common, kind="rating_reasons", title=w("reasons:title"), text=w("reasons:text"),
                            options=options, ending=e.view(loc), speak=w("reasons:title"))
        return StepView(**common, kind="rated", title=w("rated:title"), text=w("rated:text"), ending=e.view(loc),
                        speak=w("rated:title"))

    def _offer_view(self, offer: Offer) -> OptionView:
        loc = self.locale
        label = offer.label(loc, self.policy)
        enabled = offer.id == "hotline" or (offer.available and offer.id not in self.used and not self.pending)
        if offer.note and (not offer.available or offer.id == "hotline"):
            label = f"{label}\n{offer.note_text(loc)}"  # what is not on offer says why, on the button itself
        return OptionView(offer.id, label, enabled)
