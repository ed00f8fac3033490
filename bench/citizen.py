"""A tireless citizen for the soak benchmarks: answers whatever screen it is shown.

It reads only the step view (as a person reads the screen) and picks a move,
varying its choices by visit number so that, over many visits, every option
of every item is taken. The soak runs it through the controller headless and
through the real Kivy UI alike.
"""
from __future__ import annotations

from devices.id_reader.sample_cards import SAMPLE_CARDS

CARDS = [c for k, c in sorted(SAMPLE_CARDS.items()) if k in ("zhang_san", "li_si", "chen_hmt")]
FIELD_VALUES = {"phone": "13800138000", "digits": "1", "id_number": "11010519491231002X", "latin": "A",
                "pinyin": "示例"}


def next_move(view, visit: int) -> tuple[str, object]:
    """('card', IdCard) | ('scan', text) | (action, value) | ('wait', None)."""
    if view is None or view.busy:
        return "wait", None
    if view.kind == "end":
        return "done", None
    if view.kind == "read_id_card":
        return "card", CARDS[visit % len(CARDS)]
    if view.kind == "scan_code":
        return "scan", f"SOAK-{visit}"
    if view.kind == "form":
        values = {}
        for f in view.fields:
            values[f.name] = f.choices[0].id if f.choices else FIELD_VALUES.get(f.keyboard, "1")
        return "submit", values
    if view.consent:
        return "agree", None
    enabled = [o.id for o in view.options if o.enabled]
    if view.kind == "show_result":
        enabled.append(None)  # or just "done"
    if enabled:
        pick = enabled[visit % len(enabled)]
        return ("choose", pick) if pick else ("done", None)
    if view.kind in ("print", "dispense_ticket", "call", "video_help"):
        return "wait", None
    return "ok", None
