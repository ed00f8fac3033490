"""Backend replies are untrusted: the agreed JSON envelope, read with bounded nesting and finite numbers only.

Kept apart from the HTTP transport so that what the kiosk accepts from a
backend can be read (and tested) without a socket.

Envelope: ``{"ok": true, "data": {...}}`` or ``{"ok": false, "error": {"code": "not_found"}}``.
"""
from __future__ import annotations

import json
import math
import re

Result = tuple[str, object, str]  # (outcome, data, detail): ok, backend_error, error, timeout or unavailable

# Deeper than any record a backend has reason to send; far below where json's C scanner recurses out.
MAX_DEPTH = 32


def decode(status: int, body: bytes) -> Result:
    """The outcome of a reply the server sent with ``status``: anything but the agreed envelope is an error."""
    try:
        reply = parse_json(body)
    except TooDeep:
        return "error", None, f"HTTP {status}, JSON nested deeper than {MAX_DEPTH}"
    except (ValueError, UnicodeDecodeError):
        return "error", None, f"HTTP {status}, not JSON"
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        return "error", None, f"HTTP {status}, not the agreed envelope"
    if reply["ok"]:
        data = reply.get("data")
        if not isinstance(data, dict):
            return "error", None, "ok reply without a data object"
        return "ok", data, ""
    err = reply.get("error")
    code = err.get("code") if isinstance(err, dict) else None
    if not isinstance(code, str) or not code.isidentifier() or len(code) > 40:
        return "error", None, "error reply without a valid code"
    return "backend_error", {"code": code.lower()}, code


class TooDeep(ValueError):
    pass


# What can open or close a level outside a string: escapes are consumed whole so that \" and \[ never count.
_SIGNIFICANT = re.compile(r'\\.|["\[\]{}]', re.S)


def parse_json(body: bytes) -> object:
    """json.loads for untrusted replies: at most MAX_DEPTH levels, finite numbers only.

    The depth is measured before parsing, so a reply nested 100 000 deep under the size cap
    is refused as data instead of raising RecursionError out of the C scanner.
    """
    text = body.decode(json.detect_encoding(body))  # what json.loads(bytes) accepts; scanned as text, not bytes
    depth, in_string = 0, False
    for m in _SIGNIFICANT.finditer(text):
        c = m.group()
        if c == '"':
            in_string = not in_string
        elif in_string or len(c) == 2:
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise TooDeep()
        else:
            depth -= 1
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999 is valid JSON and overflows to inf
        raise ValueError(f"{literal} is not a finite number")
    return value
