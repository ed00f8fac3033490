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
           "Compiled", "Template", "Loop", "compile_loop", "FUNCTIONS"]
PUBLIC = Privacy.PUBLIC
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


from kiosk.expr.template import Loop, Template, compile_loop, compile_template  # noqa: E402  (needs Compiled)
