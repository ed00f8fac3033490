"""Entering a step, one function per step kind: what the session asks of the world when it gets there.

Each function returns the next step id for a step that passes straight on
(branch, subflow entry and exit, a reused ID card), or None when the step
waits for a citizen, a device or a backend. Kinds without a function here
(notice, choice, form, show_result) show themselves and wait for the
citizen. The session keeps the visit's state, its frames and the plumbing
(ops, timers, routing); this module only says what entering each kind means.
"""
from __future__ import annotations

from kiosk.engine import verify_code
from kiosk.i18n import pick


def enter(session, step) -> str | None:
    """Run the entry of the step's kind; a kind without one waits for the citizen."""
    handler = HANDLERS.get(step.kind)
    if handler is not None:
        return handler(session, step)
    session._arm_idle()
    session._show()
    return None


def _branch(session, step) -> str:
    for i, case in enumerate(step.cases):
        if session.frame.flow.exprs[(step.id, "case", i)].test(session.context()):
            session.trace.add("branch", step=step.id, case=i)
            return case.next
    session.trace.add("branch", step=step.id, case="default")
    return step.default


def _subflow(session, step) -> str:
    return session._descend(session.flows[step.flow])


def _end(session, step) -> str | None:
    if len(session.frames) > 1:
        session._show()  # the item's own closing screen is skipped inside a bundle; its result routes the parent
        return session._ascend(step.result)
    session._finish(step.result, "end step")
    return None


def _read_id_card(session, step) -> str | None:
    if step.reuse and session.vars["id"]:
        session.trace.add("id_reused", step=step.id)
        target = session._target("ok")
        if target is None:
            session._fail("no branch for ok")
        return target
    session._start_op("id_reader", "read_card")
    session._show()
    return None


def _scan_code(session, step) -> None:
    session._start_op("code_scanner", "read_code")
    session._show()


def _video_help(session, step) -> None:
    session._start_op("help_panel", "call_staff", {"flow": session.frame.flow.id, "step": step.id})
    session._show()


def _call(session, step) -> None:
    ctx = session.context()
    fc = session.frame.flow
    request = {k: fc.exprs[(step.id, "request", k)].render(ctx, show=_raw) for k in step.request}
    args = {"request": request, "timeout_s": step.timeout_s}
    if step.idempotency_key:
        args["idempotency_key"] = fc.exprs[(step.id, "idempotency_key")].render(ctx, show=_raw)
    session.busy = True
    session._start_op("service", step.call, args, timeout=session._wait(step.timeout_s or 10))
    session._show()


def _print(session, step) -> None:
    """Print a document: a new number and code, or those of the document this one retries or replaces.

    A print that did not come out (paper out, printer error, timeout)
    leaves its number and code to the next print of the same flow: the
    fallback slip then names the certificate the citizen will fetch, not
    a new document nobody issued.
    """
    session._printing = None
    fc = session.frame.flow
    template = fc.documents[step.document]
    ctx = session.context()
    doc, here = session.vars["doc"], session._frame_key()
    if session.attempts.get(session._key()) and doc.get("number"):  # the same document, again
        number, code = doc["number"], doc["verify_code"]
    elif session._unprinted is not None and session._unprinted[0] == here:
        _, number, code = session._unprinted
        session.trace.add("document_replaced", step=step.id, number=number)
    else:
        number = f"{ctx['kiosk'].get('id', 'K')}-{ctx['now']:%Y%m%d}-{session.id[:6]}-{next(session._docs)}"
        code = verify_code.backend_code(session.vars["data"]) or verify_code.new_code()
    session._printing = (here, number, code)
    pattern = ctx["kiosk"].get("verify_url") or "urn:kiosk-document:{number}"
    session.vars["doc"].update(number=number, verify_code=code, verify_url=pattern.format(number=number, code=code))
    document = template.render(ctx, number)
    args = {"document": document, "copies": step.copies, "timeout_s": step.timeout_s,
            "idempotency_key": _idem(session, step) or number}
    session.busy = True
    session._start_op(step.printer, "print", args)
    session._show()


def _dispense_ticket(session, step) -> None:
    args = {"category": step.category, "service_name": pick(step.service_name, session.locale),
            "timeout_s": step.timeout_s, "idempotency_key": _idem(session, step) or f"{session.id}-{step.id}"}
    session.busy = True
    session._start_op("ticket_dispenser", "dispense", args)
    session._show()


def _idem(session, step) -> str | None:
    if not step.idempotency_key:
        return None
    return session.frame.flow.exprs[(step.id, "idempotency_key")].render(session.context(), show=_raw)


def _raw(value, privacy, source) -> str:
    """Backend requests and idempotency keys need the real value; they never reach a screen or a log."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


HANDLERS = {
    "branch": _branch, "subflow": _subflow, "end": _end, "read_id_card": _read_id_card, "scan_code": _scan_code,
    "video_help": _video_help, "call": _call, "print": _print, "dispense_ticket": _dispense_ticket,
}
