"""How personal values look on screen, on paper, and in logs.

One place decides, so that the UI, the documents and the trace cannot
disagree. Masking keeps just enough for the citizen to recognise their own
data (1101**********1234, 张*); logs and telemetry never get the value at all.
"""
from __future__ import annotations

import hashlib
import hmac

from kiosk.expr import Privacy


def mask_id(value: str) -> str:
    value = str(value)
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    value = str(value)
    if not value:
        return value
    if value.isascii():  # Latin names: keep initials of each word
        return " ".join(w[:1] + "*" * (len(w) - 1) for w in value.split())
    return value[:1] + "*" * max(1, len(value) - 1)


def mask_text(value: str) -> str:
    """Addresses and other personal free text: keep the first 6 characters (the district)."""
    value = str(value)
    return value[:6] + ("***" if len(value) > 6 else "")


def show(value, privacy: Privacy, source: str = "") -> str:
    """The screen and paper rendering of an interpolated value."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    if source.lstrip().startswith("reveal(") and privacy < Privacy.BIOMETRIC:
        return text
    if privacy == Privacy.PUBLIC:
        return text
    if privacy == Privacy.IDENTIFIER:
        return mask_id(text)
    if privacy == Privacy.PERSONAL:
        return mask_name(text) if len(text) <= 4 or "name" in source else mask_text(text)
    return "***"


def redact(value, privacy: Privacy, salt: bytes = b"") -> str:
    """Log and trace form: public values as is, anything else as its class only."""
    if privacy == Privacy.PUBLIC:
        return str(value)
    return f"<{privacy.name.lower()}>"


def salted_hash(value: str, salt: bytes) -> str:
    """For journals that must link repeat visits without holding the ID number."""
    return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:32]
