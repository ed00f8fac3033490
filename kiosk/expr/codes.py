"""Code tables: the texts a backend's code values stand for, per locale.

Backends answer in codes (正常参保, 职工基本医疗保险, or 01); a citizen reading
English should not see them. A service declares its tables in services.yaml,
a call result names one, and every template shows such a value as its text
for the visit's locale, while guards keep comparing the code itself. Code
values are not personal by declaration (a table lists them all in the
bundle), so an unknown one may be logged; it is shown as sent, and logged
once per table, so that the integrator learns of it without a log flood.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger("kiosk.codes")
FALLBACK_LOCALE = "zh-CN"


@dataclass(frozen=True, eq=False)
class CodeTable:
    """One declared table; identity-hashed, so that a label carrying it stays hashable."""

    name: str  # service.table, as logged
    texts: dict  # code -> {locale: text}
    _unknown: set = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def text(self, code, locale: str):
        """The code's text in ``locale`` (else the Chinese one); an unknown code as it came."""
        key = code if isinstance(code, str) else str(code) if isinstance(code, int) and not isinstance(code, bool) else None
        entry = self.texts.get(key) if key is not None else None
        if entry is None:
            self._missing(key)
            return code
        return entry.get(locale) or entry.get(FALLBACK_LOCALE) or next(iter(entry.values()), code)

    def _missing(self, key) -> None:
        with self._lock:
            if key in self._unknown:
                return
            self._unknown.add(key)
        log.warning("codes.unknown", table=self.name, code=key)
