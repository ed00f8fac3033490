"""On-screen keyboards without Kivy: layouts as data, what each field accepts, pinyin composition.

Kept apart from the widget so the rules that matter (an ID field never takes
a letter other than a final X, a phone number stops at 11 digits, 张 comes
first for "zhang" in a name) are tested in milliseconds and shared by the
widget, the scenario runner and any hardware-keyboard path.

A state is immutable: ``apply(key_id)`` returns the next state, or the very
same object when the key does nothing, so ``can_press`` is simply "would it
change anything" and the widget greys out exactly the keys that are inert.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

KINDS = ("digits", "id_number", "phone", "latin", "pinyin")
FIELDS = ("text", "name", "address")
# Lengths fixed by the format: GB 11643 citizen ID numbers have 18 characters, mainland mobiles 11 digits.
CAPS = {"id_number": 18, "phone": 11}
DEFAULT_MAX = 64
BUFFER_MAX = 24  # four long syllables: enough for a name, short enough to keep the candidate bar readable
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Which candidate tiers come first (see scripts/gen_pinyin_table.py): S surname, G given name,
# A address, C common, R rare. A name's first character is its surname; later ones are given names.
ORDER = {"name_first": "SGACR", "name": "GSACR", "address": "AGSCR", "text": "GASCR"}
LABELS = {
    "zh-CN": {"BACKSPACE": "删除", "CLEAR": "清空", "SPACE": "空格", "COMMIT_RAW": "输入字母",
              "PAGE_PREV": "上页", "PAGE_NEXT": "下页", "HINT": "输入拼音，点选汉字"},
    "en": {"BACKSPACE": "Delete", "CLEAR": "Clear", "SPACE": "Space", "COMMIT_RAW": "Letters",
           "PAGE_PREV": "Prev", "PAGE_NEXT": "Next", "HINT": "Type pinyin, then tap a character"},
}


class KeyboardError(ValueError):
    """A keyboard asked for with an unknown kind, field, locale, or a damaged pinyin table."""


@dataclass(frozen=True)
class Key:
    key_id: str  # what apply() takes: "7", "A", "BACKSPACE", "CAND:张"
    label: str
    action: str  # char, backspace, clear, space, commit_raw, candidate, page, spacer
    width: float = 1.0  # share of a ten-unit row


def _row(keys: str, label=str) -> list[Key]:
    return [Key(k, label(k), "char") for k in keys]


def _spacer(width: float) -> Key:
    return Key("", "", "spacer", width)


def layout(kind: str, locale: str = "zh-CN", letters: str = "qwerty") -> tuple[tuple[Key, ...], ...]:
    """The fixed rows of a keyboard; the pinyin candidate bar is separate (``KeyboardState.candidate_keys``)."""
    _check(kind, "text", locale)
    words = LABELS[locale]

    def ctl(key_id: str, width: float = 1.0) -> Key:
        return Key(key_id, words[key_id], key_id.lower(), width)

    if kind in ("digits", "phone", "id_number"):  # telephone order, 1 at the top left, as on a phone or ATM
        pad = [_row("123"), _row("456"), _row("789")]
        if kind == "id_number":
            return tuple(map(tuple, pad + [_row("X") + _row("0") + [ctl("BACKSPACE")], [ctl("CLEAR", 3)]]))
        return tuple(map(tuple, pad + [[ctl("CLEAR")] + _row("0") + [ctl("BACKSPACE")]]))
    if letters not in ("qwerty", "abc"):
        raise KeyboardError(f"letters must be 'qwerty' or 'abc', not {letters!r}")
    label = str.lower if kind == "pinyin" else str  # pinyin is taught in lower case
    rows = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM") if letters == "qwerty" else ("ABCDEFGHIJ", "KLMNOPQRS", "TUVWXYZ")
    body = [_row("1234567890"), _row(rows[0], label), [_spacer(0.5), *_row(rows[1], label), _spacer(0.5)],
            [_spacer(1), *_row(rows[2], label), Key("-", "-", "char"), _spacer(1)]]
    middle = ctl("COMMIT_RAW", 5) if kind == "pinyin" else ctl("SPACE", 5)
    return tuple(map(tuple, body + [[ctl("CLEAR", 2.5), middle, ctl("BACKSPACE", 2.5)]]))


def allowed(kind: str, char: str) -> bool:
    """Whether ``char`` may ever stand in a field of this kind (position and length rules are the state's)."""
    if kind in ("digits", "phone"):
        return char in DIGITS
    if kind == "id_number":
        return char in DIGITS or char in "Xx"
    if kind == "latin":
        return char.upper() in LETTERS or char in DIGITS or char in " -"
    if kind == "pinyin":
        return char.upper() in LETTERS or char in DIGITS or char in " -" or _is_hanzi(char)
    raise KeyboardError(f"unknown keyboard kind {kind!r}; known: {', '.join(KINDS)}")


def _is_hanzi(char: str) -> bool:
    return len(char) == 1 and ("\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
                               or "\U00020000" <= char <= "\U0003134f")


def _check(kind: str, field_: str, locale: str) -> None:
    if kind not in KINDS:
        raise KeyboardError(f"unknown keyboard kind {kind!r}; known: {', '.join(KINDS)}")
    if field_ not in FIELDS:
        raise KeyboardError(f"unknown field {field_!r}; known: {', '.join(FIELDS)}")
    if locale not in LABELS:
        raise KeyboardError(f"unknown locale {locale!r}; known: {', '.join(LABELS)}")


@dataclass(frozen=True, eq=False)
class PinyinTable:
    """Syllable -> characters by tier, read from kiosk/ui/data/pinyin.tsv (generated; see its header)."""

    tiers: dict  # tier -> syllable -> ((rank, character), ...), rank = line number: lower is offered first
    by_prefix: dict  # every prefix of a syllable -> the syllables it starts

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PinyinTable":
        src = Path(path) if path else resources.files("kiosk.ui") / "data" / "pinyin.tsv"
        tiers: dict = {t: {} for t in "SGACR"}
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            syllable_ok = len(parts) == 3 and parts[0].isascii() and parts[0].isalpha()
            if not syllable_ok or parts[2] not in tiers or not _is_hanzi(parts[1]):
                raise KeyboardError(f"{src}:{n}: expected 'syllable<TAB>character<TAB>tier', got {line!r}")
            tiers[parts[2]].setdefault(parts[0], []).append((n, parts[1]))
        by_prefix: dict = {}
        for syllable in {s for rows in tiers.values() for s in rows}:
            for i in range(1, len(syllable) + 1):
                by_prefix.setdefault(syllable[:i], []).append(syllable)
        frozen = {t: {s: tuple(rows) for s, rows in by_s.items()} for t, by_s in tiers.items()}
        return cls(frozen, {p: tuple(sorted(s)) for p, s in by_prefix.items()})

    def is_syllable(self, text: str) -> bool:
        return text in self.by_prefix and text in self.by_prefix[text]

    def head(self, buffer: str) -> tuple[str, bool]:
        """The part of ``buffer`` to offer characters for, and whether it is a whole syllable.

        A whole syllable wins, then a syllable being typed ("xio" on the way to
        xiong, not xi + o), then the longest leading syllable ("zhangsan" offers
        zhang first), then the longest leading fragment.
        """
        if self.is_syllable(buffer) or buffer in self.by_prefix:
            return buffer, self.is_syllable(buffer)
        for k in range(len(buffer) - 1, 0, -1):
            if self.is_syllable(buffer[:k]):
                return buffer[:k], True
        for k in range(len(buffer) - 1, 0, -1):
            if buffer[:k] in self.by_prefix:
                return buffer[:k], False
        return "", False

    def lookup(self, buffer: str, order: str = ORDER["text"]) -> tuple[tuple[str, ...], int]:
        """Candidates for the head of ``buffer``, best first, and how many letters choosing one consumes."""
        head, whole = self.head(buffer)
        if not head:
            return (), 0
        syllables = (head,) if whole else self.by_prefix[head]
        out: dict[str, None] = {}
        for tier in order:
            rows = sorted(r for s in syllables for r in self.tiers[tier].get(s, ()))
            out.update((c, None) for _, c in rows if c not in out)
        return tuple(out), len(head)


@lru_cache(maxsize=1)
def shipped_table() -> PinyinTable:
    """The packaged table, parsed once per process (~30 ms): read-only data, so every keyboard can share it."""
    return PinyinTable.load()


@dataclass(frozen=True)
class KeyboardState:
    """What a keyboard holds: committed ``text`` and, for pinyin, the letters being composed."""

    kind: str
    text: str = ""
    buffer: str = ""
    field: str = "text"
    max_length: int = DEFAULT_MAX
    page: int = 0
    page_size: int = 8
    table: PinyinTable | None = dc_field(default=None, repr=False, compare=False)

    @classmethod
    def start(cls, kind: str, text: str = "", field: str = "text", max_length: int | None = None,
              page_size: int = 8, table: PinyinTable | None = None) -> "KeyboardState":
        """Validate once; the limit is the smaller of ``max_length`` and the format's own (ID 18, phone 11)."""
        _check(kind, field, "zh-CN")
        if (max_length is not None and max_length < 1) or page_size < 1:
            raise KeyboardError("max_length and page_size must be positive")
        cap = CAPS.get(kind)
        limit = max_length or cap or DEFAULT_MAX
        limit = min(limit, cap) if cap else limit
        if kind == "pinyin" and table is None:
            table = shipped_table()
        return cls(kind, "", "", field, limit, 0, page_size, table).with_text(text)

    def with_text(self, text: str) -> "KeyboardState":
        """Replace the text from outside (a card read, a scanner), keeping only what a tap could have typed."""
        state = replace(self, text="", buffer="", page=0)
        for char in text:
            state = state._insert(char)
        return state

    def accepts(self, char: str) -> bool:
        """Whether ``char`` can be added now: allowed for the kind, room left, X only as an ID's 18th character."""
        if len(char) != 1 or not allowed(self.kind, char) or len(self.text) >= self.max_length:
            return False
        if self.kind == "id_number" and char in "Xx":
            return len(self.text) == CAPS["id_number"] - 1
        return not (char == " " and (not self.text or self.text.endswith(" ")))

    def _insert(self, char: str) -> "KeyboardState":
        if self.kind in ("id_number", "latin") or (self.kind == "pinyin" and not _is_hanzi(char)):
            char = char.upper()
        return replace(self, text=self.text + char) if self.accepts(char) else self

    @cached_property
    def _composition(self) -> tuple[tuple[str, ...], int]:
        if not self.buffer or self.table is None:
            return (), 0
        order = self.field if self.field != "name" else ("name" if self.text.strip() else "name_first")
        return self.table.lookup(self.buffer, ORDER[order])

    @property
    def candidates(self) -> tuple[str, ...]:
        return self._composition[0]

    @property
    def pages(self) -> int:
        return -(-len(self.candidates) // self.page_size)

    @property
    def visible_candidates(self) -> tuple[str, ...]:
        return self.candidates[self.page * self.page_size:(self.page + 1) * self.page_size]

    def candidate_keys(self, locale: str = "zh-CN") -> tuple[Key, ...]:
        """The candidate bar: this page's characters, then the two page keys."""
        words = LABELS[locale]
        return (*(Key(f"CAND:{c}", c, "candidate") for c in self.visible_candidates),
                Key("PAGE_PREV", words["PAGE_PREV"], "page"), Key("PAGE_NEXT", words["PAGE_NEXT"], "page"))

    def can_press(self, key_id: str) -> bool:
        return self.apply(key_id) is not self

    def apply(self, key_id: str) -> "KeyboardState":
        """The state after tapping ``key_id``; the same object when the tap does nothing."""
        if key_id == "BACKSPACE":
            if self.buffer:
                return replace(self, buffer=self.buffer[:-1], page=0)
            return replace(self, text=self.text[:-1]) if self.text else self
        if key_id == "CLEAR":
            return replace(self, text="", buffer="", page=0) if self.text or self.buffer else self
        if key_id == "SPACE":
            return self._insert(" ") if self.kind == "latin" else self
        if key_id == "COMMIT_RAW":  # letters as typed, upper case as on documents and in "B座"
            if not self.buffer:
                return self
            state = replace(self, buffer="", page=0)
            for char in self.buffer:
                state = state._insert(char)
            return state
        if key_id in ("PAGE_PREV", "PAGE_NEXT"):
            page = self.page + (1 if key_id == "PAGE_NEXT" else -1)
            return replace(self, page=page) if 0 <= page < self.pages else self
        if key_id.startswith("CAND:"):
            char = key_id[5:]
            if char not in self.candidates or not self.accepts(char):
                return self
            return replace(self, text=self.text + char, buffer=self.buffer[self._composition[1]:], page=0)
        if len(key_id) != 1:
            return self
        if self.kind == "pinyin" and key_id.upper() in LETTERS:
            room = len(self.text) < self.max_length and len(self.buffer) < BUFFER_MAX
            return replace(self, buffer=self.buffer + key_id.lower(), page=0) if room else self
        if self.buffer:  # a digit inside a composition would land before the letters: finish the word first
            return self
        return self._insert(key_id)
