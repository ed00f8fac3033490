"""How personal values look on screen, on paper, and in logs.

One place decides, so that the UI, the documents and the trace cannot
disagree. Masking keeps just enough for the citizen to recognise their own
data (1101**********1234, 张*); logs and telemetry never get the value at all.
"""
from __future__ import annotations

import hashlib
import hmac

from kiosk.expr import ExprType, Label, Mask, Privacy
from kiosk.expr.funcs import mask_text
from kiosk.expr.types import default_mask


def mask_id(value: str) -> str:
    value = str(value)
    if len(value) <= 8:  # too short to keep both ends; a value of 1 or 2 characters keeps none
        return (value[:1] if len(value) > 2 else "") + "*" * (len(value) - (1 if len(value) > 2 else 0))
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    value = str(value)
    if not value:
        return value
    if value.isascii():  # Latin names: keep initials of each word
        return " ".join(w[:1] + "*" * (len(w) - 1) for w in value.split())
    return value[:1] + "*" * max(1, len(value) - 1)


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _label(label) -> Label:
    """A bare Privacy (older callers) is a value read as declared, masked by its class's default."""
    return label if isinstance(label, Label) else Label(Privacy(label), default_mask(Privacy(label), ExprType.STRING))


MASKERS = {Mask.ID: mask_id, Mask.NAME: mask_name, Mask.TEXT: mask_text, Mask.MASKED: str}


def show(value, label, source: str = "") -> str:
    """Screens: a non-public value in its masked form, or *** when it has none. Never whole, even if revealed.

    Screens are read over the citizen's shoulder and mirrored to help-desk
    staff, so reveal() has no effect here (and the linter refuses it).
    The source text plays no part: what is shown follows the static label.
    """
    if value is None:
        return ""
    label = _label(label)
    if label.public:
        return _text(value)
    if label.privacy >= Privacy.BIOMETRIC:
        return "***"
    return MASKERS.get(label.mask, lambda _: "***")(_text(value))


def show_revealed(value, label, source: str = "") -> str:
    """A4 documents whose print step declares personal data: reveal(...) prints the value whole."""
    label = _label(label)
    if value is not None and label.revealed and label.privacy < Privacy.BIOMETRIC:
        return _text(value)
    return show(value, label, source)


def hide(value, label, source: str = "") -> str:
    """Thermal receipts and tickets, left behind in trays: no personal value at all, masked or not."""
    if value is None:
        return ""
    return _text(value) if _label(label).public else "***"


def redact(value, label, salt: bytes = b"") -> str:
    """Log and trace form: public values as is, anything else as its class only."""
    label = _label(label)
    if label.public:
        return str(value)
    return f"<{label.privacy.name.lower()}>"


def salted_hash(value: str, salt: bytes) -> str:
    """For journals that must link repeat visits without holding the ID number."""
    return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:32]
