"""Text with ``{{ expr }}`` interpolations and ``{% for %}`` loops, compiled once against a Scope.

A loop repeats its body once per item of a list, with the item under its own
name and ``loop.index`` (from 1) / ``loop.count``; ``{% empty %}`` gives the
text for an empty (or missing) list::

    {% for d in data.deposits %}<tr><td>{{ loop.index }}</td><td>{{ d.month }}</td></tr>
    {% empty %}<tr><td colspan="2">none</td></tr>{% endfor %}

The body is written in the template, so the renderer's ``show`` (HTML
escaping, masking) applies to every interpolated value inside it, exactly as
outside. Item fields come from the list's declaration (``items:`` of a result),
so ``d.amont`` is a load error with a did-you-mean; an item is as private as
its list or its field, whichever is more private. ``loop.*`` is public: the
number of rows shows anyway.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.expr.compiled import Compiled, compile_expr
from kiosk.expr.funcs import MAX_TEXT, EvalError, text
from kiosk.expr.parse import ExprError
from kiosk.expr.scope import Scope
from kiosk.expr.types import ExprType, Label, Mask, Privacy, Var, compatible, default_mask

MAX_INTERPOLATIONS = 200
MAX_TEMPLATE = 200_000  # the size cap of a document template file
MAX_DEPTH = 3  # loops inside loops
MAX_ITEMS = 500  # per loop, at run time: far more rows than any certificate holds
MAX_ROWS = 2000  # all loops of one rendering together: nested loops multiply
MAX_RENDERED = 1_000_000
LOOP_VARS = {"index": Var(ExprType.INT, doc="1, 2, 3… in a loop"), "count": Var(ExprType.INT, doc="items in the loop")}
TAG = re.compile(r"\{%\s*(.*?)\s*%\}", re.S)
FOR = re.compile(r"for\s+([a-z][a-z0-9_]*)\s+in\s+(.+)$", re.S)
HEADER = re.compile(r"\s*([a-z][a-z0-9_]*)\s+in\s+(\S.*)$", re.S)

Show = Callable[[Any, Label, str], str]  # (value, its label, its source) -> the text shown


def _default_show(value: Any, label: Label, source: str) -> str:
    """Safe by default: anything non-public and not already masked is hidden; kiosk.privacy decides the rest."""
    return text(value) if label.public or label.mask == Mask.MASKED else "***"


@dataclass(frozen=True)
class Loop:
    """``{% for name in iterable %}body{% empty %}empty{% endfor %}``: parts are str, Compiled or Loop."""

    name: str
    iterable: Compiled
    body: tuple
    empty: tuple = ()

    def contexts(self, context: dict, budget: list[int] | None = None) -> list[dict]:
        """One context per item: the outer one plus the item under ``name`` and ``loop``.

        ``budget`` holds the rows one rendering may still produce, shared by its
        loops, so that three nested loops of 500 items cannot make 125 million.
        """
        items = self.iterable.evaluate(context)
        if items is None:
            return []
        if not isinstance(items, list):
            raise EvalError(f"{self.iterable.source.strip()!r} is not a list")
        if len(items) > MAX_ITEMS:
            raise EvalError(f"{self.iterable.source.strip()!r}: more than {MAX_ITEMS} items")
        if budget is not None:
            budget[0] -= len(items)
            if budget[0] < 0:
                raise EvalError(f"more than {MAX_ROWS} rows in all loops")
        return [{**context, self.name: item, "loop": {"index": i + 1, "count": len(items)}}
                for i, item in enumerate(items)]


@dataclass(frozen=True)
class Template:
    """Text with ``{{ expr }}`` interpolations and loops; ``parts`` holds str, Compiled and Loop in order."""

    source: str
    parts: tuple
    refs: frozenset[str]
    privacy: Privacy
    spots: tuple = ()  # (offset of the expression in source, Compiled), loop bodies included, for the privacy rules

    def render(self, context: dict, *, show: Show | None = None) -> str:
        """Undefined is an error in text (EvalError), unlike in guards."""
        out: list[str] = []
        limit = len(self.source) + 10 * MAX_TEXT + (MAX_RENDERED if any(isinstance(p, Loop) for p in self.parts) else 0)
        _render(self.parts, context, show or _default_show, out, [MAX_ROWS, limit])
        return "".join(out)


def _render(parts: tuple, context: dict, show: Show, out: list[str], budget: list[int]) -> None:
    """``budget`` is [rows, characters] left: checked as the text grows, so a loop cannot fill the memory first."""
    for part in parts:
        if isinstance(part, Loop):
            rows = part.contexts(context, budget)
            for row in rows:
                _render(part.body, row, show, out, budget)
            if not rows:
                _render(part.empty, context, show, out, budget)
            continue
        if isinstance(part, str):
            piece = part
        else:
            value = part.evaluate(context)
            if value is None:
                raise EvalError(f"{part.source.strip()!r} has no value")
            if part.label.codes is not None:  # a coded value shows its text in the visit's language
                value = part.label.codes.text(value, context.get("locale") or "")
            piece = show(value, part.label, part.source.strip())
        budget[1] -= len(piece)
        if budget[1] < 0:
            raise EvalError("rendered text too long")
        out.append(piece)


def compile_loop(header: str, scope: Scope) -> tuple[str, Compiled, Scope]:
    """``name in expression`` -> (name, the compiled list, the scope of the loop body).

    Offsets of an ExprError point into ``header``.
    """
    m = HEADER.match(header)
    if not m:
        raise ExprError("a loop reads 'name in list', e.g. 'd in data.deposits'", 0, "tmpl/loop",
                        end=len(header))
    name, source = m.group(1), m.group(2)
    at = m.start(2)
    if name == "loop" or scope.group(name) is not None or scope.lookup(name) is not None:
        raise ExprError(f"{name!r} is already a name here; call the item something else", m.start(1), "tmpl/loop",
                        end=m.end(1))
    try:
        iterable = compile_expr(source, scope)
    except ExprError as exc:
        raise exc.moved(at) from None
    if not compatible(iterable.type, ExprType.LIST):
        raise ExprError(f"a loop goes over a list, not a {iterable.type}", at, "expr/type", end=len(header.rstrip()))
    return name, iterable, scope.child({name: _item(iterable, scope), "loop": dict(LOOP_VARS)})


def _item(iterable: Compiled, scope: Scope) -> Var | dict:
    """What the loop variable holds: the declared item fields, each as private as the list or more."""
    declared = scope.lookup(iterable.source.strip())
    floor = iterable.label.privacy
    if declared is None or declared.items is None:
        return Var(ExprType.ANY, floor, "an item of a list", None if floor == Privacy.PUBLIC else Mask.HIDE)
    return _raise_privacy(declared.items, floor)


def _raise_privacy(tree: dict, floor: Privacy) -> dict:
    out: dict = {}
    for key, var in tree.items():
        if isinstance(var, dict):
            out[key] = _raise_privacy(var, floor)
        else:
            p = max(var.privacy, floor)
            mask = var.mask if var.privacy == p and var.mask is not None else default_mask(p, var.type)
            out[key] = dataclasses.replace(var, privacy=p, mask=mask)
    return out


def compile_template(source: str, scope: Scope) -> Template:
    """Compile every ``{{ }}`` and ``{% %}``; an ExprError's offset points into ``source`` itself."""
    if not isinstance(source, str):
        raise ExprError("a template must be text", 0)
    if len(source) > MAX_TEMPLATE:
        raise ExprError(f"template longer than {MAX_TEMPLATE} characters", MAX_TEMPLATE, "expr/too-complex")
    spots: list = []
    refs: set = set()
    counter = [0]
    parts, pos, closer = _parse(source, 0, scope, spots, refs, counter, 0)
    if closer is not None:
        raise ExprError(f"'{{% {closer[0]} %}}' without a '{{% for %}}'", closer[1], "tmpl/loop", end=closer[2])
    compiled = [p for _, p in spots]
    return Template(source, parts, frozenset(refs), max((c.privacy for c in compiled), default=Privacy.PUBLIC),
                    tuple(spots))


def _parse(source: str, pos: int, scope: Scope, spots: list, refs: set, counter: list, depth: int):
    """Parts from ``pos`` up to an ``{% empty %}``/``{% endfor %}`` (returned as closer) or the end."""
    parts: list = []
    while True:
        i = _next_open(source, pos)
        if i < 0:
            _append(parts, source[pos:])
            return tuple(parts), len(source), None
        _append(parts, source[pos:i])
        if source.startswith("{{", i):
            pos = _interpolation(source, i, scope, spots, refs, counter, parts)
            continue
        m = TAG.match(source, i)
        if not m:
            raise ExprError("'{%' without a closing '%}'", i, "tmpl/loop", end=i + 2)
        tag, end = m.group(1), m.end()
        if tag in ("empty", "endfor"):
            return tuple(parts), end, (tag, i, end)
        fm = FOR.match(tag)
        if not fm:
            word = tag.split()[0] if tag.split() else ""
            raise ExprError(f"unknown tag {word!r}: templates know {{% for x in list %}}, {{% empty %}} and "
                            "{% endfor %}", i, "tmpl/loop", end=end)
        if depth >= MAX_DEPTH:
            raise ExprError(f"loops nested deeper than {MAX_DEPTH}", i, "expr/too-complex", end=end)
        header_at = m.start(1) + 4 + (len(tag) - 4 - len(tag[4:].lstrip()))
        try:
            name, iterable, inner = compile_loop(tag[4:].lstrip(), scope)
        except ExprError as exc:
            raise exc.moved(header_at) from None
        refs.update(iterable.refs)
        body, pos, closer = _parse(source, end, inner, spots, refs, counter, depth + 1)
        empty: tuple = ()
        if closer is not None and closer[0] == "empty":
            empty, pos, closer = _parse(source, pos, scope, spots, refs, counter, depth + 1)
            if closer is not None and closer[0] == "empty":
                raise ExprError("a second '{% empty %}' in one loop", closer[1], "tmpl/loop", end=closer[2])
        if closer is None:
            raise ExprError(f"'{{% for {name} in … %}}' without '{{% endfor %}}'", i, "tmpl/loop", end=end)
        parts.append(Loop(name, iterable, body, empty))


def _interpolation(source, start, scope, spots, refs, counter, parts) -> int:
    end = _closing(source, start + 2)
    if end < 0:
        raise ExprError("'{{' without a closing '}}'", start, end=start + 2)
    counter[0] += 1
    if counter[0] > MAX_INTERPOLATIONS:
        raise ExprError(f"more than {MAX_INTERPOLATIONS} interpolations", start, "expr/too-complex")
    inner = source[start + 2:end]
    if not inner.strip():
        raise ExprError("empty '{{ }}'", start, end=end + 2)
    try:
        compiled = compile_expr(inner, scope)
    except ExprError as exc:
        raise exc.moved(start + 2) from None
    parts.append(compiled)
    refs.update(compiled.refs)
    spots.append((start + 2 + len(inner) - len(inner.lstrip()), compiled))
    return end + 2


def _append(parts: list, s: str) -> None:
    if s:
        parts.append(s)


def _next_open(source: str, pos: int) -> int:
    a, b = source.find("{{", pos), source.find("{%", pos)
    return min(x for x in (a, b) if x >= 0) if a >= 0 or b >= 0 else -1


def _closing(source: str, i: int) -> int:
    """The ``}}`` that closes an interpolation, skipping text literals (``{{ '}}' }}`` is fine)."""
    while i < len(source):
        c = source[i]
        if c in "'\"":
            close = _string_end(source, i)
            if close < 0:
                return source.find("}}", i)  # let the expression report the open literal
            i = close
        elif source.startswith("}}", i):
            return i
        else:
            i += 1
    return -1


def _string_end(source: str, i: int) -> int:
    quote, j = source[i], i + 1
    while j < len(source) and source[j] not in (quote, "\n"):
        j += 2 if source[j] == "\\" else 1
    return j + 1 if j < len(source) and source[j] == quote else -1
