"""A small regular-expression matcher that cannot backtrack, for ``matches()``.

Python's ``re`` backtracks: ``(a|a)*b`` against 28 letters ran for a minute in
a test, and no syntactic heuristic catches every such pattern. Flow files are
untrusted and a hung guard freezes the kiosk, so patterns are compiled here to
a Thompson NFA and matched by simulating all states at once, with the state
sets cached as a lazy DFA. The cost is bounded by len(text) * states, always.

Supported: literals, ``.``, ``[...]``/``[^...]`` with ranges, ``\\d \\w \\s``
and their negations, ``\\n \\t \\r``, ``\\uXXXX``, escaped punctuation,
``(...)`` and ``(?:...)``, ``|``, ``* + ? {m} {m,} {m,n}`` (a trailing ``?`` for
laziness is accepted and means nothing, because only whole-text matching is
offered), and ``^``/``$`` at the very ends. Everything else (backreferences,
lookaround, flags, possessive quantifiers) is refused. ``\\d`` is ASCII 0-9.
"""
from __future__ import annotations

from dataclasses import dataclass, field

MAX_PATTERN = 200
MAX_STATES = 500
MAX_COUNT = 100  # largest {m,n} bound
MAX_GROUPS = 20  # nesting of (...)
MAX_TEXT = 1000  # longest text matches() will look at
MAX_CACHE = 4096  # cached (state set, character) transitions per pattern


class PatternError(ValueError):
    """A pattern outside the supported subset; ``index`` is the offending character."""

    def __init__(self, message: str, index: int):
        super().__init__(f"{message} (at character {index + 1} of the pattern)")
        self.index = index


def _digit(c: str) -> bool:
    return "0" <= c <= "9"


def _word(c: str) -> bool:
    return c == "_" or c.isalnum()


def _space(c: str) -> bool:
    return c.isspace()


CATEGORIES = {"d": _digit, "w": _word, "s": _space}
CONTROL = {"n": "\n", "t": "\t", "r": "\r"}


class _Reader:
    """Parses a pattern into tuples: ('set', pred) ('seq', [..]) ('alt', [..]) ('rep', x, lo, hi)."""

    def __init__(self, pattern: str):
        self.p, self.i, self.groups = pattern, 0, 0

    def fail(self, message: str, at: int | None = None):
        raise PatternError(message, self.i if at is None else at)

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def read(self) -> tuple:
        """Whole-text matching makes ^ and $ at the ends redundant; anywhere else they are refused."""
        start, stop = 0, len(self.p)
        if self.p.startswith("^"):
            self.i = start = 1
        if self.p.endswith("$") and stop > start and (len(self.p) - len(self.p[:-1].rstrip("\\"))) % 2:
            stop -= 1  # the '$' is an anchor unless an odd run of backslashes escapes it
        self.p = self.p[:stop]
        tree = self.alt()
        if self.i < len(self.p):
            self.fail("unbalanced ')'")
        return tree

    def alt(self) -> tuple:
        options = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            options.append(self.seq())
        return options[0] if len(options) == 1 else ("alt", options)

    def seq(self) -> tuple:
        items = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return ("seq", items)

    def atom(self) -> tuple:
        c, at = self.peek(), self.i
        self.i += 1
        if c == "(":
            return self.group(at)
        if c == "[":
            return ("set", self.char_class())
        if c == "\\":
            found = self.escaped()
            return ("set", found.__eq__ if isinstance(found, str) else found)
        if c == ".":
            return ("set", lambda ch: ch != "\n")
        if c in "^$":
            self.fail(f"{c!r} is allowed only at the very start or end", at)
        if c in "*+?{":
            self.fail(f"nothing to repeat before {c!r}", at)
        if c in "]}":
            self.fail(f"escape a literal {c!r} as \\{c}", at)
        return ("set", c.__eq__)

    def group(self, at: int) -> tuple:
        if self.p.startswith("?:", self.i):
            self.i += 2
        elif self.peek() == "?":
            self.fail("lookaround, named groups and flags are not supported", at)
        self.groups += 1
        if self.groups > MAX_GROUPS:
            self.fail(f"groups nested deeper than {MAX_GROUPS}", at)
        inner = self.alt()
        if self.peek() != ")":
            self.fail("'(' is never closed", at)
        self.i += 1
        self.groups -= 1
        return inner

    def escaped(self):
        """After a backslash: a literal character (str) or a category predicate such as \\d."""
        c = self.peek()
        if not c:
            self.fail("pattern ends with a backslash")
        self.i += 1
        if c.lower() in CATEGORIES:
            pred = CATEGORIES[c.lower()]
            return pred if c.islower() else (lambda ch: not pred(ch))
        if c in CONTROL:
            return CONTROL[c]
        if c == "u":
            code = self.p[self.i:self.i + 4]
            if len(code) != 4 or any(x not in "0123456789abcdefABCDEF" for x in code):
                self.fail("\\u needs four hex digits")
            self.i += 4
            return chr(int(code, 16))
        if c.isalnum():
            self.fail(f"\\{c} is not supported (no backreferences or word boundaries)", self.i - 2)
        return c

    def char_class(self):
        at = self.i - 1
        negate = self.peek() == "^"
        self.i += negate
        singles, ranges, preds = set(), [], []
        while self.peek() != "]":
            if not self.peek():
                self.fail("'[' is never closed", at)
            lo = self.class_char(preds)
            if lo is None:
                continue
            if self.peek() == "-" and self.p[self.i + 1:self.i + 2] not in ("]", ""):
                self.i += 1
                hi = self.class_char(preds)
                if hi is None or hi < lo:
                    self.fail("bad range in [...]")
                ranges.append((lo, hi))
            else:
                singles.add(lo)
        self.i += 1
        if not (singles or ranges or preds):
            self.fail("empty [...]", at)

        def pred(ch: str) -> bool:
            hit = ch in singles or any(lo <= ch <= hi for lo, hi in ranges) or any(p(ch) for p in preds)
            return hit != negate

        return pred

    def class_char(self, preds: list) -> str | None:
        """One member of a class: a character, or None when it was a category such as \\d."""
        c = self.peek()
        self.i += 1
        if c == "[":
            self.fail("escape a literal '[' inside [...] as \\[", self.i - 1)
        if c != "\\":
            return c
        found = self.escaped()
        if isinstance(found, str):
            return found
        preds.append(found)
        return None

    def quantified(self, item: tuple) -> tuple:
        c, at = self.peek(), self.i
        if c in ("*", "+", "?"):
            self.i += 1
            lo, hi = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        elif c == "{":
            lo, hi = self.counts(at)
        else:
            return item
        if self.peek() == "?":
            self.i += 1  # lazy: the same answer for a whole-text match
        if self.peek() in ("*", "+", "?", "{"):
            self.fail("a quantifier cannot follow a quantifier (possessive forms are not supported)")
        return ("rep", item, lo, hi)

    def counts(self, at: int) -> tuple[int, int | None]:
        close = self.p.find("}", at)
        lo_s, comma, hi_s = (self.p[at + 1:close] if close > 0 else "").partition(",")
        if close < 0 or not _ascii_digits(lo_s) or (hi_s and not _ascii_digits(hi_s)):
            self.fail("bad {m,n}: use {3}, {2,} or {2,5}; escape a literal '{' as \\{", at)
        lo = int(lo_s)
        hi = (int(hi_s) if hi_s else None) if comma else lo
        if lo > MAX_COUNT or (hi is not None and (hi > MAX_COUNT or hi < lo)):
            self.fail(f"counts in {{m,n}} must be ordered and at most {MAX_COUNT}", at)
        self.i = close + 1
        return lo, hi


def _ascii_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


class _Builder:
    """Compiles the parse tree backwards into NFA states: ('char', pred, next) or ('split', a, b)."""

    def __init__(self):
        self.states: list = [("match",)]

    def add(self, state) -> int:
        if len(self.states) >= MAX_STATES:
            raise PatternError(f"pattern needs more than {MAX_STATES} states; simplify its repetitions", 0)
        self.states.append(state)
        return len(self.states) - 1

    def build(self, node: tuple, nxt: int) -> int:
        kind = node[0]
        if kind == "set":
            return self.add(("char", node[1], nxt))
        if kind == "seq":
            for item in reversed(node[1]):
                nxt = self.build(item, nxt)
            return nxt
        if kind == "alt":
            entries = [self.build(option, nxt) for option in node[1]]
            head = entries[-1]
            for entry in reversed(entries[:-1]):
                head = self.add(("split", entry, head))
            return head
        return self.repeat(node[1], node[2], node[3], nxt)

    def repeat(self, item: tuple, lo: int, hi: int | None, nxt: int) -> int:
        if hi is None:  # x{lo,}: a loop, with lo copies in front
            loop = self.add(("split", nxt, nxt))
            self.states[loop] = ("split", self.build(item, loop), nxt)
            head = loop
        else:  # x{lo,hi}: hi-lo optional copies, each able to skip to the end
            head = nxt
            for _ in range(hi - lo):
                head = self.add(("split", self.build(item, head), nxt))
        for _ in range(lo):
            head = self.build(item, head)
        return head


@dataclass
class SafePattern:
    """A compiled pattern; ``fullmatch`` is a drop-in for ``re.Pattern.fullmatch`` in a boolean test."""

    pattern: str
    states: list = field(repr=False)
    start: int = field(repr=False)
    _closure: dict = field(default_factory=dict, repr=False)
    _step: dict = field(default_factory=dict, repr=False)

    def fullmatch(self, text: str) -> bool:
        if len(text) > MAX_TEXT:
            raise ValueError(f"text longer than {MAX_TEXT} characters")
        current = self.closure(self.start)
        for ch in text:
            current = self.advance(current, ch)
            if not current:
                return False
        return 0 in current  # state 0 is the match state

    def closure(self, state: int) -> frozenset:
        """States reachable without reading a character: character tests and the match state (0)."""
        found = self._closure.get(state)
        if found is None:
            seen, todo, out = {state}, [state], set()
            while todo:
                i = todo.pop()
                s = self.states[i]
                if s[0] != "split":
                    out.add(i)
                    continue
                for t in s[1:]:
                    if t not in seen:
                        seen.add(t)
                        todo.append(t)
            found = self._closure[state] = frozenset(out)
        return found

    def advance(self, current: frozenset, ch: str) -> frozenset:
        """One character for all live states at once: the step that makes backtracking impossible."""
        key = (current, ch)
        found = self._step.get(key)
        if found is None:
            nxt: set = set()
            for s in current:
                state = self.states[s]
                if state[0] == "char" and state[1](ch):
                    nxt |= self.closure(state[2])
            found = frozenset(nxt)
            if len(self._step) >= MAX_CACHE:
                self._step.clear()  # bounded memory; correctness does not depend on the cache
            self._step[key] = found
        return found


def compile_safe(pattern: str) -> SafePattern:
    """Compile ``pattern`` or raise PatternError saying which character is the problem."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"pattern longer than {MAX_PATTERN} characters", MAX_PATTERN)
    tree = _Reader(pattern).read()
    builder = _Builder()
    start = builder.build(tree, 0)
    return SafePattern(pattern, builder.states, start)
