"""What an op's answer means for the step that asked: checks, storage, the real outcome.

Everything from a device or a backend is untrusted: a reply that lacks a
declared field or has the wrong type is an ``error`` outcome, never a crash.
"""
from __future__ import annotations

import datetime as dt
import re

from kiosk.engine.forms import id_number_valid

PATH_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
TYPES = {"string": str, "int": int, "number": (int, float), "bool": bool, "list": list, "map": dict}


def accept(session, step, outcome: str, data) -> str:
    if outcome == "backend_error":
        code = (data or {}).get("code", "") if isinstance(data, dict) else ""
        session.trace.add("backend_error", step=step.id, code=str(code)[:40])
        return step.errors.get(code, "error") if step.kind == "call" else "error"
    if outcome != "ok":
        return outcome
    handler = globals().get(f"_{step.kind}")
    return handler(session, step, data) if handler else "ok"


def _read_id_card(session, step, card) -> str:
    if card is None or not hasattr(card, "id_number"):
        return "error"
    if str(card.card_type) not in step.accept:
        return "rejected"
    if str(card.card_type) == "resident" and not id_number_valid(card.id_number):
        return "unreadable"
    if step.check_expiry and card.valid_to is not None and card.valid_to < session.context()["now"]:
        session.trace.add("card_expired", step=step.id)
        return "expired"
    session.vars["id"] = {
        "name": card.name, "english_name": card.english_name, "gender": card.gender, "nation": card.nation,
        "birth_date": card.birth_date, "address": card.address, "id_number": card.id_number,
        "authority": card.authority, "valid_from": card.valid_from, "valid_to": card.valid_to,
        "card_type": str(card.card_type),
    }
    return "ok"


def _scan_code(session, step, scan) -> str:
    code = getattr(scan, "data", None)
    if not isinstance(code, str) or not code:
        return "invalid"
    pattern = session.frame.flow.patterns.get((step.id, "pattern"))
    try:
        if pattern is not None and not pattern.fullmatch(code):
            return "invalid"
    except ValueError:  # longer than the matcher takes: not a code this step expects
        return "invalid"
    session.vars["scan"] = {"code": code}
    return "ok"


def _call(session, step, reply) -> str:
    if not isinstance(reply, dict):
        return "error"
    try:
        stored = {name: _field(reply, spec, name) for name, spec in step.result.items()}
    except BadReply as bad:  # the field's path, never its value: replies carry personal data
        session.trace.add("bad_reply", step=step.id, field=bad.where, problem=bad.problem)
        return "error"
    session.vars["data"].update(stored)
    return "ok"


class BadReply(Exception):
    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where, self.problem = where, problem


def _field(node, spec, where: str):
    """One declared value of a reply, checked and converted; list items and map fields as declared, recursively.

    A list item or map keeps only its declared fields, so what a template can
    read is exactly what was checked.
    """
    found, value = lookup(node, spec.path)
    if not found or value is None:
        if spec.required:
            raise BadReply(where, "missing")
        return None
    value = _coerce(value, spec.type)
    if value is _BAD:
        raise BadReply(where, f"not {spec.type}")
    if spec.type == "list" and spec.items:
        return [_record(item, spec.items, f"{where}[{i}]") for i, item in enumerate(value)]
    if spec.type == "map" and spec.fields:
        return _record(value, spec.fields, where)
    return value


def _record(node, fields: dict, where: str) -> dict:
    if not isinstance(node, dict):
        raise BadReply(where, "not map")
    return {name: _field(node, spec, f"{where}.{name}") for name, spec in fields.items()}


def _dispense_ticket(session, step, ticket) -> str:
    if ticket is None or not getattr(ticket, "number", None):
        return "error"
    session.vars["ticket"] = {"number": ticket.number, "waiting_ahead": ticket.waiting_ahead,
                              "category": ticket.category}
    return "ok"


_BAD = object()


def _coerce(value, kind: str):
    if kind == "date":
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                return _BAD
        return _BAD
    if kind == "number" and isinstance(value, bool):
        return _BAD
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return _BAD
    if kind == "string" and isinstance(value, str) and len(value) > 10_000:
        return _BAD
    return value if isinstance(value, TYPES[kind]) else _BAD


def lookup(data, path: str):
    node = data
    for m in PATH_PART.finditer(path):
        key, index = m.group(1), m.group(2)
        if key is not None:
            if not isinstance(node, dict) or key not in node:
                return False, None
            node = node[key]
        else:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                return False, None
            node = node[i]
    return True, node
