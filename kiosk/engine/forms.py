"""Form validation: typed fields, localized errors, values normalized for the backend."""
from __future__ import annotations

import datetime as dt
import re

from kiosk.i18n import pick, t

PHONE = re.compile(r"^1\d{10}$")
ID18 = re.compile(r"^\d{17}[\dX]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number_valid(value: str) -> bool:
    """GB 11643 check digit: weighted sum mod 11 mapped through 10X98765432."""
    if not ID18.match(value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], WEIGHTS))
    return "10X98765432"[total % 11] == value[17]


def validate(step, submitted: dict, locale: str, patterns: dict) -> tuple[dict, dict[str, str]]:
    values: dict = {}
    errors: dict[str, str] = {}
    for f in step.fields:
        raw = submitted.get(f.name)
        text = "" if raw is None else str(raw).strip()
        label = pick(f.label, locale)
        if f.type == "id_number":
            text = text.upper()
        if not text:
            if f.required:
                errors[f.name] = t("required", locale, label=label)
            continue
        err = _check(f, text, label, locale, patterns.get((step.id, "pattern", f.name)))
        if err:
            errors[f.name] = err
            continue
        values[f.name] = dt.date.fromisoformat(text) if f.type == "date" else text
    return values, errors


def _check(f, text: str, label: str, locale: str, pattern) -> str | None:
    if len(text) > f.max_length:
        return t("too_long", locale, label=label, n=f.max_length)
    if f.min_length is not None and len(text) < f.min_length:
        return t("too_short", locale, label=label, n=f.min_length)
    if f.type == "id_number" and not id_number_valid(text):
        return t("bad_id_number", locale)
    if f.type == "phone" and not PHONE.match(text):
        return t("bad_phone", locale)
    if f.type == "digits" and not text.isdigit():
        return t("bad_format", locale, label=label)
    if f.type == "date":
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return t("bad_date", locale)
    if f.type == "choice" and text not in {c.id for c in (f.choices or [])}:
        return t("bad_choice", locale, label=label)
    if pattern is not None and not pattern.fullmatch(text):
        return t("bad_format", locale, label=label)
    return None
