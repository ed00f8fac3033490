"""Keyboard-wedge scanners: key events to codes, and a human typing is not a scanner.

A wedge scanner "types" its code as key presses ending in Enter, tens of
characters in a few milliseconds. Gaps longer than ``max_gap_s`` between
keys mean a person (or noise), so the partial input is dropped. The keymap
is US: wedge mode cannot carry Chinese (use serial or HID-POS mode for that).
"""
from __future__ import annotations

from dataclasses import dataclass, field

EV_KEY = 1
KEY_ENTER, KEY_KPENTER = 28, 96
SHIFTS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
MAX_SCAN = 4096
_ROWS = {  # linux input keycodes -> (plain, shifted)
    2: "1!", 3: "2@", 4: "3#", 5: "4$", 6: "5%", 7: "6^", 8: "7&", 9: "8*", 10: "9(", 11: "0)", 12: "-_", 13: "=+",
    16: "qQ", 17: "wW", 18: "eE", 19: "rR", 20: "tT", 21: "yY", 22: "uU", 23: "iI", 24: "oO", 25: "pP", 26: "[{",
    27: "]}", 30: "aA", 31: "sS", 32: "dD", 33: "fF", 34: "gG", 35: "hH", 36: "jJ", 37: "kK", 38: "lL", 39: ";:",
    40: "'\"", 41: "`~", 43: "\\|", 44: "zZ", 45: "xX", 46: "cC", 47: "vV", 48: "bB", 49: "nN", 50: "mM", 51: ",<",
    52: ".>", 53: "/?", 57: "  ",
    71: "77", 72: "88", 73: "99", 74: "--", 75: "44", 76: "55", 77: "66", 78: "++", 79: "11", 80: "22", 81: "33",
    82: "00", 83: "..", 98: "//", 55: "**",
}


@dataclass
class WedgeDecoder:
    max_gap_s: float = 0.05
    buffer: list[str] = field(default_factory=list)
    shift: bool = False
    last_t: float | None = None
    dropped: int = 0  # partial inputs discarded (typing, noise, over-long)

    def feed(self, etype: int, code: int, value: int, t: float) -> str | None:
        """One input event (type, code, value 1=down 0=up 2=repeat, timestamp); returns a finished scan."""
        if etype != EV_KEY:
            return None
        if code in SHIFTS:
            self.shift = value != 0
            return None
        if value != 1:
            return None
        if self.last_t is not None and self.buffer and t - self.last_t > self.max_gap_s:
            self._drop()
        self.last_t = t
        if code in (KEY_ENTER, KEY_KPENTER):
            scan, self.buffer = "".join(self.buffer), []
            return scan or None
        chars = _ROWS.get(code)
        if chars is None:
            return None
        self.buffer.append(chars[1] if self.shift else chars[0])
        if len(self.buffer) > MAX_SCAN:
            self._drop()
        return None

    def _drop(self) -> None:
        self.buffer.clear()
        self.dropped += 1
