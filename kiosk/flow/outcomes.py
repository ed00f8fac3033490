"""Which outcomes each step kind can produce, and which of them are errors.

The linter and the engine both read this table: an outcome the engine can
emit but the flow does not route is a dead end the linter must catch.
"""
from __future__ import annotations

from kiosk.flow import model

# Outcomes every step of the kind can produce (option ids and mapped backend errors come on top).
BASE: dict[str, tuple[str, ...]] = {
    "notice": ("ok",),
    "choice": (),
    "form": ("ok",),
    "read_id_card": ("ok", "timeout", "unreadable", "expired", "rejected", "error"),
    "scan_code": ("ok", "timeout", "invalid", "error"),
    "call": ("ok", "timeout", "unavailable", "error"),
    "branch": (),
    "show_result": ("done",),
    "print": ("ok", "paper_out", "printer_error", "timeout", "error"),
    "dispense_ticket": ("ok", "paper_out", "printer_error", "timeout", "error"),
    "video_help": ("resumed", "ended", "unavailable", "timeout"),
    "subflow": ("completed", "cancelled", "failed"),
    "end": (),
}

# Outcomes that may fall through to the flow's on_error catch-all instead of an explicit branch.
ERRORS = frozenset({"unreadable", "expired", "rejected", "error", "invalid", "unavailable",
                    "paper_out", "printer_error", "failed", "ended", "expression_error"})

# Kinds whose wait must be bounded by timeout_s with a timeout branch.
MUST_TIME_OUT = frozenset({"read_id_card", "scan_code", "call", "print", "dispense_ticket", "video_help"})

# Kinds where the citizen acts: these make a cycle bounded (someone has to keep tapping).
INTERACTIVE = frozenset({"notice", "choice", "form", "show_result", "read_id_card", "scan_code", "video_help"})

# Kinds that put a screen of their own before the citizen: the steps the progress indicator counts.
SEEN = INTERACTIVE | {"print", "dispense_ticket", "end"}

DEVICE_OF: dict[str, str] = {
    "read_id_card": "id_reader",
    "scan_code": "code_scanner",
    "dispense_ticket": "ticket_dispenser",
    "video_help": "help_panel",
}

# Outcomes by which a step learns that its device cannot serve it now (out of paper, unplugged, not configured):
# a step using an optional device must route each of them to a way on without the device.
DEVICE_DOWN: dict[str, tuple[str, ...]] = {
    "read_id_card": ("error",),
    "scan_code": ("error",),
    "print": ("paper_out", "printer_error", "error"),
    "dispense_ticket": ("paper_out", "printer_error", "error"),
    "video_help": ("unavailable",),
}


def outcomes(step) -> tuple[str, ...]:
    out = list(BASE[step.kind])
    if step.kind == "notice" and step.consent is not None:
        out = ["agree", "decline"]
    if step.kind in ("choice", "show_result"):
        out += [o.id for o in step.options]
    if step.kind == "call":
        out += [o for o in step.errors.values() if o not in out]
    if step.timeout_s is not None and "timeout" not in out:
        out.append("timeout")
    return tuple(out)


def next_map(step) -> dict[str, str]:
    """The step's routing as outcome -> target; a plain `next: id` routes `ok`-like success."""
    if step.next is None:
        return {}
    if isinstance(step.next, str):
        return {primary(step): step.next}
    return dict(step.next)


def primary(step) -> str:
    """The success outcome a plain `next: id` stands for."""
    return {"notice": "agree" if getattr(step, "consent", None) else "ok", "show_result": "done",
            "video_help": "resumed", "subflow": "completed"}.get(step.kind, "ok")


def device_needed(step) -> str | None:
    if step.kind == "print":
        return step.printer
    return DEVICE_OF.get(step.kind)


def targets(step) -> list[str]:
    """Every step id this step can lead to."""
    out = list(next_map(step).values())
    if step.kind == "branch":
        out += [c.next for c in step.cases] + [step.default]
    return out


def all_texts(flow: model.Flow):
    """(path, Text) for every localized text in the flow, for the i18n rule."""
    yield ("title",), flow.title
    for name in ("description", "summary", "category_title"):
        if getattr(flow, name):
            yield (name,), getattr(flow, name)
    for i, step in enumerate(flow.steps):
        base = ("steps", i)
        for name in ("title", "text", "text_short", "speak", "consent", "service_name"):
            value = getattr(step, name, None)
            if value is not None:
                yield base + (name,), value
        for key in ("options",):
            for j, opt in enumerate(getattr(step, key, None) or []):
                yield base + (key, j, "label"), opt.label
        for j, f in enumerate(getattr(step, "fields", None) or []):
            yield base + ("fields", j, "label"), f.label
            if f.help:
                yield base + ("fields", j, "help"), f.help
            for k, c in enumerate(f.choices or []):
                yield base + ("fields", j, "choices", k, "label"), c.label
        for j, item in enumerate(getattr(step, "items", None) or []):
            yield base + ("items", j, "label"), item.label
