"""How a visit ended, said plainly: a title per outcome, the thank-you, what to take, a look of its own.

The session records the facts as the visit ends (before it wipes itself):
what the citizen has to take away comes from what the visit read, printed
and dispensed, and a failure keeps the step and the outcome code it failed
on, for the screen and the referral slip. None of it is personal, so the
after-visit steps (kiosk.engine.aftercare) can hold it after the wipe.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from kiosk import privacy
from kiosk.engine import ending_texts as words
from kiosk.expr import EvalError

OUTCOMES = ("completed", "cancelled", "timeout", "failed")
LOOKS = {"completed": "success", "cancelled": "neutral", "timeout": "neutral", "failed": "problem"}
TAKE_ORDER = ("card", "document", "receipt", "ticket", "referral")


@dataclass(frozen=True)
class EndingView:
    """The part of a view that says how the visit ended; the UI draws it in the look given."""
    outcome: str  # completed, cancelled, timeout, failed
    look: str  # success, neutral, problem: colour and icon, never the only cue (the title says it too)
    title: str = ""  # what happened, in the view's locale ("办理完成")
    thanks: str = ""
    take: tuple[str, ...] = ()  # kinds to take away, in TAKE_ORDER: card, document, receipt, ticket, referral
    take_texts: tuple[str, ...] = ()  # the same, in the view's locale
    reason: str = ""  # for a failure: why, in the view's locale
    notes: tuple[str, ...] = ()  # what is not on offer now and why (the counter's hours, a printer down)


@dataclass(frozen=True)
class Ending:
    """The facts of an ended visit; nothing personal, so they outlive the session's wipe."""
    outcome: str
    flow: str
    flow_title: dict = field(default_factory=dict)  # locale -> the item's title
    step: str = ""  # where it ended, or for a failure the step that failed
    reason: str = ""  # the outcome code it failed on (unavailable, paper_out, ...); "" when none
    take: tuple[str, ...] = ()
    own_title: dict = field(default_factory=dict)  # locale -> the end step's own title, if the flow gives one
    own_text: dict = field(default_factory=dict)
    step_kind: str = ""  # the kind of `step` (call, print, ...): the referral slip names the step by it

    def with_taken(self, kind: str) -> "Ending":
        """Something more to take (a referral slip printed after the visit)."""
        if kind in self.take:
            return self
        take = tuple(k for k in TAKE_ORDER if k in self.take or k == kind)
        return dataclasses.replace(self, take=take)

    def title(self, locale: str) -> str:
        return words.text(f"title:{self.outcome}", locale)

    def thanks(self, locale: str) -> str:
        """The flow's own closing words where it has them, else the outcome's."""
        own = " ".join(x for x in (self.own_title.get(locale, ""), self.own_text.get(locale, "")) if x)
        return own or words.text(f"thanks:{self.outcome}", locale)

    def view(self, locale: str, notes: tuple[str, ...] = ()) -> EndingView:
        reason = words.text("reason_line", locale, reason=words.why(self.reason, locale)) \
            if self.outcome == "failed" else ""
        return EndingView(self.outcome, LOOKS[self.outcome], self.title(locale), self.thanks(locale), self.take,
                          tuple(words.text(f"take:{k}", locale) for k in self.take), reason, notes)


def outcome_of(result: str) -> str:
    """The four endings a citizen sees; a visit cut off by the kiosk (interrupted) is a failure to them."""
    return result if result in OUTCOMES else "failed"


def record(session, result: str) -> Ending:
    """The ending of `session`, taken as it finishes and before its data is wiped."""
    step = session.root_flow.step(session.frames[0].step_id) if session.frames[0].step_id else None
    own_title, own_text = {}, {}
    if step is not None and step.kind == "end" and not session.views.sorry:
        for locale in session.root_flow.flow.locales:
            own_title[locale] = _render(session, step.id, "title", locale)
            own_text[locale] = _render(session, step.id, "text", locale)
    trouble_step, trouble, kind = session.trouble or (session.frame.step_id, "", "")
    outcome = outcome_of(result)
    if outcome == "cancelled" and session.last_outcome == "timeout":  # a wait ran out and the flow gave up
        outcome = "timeout"
    if outcome == "failed" and not trouble:
        trouble = "other"
    titles = {loc: session.root_flow.flow.title.get(loc, "") for loc in session.root_flow.flow.locales}
    return Ending(outcome, session.root_flow.id, titles, trouble_step, trouble if outcome == "failed" else "",
                  tuple(k for k in TAKE_ORDER if k in session.handed),
                  {k: v for k, v in own_title.items() if v}, {k: v for k, v in own_text.items() if v}, kind)


def _render(session, step_id: str, part: str, locale: str) -> str:
    tmpl = session.root_flow.exprs.get((step_id, part, locale))
    if tmpl is None:
        return ""
    try:
        return tmpl.render(session.context(), show=privacy.show)
    except EvalError:
        return ""
