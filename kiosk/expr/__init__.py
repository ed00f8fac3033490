"""The one safe expression language of flow files: guards and ``{{ }}`` text.

Flow files are written by integrators and are untrusted, so expressions are
parsed by our own grammar (kiosk.expr.parse), type-checked against a declared
Scope and compiled into closures when the flow loads: a misspelt name, a type
error or an over-complex expression is a located ExprError then, not a
surprise in front of a citizen. Evaluation reads plain data only (dict, list,
str, int, float, bool, None, date); ``a.b`` looks up declared keys, never
Python attributes, and there is no way to call anything but FUNCTIONS.

The language, in short (docs/expressions.md is the reference):

* literals ``12 3.5 'text' "text" true false null [a, b]``; names ``id.name``;
  index ``x[0]`` ``m['key']``; calls of registered functions only ``len(x)``;
* ``a if c else b`` < ``or`` < ``and`` < ``not`` < ``== != < <= > >= in not in``
  < ``+ -`` < ``* / %`` < unary ``-``; no exponent, no string repetition;
* ``null`` means "unknown": it propagates through operators (``not null`` is
  null, ``null > 1`` is null, ``false and null`` is false) except explicit
  tests ``x == null`` / ``x != null`` and ``default(x, fallback)``. A guard is
  true only when its value is exactly true, so missing data never opens one;
  a template that meets null raises EvalError.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.expr.check import Checker
from kiosk.expr.funcs import FUNCTIONS, MAX_TEXT, EvalError, text
from kiosk.expr.parse import ExprError, parse
from kiosk.expr.scope import Scope
from kiosk.expr.types import ExprType, Label, Mask, Privacy, Var, compatible

__all__ = ["ExprType", "Privacy", "Label", "Mask", "Var", "Scope", "ExprError", "EvalError", "compile_expr", "compile_template",
           "Compiled", "Template", "FUNCTIONS"]
PUBLIC = Privacy.PUBLIC
MAX_INTERPOLATIONS = 200
MAX_TEMPLATE = 200_000  # the size cap of a document template file
RUNTIME_FAULTS = (TypeError, ValueError, ArithmeticError, LookupError, RecursionError)


@dataclass(frozen=True)
class Compiled:
    """A checked expression: evaluate() for values, test() for guards."""

    source: str
    type: ExprType
    refs: frozenset[str]
    label: Label
    _fn: Callable[[dict], Any] = field(repr=False, compare=False)

    @property
    def privacy(self) -> Privacy:
        return self.label.privacy

    def evaluate(self, context: dict) -> Any:
        """The value, or None when it depends on missing data; EvalError when evaluation fails."""
        if not isinstance(context, dict):
            raise EvalError("the context must be a dict")
        try:
            return self._fn(context)
        except EvalError as exc:
            raise EvalError(f"{self.source.strip()!r}: {exc}") from None
        except RUNTIME_FAULTS as exc:  # a guard against our own oversight; messages never carry values
            raise EvalError(f"{self.source.strip()!r}: {type(exc).__name__}") from None

    def test(self, context: dict) -> bool:
        """Guards fail closed: anything but exactly true (null, an error) is false. Never raises."""
        try:
            return self.evaluate(context) is True
        except EvalError:
            return False


def compile_expr(source: str, scope: Scope, *, expect: ExprType | None = None) -> Compiled:
    """Parse, type-check and compile ``source``; raises ExprError with an exact offset."""
    if not isinstance(source, str):
        raise ExprError("an expression must be text", 0)
    typed = Checker(scope).check(parse(source))
    if expect is not None and not compatible(typed.type, expect):
        lead = len(source) - len(source.lstrip())
        raise ExprError(f"expected {expect}, but this gives {typed.type}", lead, "expr/type",
                        end=len(source.rstrip()))
    return Compiled(source, typed.type, typed.refs, typed.label, typed.fn)


# -------------------------------------------------------------- templates
Show = Callable[[Any, Label, str], str]  # (value, its label, its source) -> the text shown


def _default_show(value: Any, label: Label, source: str) -> str:
    """Safe by default: anything non-public and not already masked is hidden; kiosk.privacy decides the rest."""
    return text(value) if label.public or label.mask == Mask.MASKED else "***"


@dataclass(frozen=True)
class Template:
    """Text with ``{{ expr }}`` interpolations; ``parts`` holds str and Compiled in order."""

    source: str
    parts: tuple
    refs: frozenset[str]
    privacy: Privacy
    spots: tuple = ()  # (offset of the expression in source, Compiled), for located privacy rules

    def render(self, context: dict, *, show: Show | None = None) -> str:
        """Undefined is an error in text (EvalError), unlike in guards."""
        show = show or _default_show
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.evaluate(context)
            if value is None:
                raise EvalError(f"{part.source.strip()!r} has no value")
            if part.label.codes is not None:
                value = part.label.codes.text(value, context.get("locale") or "")
            out.append(show(value, part.label, part.source.strip()))
        rendered = "".join(out)
        if len(rendered) > len(self.source) + 10 * MAX_TEXT:
            raise EvalError("rendered text too long")
        return rendered


def compile_template(source: str, scope: Scope) -> Template:
    """Compile every ``{{ }}``; an ExprError's offset points into ``source`` itself."""
    if not isinstance(source, str):
        raise ExprError("a template must be text", 0)
    if len(source) > MAX_TEMPLATE:
        raise ExprError(f"template longer than {MAX_TEMPLATE} characters", MAX_TEMPLATE, "expr/too-complex")
    parts: list = []
    spots: list = []
    pos = count = 0
    while (start := source.find("{{", pos)) >= 0:
        end = _closing(source, start + 2)
        if end < 0:
            raise ExprError("'{{' without a closing '}}'", start, end=start + 2)
        count += 1
        if count > MAX_INTERPOLATIONS:
            raise ExprError(f"more than {MAX_INTERPOLATIONS} interpolations", start, "expr/too-complex")
        parts.append(source[pos:start])
        inner = source[start + 2:end]
        if not inner.strip():
            raise ExprError("empty '{{ }}'", start, end=end + 2)
        try:
            parts.append(compile_expr(inner, scope))
        except ExprError as exc:
            raise exc.moved(start + 2) from None
        spots.append((start + 2 + len(inner) - len(inner.lstrip()), parts[-1]))
        pos = end + 2
    parts.append(source[pos:])
    compiled = [p for p in parts if isinstance(p, Compiled)]
    return Template(source, tuple(p for p in parts if p != ""),
                    frozenset().union(*(c.refs for c in compiled)),
                    max((c.privacy for c in compiled), default=PUBLIC), tuple(spots))


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
