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

from kiosk.expr.compiled import Compiled, compile_expr
from kiosk.expr.funcs import FUNCTIONS, EvalError
from kiosk.expr.parse import ExprError
from kiosk.expr.scope import Scope
from kiosk.expr.template import Loop, Template, compile_loop, compile_template
from kiosk.expr.types import ExprType, Label, Mask, Privacy, Var

__all__ = ["ExprType", "Privacy", "Label", "Mask", "Var", "Scope", "ExprError", "EvalError", "compile_expr", "compile_template",
           "Compiled", "Template", "Loop", "compile_loop", "FUNCTIONS"]
