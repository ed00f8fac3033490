"""Strict JSON for untrusted payloads: objects only, no duplicate keys, no NaN or Infinity, bounded depth.

A duplicate key would let a signer and a verifier (or the kiosk and the
console) read two different messages out of one payload; Python's json
silently keeps the last.
"""
from __future__ import annotations

import json

from wire.errors import WireError

MAX_DEPTH = 32


def _pairs(items: list) -> dict:
    out = dict(items)
    if len(out) != len(items):
        seen = set()
        for k, _ in items:
            if k in seen:
                raise WireError("", f"duplicate key {k[:20]!r}")
            seen.add(k)
    return out


def _no_constant(name):
    raise WireError("", f"{name} is not a number")


# One decoder for every payload: json.loads with hooks builds a decoder and its scanner at every call, which
# cost as much as the parse itself on ingest's hot path.
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_no_constant)


def text(raw: bytes | bytearray | str) -> str:
    """The payload as json reads it: bytes in UTF-8, -16 or -32, a BOM allowed (UTF-8 without guessing when
    it starts as every kiosk's does)."""
    if isinstance(raw, str):
        return raw
    utf8 = raw[:1] == b"{" and raw[1:2] != b"\x00"
    return raw.decode("utf-8" if utf8 else json.detect_encoding(raw), "surrogatepass")


def load_object(raw: bytes | str) -> dict:
    try:
        if isinstance(raw, str) and raw.startswith("\ufeff"):  # as json.loads refuses a str with one
            raise WireError("", "not JSON")
        msg = _DECODER.decode(text(raw))
    except RecursionError:
        raise WireError("", "nested too deeply") from None
    except WireError:
        raise
    except (ValueError, UnicodeDecodeError):
        raise WireError("", "not JSON") from None
    if not isinstance(msg, dict):
        raise WireError("", "not a JSON object")
    opened = raw.count(b"{") + raw.count(b"[") if isinstance(raw, (bytes, bytearray)) else raw.count("{") + raw.count("[")
    if opened > MAX_DEPTH:  # fewer brackets than the limit cannot nest deeper than it: no need to walk
        _depth(msg, 0)
    return msg


def dump(body: dict) -> str:
    """Compact UTF-8 JSON; values the contract allows are JSON already, anything else is a bug, said loudly."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _depth(value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise WireError("", "nested too deeply")
    if isinstance(value, dict):
        for v in value.values():
            _depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _depth(v, depth + 1)
