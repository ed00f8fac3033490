"""What a citizen's action does on the current step: which actions each kind takes, and the effect of each.

Actions come alike from the touch UI, a scenario test or a remote staff
member; one that the step does not take is answered with ``Rejected`` and
changes nothing.
"""
from __future__ import annotations

from kiosk.engine import forms
from kiosk.engine.messages import Action, CancelTimer, Rejected

STEP_ACTIONS = {
    "notice": {"ok", "agree", "decline"},
    "choice": {"choose"},
    "form": {"submit"},
    "show_result": {"done", "choose"},
}
ALWAYS = {"back", "cancel", "home", "help", "extend", "set_locale", "set_elderly"}
WHILE_BUSY = {"help", "set_locale", "set_elderly", "extend"}


def handle(session, action: Action) -> None:
    kind = action.kind
    step = session.step
    if kind == "hold_idle" and action.source == "kiosk":  # the kiosk's own, on any step: never a flow's action
        session.trace.add("action", kind=kind, source=action.source, step=step.id)
        _hold_idle(session, step, action.value)
        return
    allowed = STEP_ACTIONS.get(step.kind, set()) | ALWAYS
    if kind not in allowed:
        session._out.append(Rejected(kind, f"not possible on a {step.kind} step"))
        return
    if session.busy and kind not in WHILE_BUSY:
        session._out.append(Rejected(kind, "the kiosk is busy"))
        return
    session.trace.add("action", kind=kind, source=action.source, step=step.id)
    if session.idle_warning or kind != "extend":
        session._out.append(CancelTimer("idle_warn"))
    HANDLERS[kind](session, step, action.value)


def _activity(session) -> None:
    session.idle_warning = False
    session._out.append(CancelTimer("idle_warn"))
    session.deadlines.pop("idle_warn", None)
    session._arm_idle()


def _hold_idle(session, step, value) -> None:
    """A video call started (True) or ended (False): a citizen talking to staff is not gone, so no idle
    warning nor reset while it lasts, and the idle clock starts afresh either way."""
    session.idle_held = bool(value)
    warned = session.idle_warning
    _activity(session)
    if warned:  # the are-you-still-there banner goes at once
        session._show()


def _extend(session, step, value) -> None:
    if not session.idle_warning:
        _activity(session)
        return
    if session.extensions_left <= 0:
        session._out.append(Rejected("extend", "no extensions left"))
        return
    session.extensions_left -= 1
    _activity(session)
    session._show()


def _set_locale(session, step, value) -> None:
    if value not in session.root_flow.flow.locales:
        session._out.append(Rejected("set_locale", f"locale {value!r} is not offered"))
        return
    session.locale = value
    _activity(session)
    session._show()


def _set_elderly(session, step, value) -> None:
    session.elderly = bool(value)
    _activity(session)
    session._show()


def _help(session, step, value) -> None:
    session.trace.add("help_requested", step=step.id)
    session.views.help_requested = True
    _activity(session)
    session._show()


def _cancel(session, step, value) -> None:
    """The item's own on_cancel first; inside a bundle, leave just this item; otherwise end the visit."""
    target = session.frame.flow.flow.on_cancel
    if target and target != session.frame.step_id:
        session._transition(target)
    elif len(session.frames) > 1:
        session._clear_waits()
        session.trace.add("subflow_cancelled", flow=session.frame.flow.id, step=step.id)
        session._transition(session._ascend("cancelled"))
    else:
        session._clear_waits()
        session._finish("cancelled", "cancelled by the citizen")


def _home(session, step, value) -> None:
    """首页: the whole visit ends here, bundle and all, whatever the item's on_cancel says; all is wiped."""
    session._clear_waits()
    session.trace.add("home", flow=session.frame.flow.id, step=step.id)
    session._finish("cancelled", "home")


def _back(session, step, value) -> None:
    depth = len(session.frames)
    hist = [h for h in session.history if h[0] == depth]
    if len(hist) < 2:
        session._out.append(Rejected("back", "nothing to go back to"))
        return
    session.history.pop()  # the current step
    while session.history and session.history[-1][0] == depth and session.history[-1][1] == session.frame.step_id:
        session.history.pop()
    _, target = session.history.pop()
    session._transition(target)


def _ok(session, step, value) -> None:
    if step.kind == "notice" and step.consent is not None:
        session._out.append(Rejected("ok", "this notice needs agree or decline"))
        return
    session._route("ok")


def _agree(session, step, value) -> None:
    if step.consent is None:
        session._out.append(Rejected("agree", "this notice asks for no consent"))
        return
    session._route("agree")


def _decline(session, step, value) -> None:
    if step.consent is None:
        session._out.append(Rejected("decline", "this notice asks for no consent"))
        return
    session._route("decline")


def _done(session, step, value) -> None:
    session._route("done")


def _choose(session, step, value) -> None:
    enabled = {o.id for o in session.views.options(step)}
    if value not in enabled:
        session._out.append(Rejected("choose", f"no enabled option {value!r}"))
        return
    if step.kind == "choice":
        session.vars["form"][step.id] = value  # readable later as form.<step id>
    session._route(value)


def _submit(session, step, value) -> None:
    values, errors = forms.validate(step, value if isinstance(value, dict) else {}, session.locale,
                                    session.frame.flow.patterns)
    if errors:
        session.form_errors = errors
        session.trace.add("form_invalid", step=step.id, fields=sorted(errors))
        _activity(session)
        session._show()
        return
    session.vars["form"].update(values)
    session._route("ok")


HANDLERS = {
    "extend": _extend, "set_locale": _set_locale, "set_elderly": _set_elderly, "help": _help, "cancel": _cancel, "home": _home,
    "back": _back, "ok": _ok, "agree": _agree, "decline": _decline, "done": _done, "choose": _choose,
    "submit": _submit,
}
