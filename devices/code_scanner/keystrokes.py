"""A keyboard-wedge scanner's key events turned into text: the pure part of the wedge driver.

Key events in, finished scans out, on a US layout; a scan ends at ENTER. A
scanner is told from a person by the kernel's event timestamps: a pause
longer than ``key_gap`` inside a scan throws the partial scan away. No I/O
and no clock but the events' own timestamps, so it is tested on data alone.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Key codes from linux/input-event-codes.h (stable kernel ABI), kept here so the decoder needs no evdev.
EV_SYN, EV_KEY = 0x00, 0x01
SYN_DROPPED = 3  # the kernel's client buffer overflowed: events were lost
KEY_ENTER, KEY_KPENTER = 28, 96
SHIFT = frozenset({42, 54})  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CTRL = frozenset({29, 97})  # KEY_LEFTCTRL, KEY_RIGHTCTRL
ALT_META = frozenset({56, 100, 125, 126})  # KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTMETA, KEY_RIGHTMETA
KEY_CAPSLOCK = 58
IGNORED = frozenset({69, 70})  # KEY_NUMLOCK, KEY_SCROLLLOCK: the keypad is read as digits either way

# code -> (unshifted, shifted) on a US layout
KEYMAP: dict[int, tuple[str, str]] = {
    **{code: (c, s) for code, c, s in zip(range(2, 14), "1234567890-=", "!@#$%^&*()_+")},
    15: ("\t", "\t"),
    **{code: (c, c.upper()) for code, c in zip(range(16, 26), "qwertyuiop")},
    26: ("[", "{"), 27: ("]", "}"),
    **{code: (c, c.upper()) for code, c in zip(range(30, 39), "asdfghjkl")},
    39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"),
    **{code: (c, c.upper()) for code, c in zip(range(44, 51), "zxcvbnm")},
    51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 57: (" ", " "),
    # keypad, as typed with NumLock on (scanners assume it; the grabbed node has its own state)
    55: ("*", "*"), 74: ("-", "-"), 78: ("+", "+"), 83: (".", "."), 98: ("/", "/"),
    **{code: (d, d) for code, d in zip((71, 72, 73, 75, 76, 77, 79, 80, 81, 82), "7894561230")},
}
CTRL_CHARS = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_"  # Ctrl+key gives chr(ord & 0x1f): Ctrl+] is GS, the GS1 separator

Discard = Callable[[str, int], None]  # (reason, length) for a partial scan that was thrown away


class KeystrokeDecoder:
    """Key events in, finished scans out. Pure: no I/O and no clock but the events' own timestamps.

    A partial scan is discarded when the next key event comes more than
    ``key_gap`` seconds after the last one, when the timestamps go backwards,
    when the kernel reports lost events, when a key has no character, or when
    the scan grows past ``max_length``. It is thrown away, never returned cut
    short: a truncated code is worse than none.
    """

    def __init__(self, *, key_gap: float = 0.05, max_length: int = 4096, on_discard: Discard | None = None):
        self.key_gap = key_gap
        self.max_length = max_length
        self.on_discard = on_discard
        self.reset()

    def reset(self) -> None:
        self._buf: list[str] = []
        self._count = 0  # characters typed into this partial, including those past max_length
        self._bad: str | None = None  # why the partial can no longer be returned
        self._last: float | None = None
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._alt: set[int] = set()
        self._caps = False

    def feed(self, event: Any) -> str | None:
        """Take one evdev InputEvent (``type``, ``code``, ``value``, ``timestamp()``); return a finished scan."""
        if event.type == EV_SYN and event.code == SYN_DROPPED:
            self._discard("dropped")
            for held in (self._shift, self._ctrl, self._alt):
                held.clear()  # key-ups may be among the lost events
            return None
        if event.type != EV_KEY:
            return None
        now = event.timestamp()
        if self._last is not None and (now - self._last > self.key_gap or now < self._last):
            self._discard("gap")
        self._last = now
        code, value = event.code, event.value
        held = self._shift if code in SHIFT else self._ctrl if code in CTRL else self._alt if code in ALT_META else None
        if held is not None:
            (held.add if value else held.discard)(code)
            return None
        if value != 1:  # 0 release, 2 autorepeat: only presses type
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            return self._finish()
        if code == KEY_CAPSLOCK:
            self._caps = not self._caps
        elif code not in IGNORED:
            self._type(self._char(code))
        return None

    def _char(self, code: int) -> str | None:
        pair = KEYMAP.get(code)
        if pair is None or self._alt:  # Alt codes depend on a Windows code page; Linux has none to follow
            return None
        char = pair[1] if self._shift else pair[0]
        if self._caps and char.isalpha():
            char = char.swapcase()
        if self._ctrl:
            upper = char.upper()
            return chr(ord(upper) & 0x1F) if upper in CTRL_CHARS else None
        return char

    def _type(self, char: str | None) -> None:
        self._count += 1
        if self._bad:
            return
        if char is None:
            self._bad = "unmapped"
        elif len(self._buf) >= self.max_length:
            self._bad = "too_long"
        else:
            self._buf.append(char)

    def _finish(self) -> str | None:
        data, bad, count = "".join(self._buf), self._bad, self._count
        self._buf, self._bad, self._count = [], None, 0
        if bad:
            self._report(bad, count)
            return None
        return data or None  # a lone ENTER is not a scan

    def _discard(self, reason: str) -> None:
        if self._count:
            self._report(self._bad or reason, self._count)
        self._buf, self._bad, self._count = [], None, 0

    def _report(self, reason: str, length: int) -> None:
        if self.on_discard is not None:
            self.on_discard(reason, length)
