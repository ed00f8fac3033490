"""Run-time semantics of checked expressions, as closures built once at load.

The checker (kiosk.expr.check) decides what is allowed; this module decides
what it does with real data, which may be missing or wrong:

* ``None`` is "unknown" and propagates, so a missing value can never open a
  guard by way of ``not`` or ``!=``; only ``x == null`` and ``default()`` turn
  it into an answer, and ``and``/``or`` follow three-valued logic.
* a variable's value must match its declared type and be plain data; a
  backend that sends ``"3"`` for an int fails the expression (closed), rather
  than comparing unequal (open).
* every result is bounded (kiosk.expr.funcs.checked).

Each builder takes the closures of the operands and returns ``fn(ctx)``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.expr.funcs import MAX_TEXT, EvalError, Func, checked, day, equal, kind, member
from kiosk.expr.regex import MAX_TEXT as MAX_MATCH_TEXT
from kiosk.expr.regex import SafePattern
from kiosk.expr.types import ExprType

T = ExprType
Fn = Callable[[dict], Any]
KIND_OF = {T.STRING: "string", T.INT: "number", T.NUMBER: "number", T.BOOL: "bool", T.DATE: "date",
           T.LIST: "list", T.MAP: "map", T.NULL: "null"}


def constant(v: Any) -> Fn:
    return lambda ctx: v


def list_of(fns: tuple) -> Fn:
    return lambda ctx: [f(ctx) for f in fns]


def _conformer(name: str, t: ExprType) -> Callable[[Any], Any]:
    """Data must match its declaration: a backend sending "3" for an int cannot slip past a guard."""
    want = KIND_OF.get(t)

    def conform(v):
        k = kind(v)  # refuses anything but plain data
        if want is not None and (k != want or (t == T.INT and not isinstance(v, int))):
            raise EvalError(f"{name} should be {t} but the data holds {k}")
        return day(v) if k == "date" else checked(v)
    return conform


def reader(dotted: str, t: ExprType) -> Fn:
    """Dotted names walk dict keys only; a missing key, or a non-dict on the way, reads as null."""
    path = tuple(dotted.split("."))
    conform = _conformer(dotted, t)
    if len(path) == 1:
        (a,) = path

        def read1(ctx):
            v = ctx.get(a)
            return None if v is None else conform(v)
        return read1

    def read(ctx):
        v: Any = ctx
        for part in path:
            if not isinstance(v, dict):
                return None
            v = v.get(part)
        return None if v is None else conform(v)
    return read


def indexer(bf: Fn, inf: Fn) -> Fn:
    """``x[i]``: list and text by whole number (negative from the end), map by text; past the end is null."""
    def index(ctx):
        b = bf(ctx)
        i = None if b is None else inf(ctx)
        if i is None:
            return None
        kb = kind(b)
        if kb == "map":
            if not isinstance(i, str):
                raise EvalError("map keys are text")
            v = b.get(i)
        elif kb in ("list", "string"):
            if isinstance(i, bool) or not isinstance(i, int):
                raise EvalError("a list index is a whole number")
            v = b[i] if -len(b) <= i < len(b) else None
        else:
            raise EvalError(f"cannot index a {kb}")
        if v is None:
            return None
        kind(v)  # refuses anything but plain data
        return checked(v)
    return index


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError(f"expected a number, not {kind(v)}")
    return v


def _bool(v) -> bool:
    if v is True or v is False:
        return v
    raise EvalError(f"expected true/false, not {kind(v)}")


def negation(f: Fn) -> Fn:
    def neg(ctx):
        v = f(ctx)
        return None if v is None else -_number(v)
    return neg


def _apply(op: str, x, y):
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        raise EvalError("division by zero")
    return x / y if op == "/" else x % y


def null_propagating(af: Fn, bf: Fn, combine: Callable[[Any, Any], Any]) -> Fn:
    """The one rule for binary operators: left first; null if either side is null (then the right is not run)."""
    def run(ctx):
        x = af(ctx)
        if x is None:
            return None
        y = bf(ctx)
        return None if y is None else combine(x, y)
    return run


def arith(op: str, af: Fn, bf: Fn, exact: bool) -> Fn:
    """``exact``: both operands are statically numbers (or both text), so only null needs checking."""
    def combine(x, y):
        if not exact and not (op == "+" and isinstance(x, str) and isinstance(y, str)):
            x, y = _number(x), _number(y)
        if op == "+" and isinstance(x, str) and len(x) + len(y) > MAX_TEXT:
            raise EvalError(f"text result longer than {MAX_TEXT} characters")
        return checked(_apply(op, x, y))
    return null_propagating(af, bf, combine)


def null_test(af: Fn, bf: Fn, want_equal: bool) -> Fn:
    """`x == null`: the one way to ask whether a value is missing, so it yields true/false, never null."""
    return lambda ctx: ((af(ctx) is None) == (bf(ctx) is None)) == want_equal


def equality(af: Fn, bf: Fn, want_equal: bool) -> Fn:
    return null_propagating(af, bf, lambda x, y: equal(x, y) == want_equal)


def membership(af: Fn, bf: Fn, want_in: bool) -> Fn:
    return null_propagating(af, bf, lambda x, y: member(x, y) == want_in)


def ordering(op: str, af: Fn, bf: Fn) -> Fn:
    """Numbers, texts and dates order among themselves; mixed kinds found at run time are an error."""
    def combine(x, y):
        kx, ky = kind(x), kind(y)
        if kx != ky or kx not in ("number", "string", "date"):
            raise EvalError(f"cannot order {kx} and {ky}")
        if kx == "date":
            x, y = day(x), day(y)
        return x < y if op == "<" else x <= y if op == "<=" else x > y if op == ">" else x >= y
    return null_propagating(af, bf, combine)


def kleene(fns: tuple, stop: bool) -> Fn:
    """and (stop=False) / or (stop=True) in three-valued logic: a definite answer wins over null."""
    def run(ctx):
        result = not stop
        for f in fns:
            v = f(ctx)
            if v is None:
                result = None
            elif _bool(v) is stop:
                return stop
        return result
    return run


def logical_not(f: Fn) -> Fn:
    def run(ctx):
        v = f(ctx)
        return None if v is None else not _bool(v)
    return run


def choice(tf: Fn, yf: Fn, nf: Fn) -> Fn:
    """``a if c else b``: an unknown condition gives an unknown value, not the else branch."""
    def run(ctx):
        c = tf(ctx)
        return None if c is None else yf(ctx) if _bool(c) else nf(ctx)
    return run


def caller(func: Func, fns: tuple, types: list) -> Fn:
    guards = tuple(_arg_guard(t, want) for t, want in zip(types, func.params))
    impl, takes_null, needs_context = func.impl, func.takes_null, func.needs_context

    def call(ctx):
        vals = [f(ctx) for f in fns]
        if not takes_null and any(v is None for v in vals):
            return None
        for v, g in zip(vals, guards):
            if g is not None and v is not None:
                g(v)
        return checked(impl(ctx, *vals) if needs_context else impl(*vals))
    return call


def _arg_guard(actual: ExprType, want) -> Callable | None:
    """A run-time check only where the static type could not be sure (ANY values from lists and maps)."""
    wanted = want if isinstance(want, tuple) else (want,)
    if actual not in (T.ANY, T.NULL) or T.ANY in wanted:
        return None
    kinds = {KIND_OF[w] for w in wanted}

    def guard(v):
        if kind(v) not in kinds or (wanted == (T.INT,) and not isinstance(v, int)):
            raise EvalError(f"expected {' or '.join(wanted)}, not {kind(v)}")
    return guard


def matcher(sf: Fn, pattern: SafePattern) -> Fn:
    def run(ctx):
        s = sf(ctx)
        if s is None:
            return None
        if not isinstance(s, str):
            raise EvalError(f"matches() needs text, not {kind(s)}")
        if len(s) > MAX_MATCH_TEXT:
            raise EvalError(f"matches() looks at text of at most {MAX_MATCH_TEXT} characters")
        return pattern.fullmatch(s)
    return run
