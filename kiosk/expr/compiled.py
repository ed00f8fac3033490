"""A checked expression and how it is made: parse, type-check, close over the checked tree.

Its own module because templates (kiosk.expr.template) are built of these
and the package's public API imports both.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.expr.check import Checker
from kiosk.expr.funcs import EvalError
from kiosk.expr.parse import ExprError, parse
from kiosk.expr.scope import Scope
from kiosk.expr.types import ExprType, Label, Privacy, compatible

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

