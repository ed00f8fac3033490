"""The one safe expression language of flow files: guards and ``{{ }}`` text.

Expressions are parsed (kiosk.expr_parse), type-checked against a declared
scope, and compiled into closures when the flow loads; an unknown name, a
type error or an over-complex expression is a located ExprError then, not a
surprise in front of a citizen. Evaluation works on plain data only (dicts,
lists, strings, numbers, dates) and guards fail closed.
"""
from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.expr_funcs import FUNCTIONS, FuncError, compile_pattern
from kiosk.expr_parse import ExprError, Node, parse
from kiosk.expr_types import ExprType, Privacy, Var, compatible, unify

__all__ = ["ExprType", "Privacy", "Var", "Scope", "ExprError", "EvalError", "compile_expr", "compile_template",
           "Compiled", "Template", "FUNCTIONS"]
T = ExprType
MAX_RESULT = 10_000
MAX_INT = 2**53
NUMERIC = (T.INT, T.NUMBER)


class EvalError(Exception):
    """An expression failed at run time; callers route it to an `expression_error` outcome."""


class Scope:
    def __init__(self, variables: dict):
        self.tree = variables

    def lookup(self, dotted: str):
        node: Any = self.tree
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def names(self) -> list[str]:
        out: list[str] = []

        def walk(prefix: str, node) -> None:
            for k, v in node.items():
                name = f"{prefix}{k}"
                if isinstance(v, dict):
                    walk(name + ".", v)
                else:
                    out.append(name)

        walk("", self.tree)
        return out

    def child(self, extra: dict) -> "Scope":
        def merge(a: dict, b: dict) -> dict:
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
            return out

        return Scope(merge(self.tree, extra))


@dataclass(frozen=True)
class Typed:
    type: ExprType
    privacy: Privacy
    fn: Callable[[dict], Any]
    refs: frozenset


@dataclass(frozen=True)
class Compiled:
    source: str
    type: ExprType
    refs: frozenset
    privacy: Privacy
    _fn: Callable[[dict], Any]

    def evaluate(self, context: dict) -> Any:
        try:
            return self._fn(context)
        except EvalError:
            raise
        except (FuncError, TypeError, ValueError, ZeroDivisionError, OverflowError, IndexError, KeyError,
                AttributeError, RecursionError) as exc:
            raise EvalError(f"{self.source!r}: {type(exc).__name__}") from None

    def test(self, context: dict) -> bool:
        """Guards fail closed: anything but a true result is false."""
        try:
            return self.evaluate(context) is True
        except EvalError:
            return False


def _suggest(name: str, candidates) -> str | None:
    best = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return best[0] if best else None


def _get(ctx: dict, path: tuple) -> Any:
    node: Any = ctx
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _check_size(v):
    if isinstance(v, str) and len(v) > MAX_RESULT:
        raise EvalError(f"text result longer than {MAX_RESULT} characters")
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT:
        raise EvalError("number too large")
    return v


class Checker:
    def __init__(self, scope: Scope):
        self.scope = scope

    def check(self, n: Node) -> Typed:
        return getattr(self, f"_{n.kind}")(n)

    def _lit(self, n: Node) -> Typed:
        v = n.value
        t = (T.NULL if v is None else T.BOOL if isinstance(v, bool) else T.INT if isinstance(v, int)
             else T.NUMBER if isinstance(v, float) else T.STRING)
        return Typed(t, Privacy.PUBLIC, lambda ctx: v, frozenset())

    def _list(self, n: Node) -> Typed:
        items = [self.check(a) for a in n.args]
        fns = [i.fn for i in items]
        return Typed(T.LIST, max((i.privacy for i in items), default=Privacy.PUBLIC),
                     lambda ctx: [f(ctx) for f in fns], frozenset().union(*(i.refs for i in items)))

    def _name(self, n: Node) -> Typed:
        found = self.scope.lookup(n.value)
        if found is None:
            raise ExprError(f"unknown name {n.value!r}", n.pos, "expr/unknown-name",
                            _suggest(n.value, self.scope.names()))
        if isinstance(found, dict):
            fields = sorted(found)[:6]
            raise ExprError(f"{n.value!r} is a group; use one of its fields, e.g. {n.value}.{fields[0] if fields else 'x'}",
                            n.pos, "expr/unknown-name", f"{n.value}.{fields[0]}" if fields else None)
        path = tuple(n.value.split("."))
        return Typed(found.type, found.privacy, lambda ctx: _get(ctx, path), frozenset({n.value}))

    def _index(self, n: Node) -> Typed:
        base, idx = self.check(n.args[0]), self.check(n.args[1])
        if not compatible(base.type, (T.LIST, T.STRING, T.MAP)):
            raise ExprError(f"cannot index a {base.type}", n.pos, "expr/type")
        bf, inf = base.fn, idx.fn

        def fn(ctx):
            b, i = bf(ctx), inf(ctx)
            if b is None:
                return None
            if isinstance(b, dict):
                return b.get(i) if isinstance(i, str) else None
            if not isinstance(i, int) or isinstance(i, bool):
                raise EvalError("index must be an integer")
            return b[i] if -len(b) <= i < len(b) else None

        return Typed(T.STRING if base.type == T.STRING else T.ANY, max(base.privacy, idx.privacy), fn,
                     base.refs | idx.refs)

    def _unary(self, n: Node) -> Typed:
        a = self.check(n.args[0])
        if not compatible(a.type, NUMERIC):
            raise ExprError(f"cannot negate a {a.type}", n.pos, "expr/type")
        f = a.fn
        return Typed(a.type, a.privacy, lambda ctx: -_num(f(ctx)), a.refs)

    def _binary(self, n: Node) -> Typed:
        a, b = self.check(n.args[0]), self.check(n.args[1])
        op = n.value
        if op == "+" and T.STRING in (a.type, b.type):
            if not (compatible(a.type, T.STRING) and compatible(b.type, T.STRING)):
                raise ExprError(f"cannot add a {a.type} and a {b.type}; use string(...)", n.pos, "expr/type")
            rt = T.STRING
        elif compatible(a.type, NUMERIC) and compatible(b.type, NUMERIC):
            rt = T.INT if (a.type == b.type == T.INT and op != "/") else (T.ANY if T.ANY in (a.type, b.type) else T.NUMBER)
        else:
            raise ExprError(f"operator {op!r} does not apply to {a.type} and {b.type}", n.pos, "expr/type")
        af, bf = a.fn, b.fn
        impl = _ARITH[op]
        return Typed(rt, max(a.privacy, b.privacy), lambda ctx: _check_size(impl(af(ctx), bf(ctx))), a.refs | b.refs)

    def _compare(self, n: Node) -> Typed:
        a, b = self.check(n.args[0]), self.check(n.args[1])
        op = n.value
        if op in ("in", "not in"):
            if not compatible(b.type, (T.LIST, T.STRING, T.MAP)):
                raise ExprError(f"'in' needs a list or text on its right, not {b.type}", n.pos, "expr/type")
            if b.type == T.STRING and not compatible(a.type, T.STRING):
                raise ExprError(f"'in' on text needs text on its left, not {a.type}", n.pos, "expr/type")
        elif op in ("==", "!="):
            if not (compatible(a.type, b.type) or compatible(b.type, a.type)):
                raise ExprError(f"comparing a {a.type} with a {b.type} is always false", n.pos, "expr/type")
        else:
            ok = (compatible(a.type, NUMERIC) and compatible(b.type, NUMERIC)) or \
                 (a.type == b.type and a.type in (T.STRING, T.DATE)) or T.ANY in (a.type, b.type)
            if not ok:
                raise ExprError(f"cannot order a {a.type} and a {b.type}", n.pos, "expr/type")
        af, bf = a.fn, b.fn
        impl = _COMPARE[op]
        return Typed(T.BOOL, max(a.privacy, b.privacy), lambda ctx: impl(af(ctx), bf(ctx)), a.refs | b.refs)

    def _logic(self, n: Node) -> Typed:
        a, b = self.check(n.args[0]), self.check(n.args[1])
        for side, node in ((a, n.args[0]), (b, n.args[1])):
            if not compatible(side.type, T.BOOL):
                raise ExprError(f"'{n.value}' needs true/false on both sides, got {side.type}", node.pos, "expr/type")
        af, bf = a.fn, b.fn
        if n.value == "and":
            fn = lambda ctx: _truth(af(ctx)) and _truth(bf(ctx))  # noqa: E731
        else:
            fn = lambda ctx: _truth(af(ctx)) or _truth(bf(ctx))  # noqa: E731
        return Typed(T.BOOL, max(a.privacy, b.privacy), fn, a.refs | b.refs)

    def _not(self, n: Node) -> Typed:
        a = self.check(n.args[0])
        if not compatible(a.type, T.BOOL):
            raise ExprError(f"'not' needs true/false, got {a.type}", n.pos, "expr/type")
        f = a.fn
        return Typed(T.BOOL, a.privacy, lambda ctx: not _truth(f(ctx)), a.refs)

    def _cond(self, n: Node) -> Typed:
        test, yes, no = (self.check(a) for a in n.args)
        if not compatible(test.type, T.BOOL):
            raise ExprError(f"the condition after 'if' must be true/false, got {test.type}", n.args[0].pos, "expr/type")
        tf, yf, nf = test.fn, yes.fn, no.fn
        return Typed(unify(yes.type, no.type), max(test.privacy, yes.privacy, no.privacy),
                     lambda ctx: yf(ctx) if tf(ctx) is True else nf(ctx), test.refs | yes.refs | no.refs)

    def _call(self, n: Node) -> Typed:
        name = n.value
        func = FUNCTIONS.get(name)
        if func is None:
            raise ExprError(f"unknown function {name!r}", n.pos, "expr/unknown-function", _suggest(name, FUNCTIONS))
        if len(n.args) != len(func.params):
            raise ExprError(f"{name}() takes {len(func.params)} argument(s), got {len(n.args)}", n.pos, "expr/type")
        args = [self.check(a) for a in n.args]
        for i, (arg, want) in enumerate(zip(args, func.params)):
            if not compatible(arg.type, want):
                raise ExprError(f"argument {i + 1} of {name}() must be {_names(want)}, not {arg.type}",
                                n.args[i].pos, "expr/type")
        privacy = Privacy.PUBLIC if func.masks else max((a.privacy for a in args), default=Privacy.PUBLIC)
        refs = frozenset().union(*(a.refs for a in args))
        rtype = args[0].type if func.same_as_arg and args else func.returns
        fns = [a.fn for a in args]
        if name == "matches":
            return self._matches(n, args, privacy, refs)
        impl = func.impl
        if func.needs_context:
            def fn(ctx):
                vals = [f(ctx) for f in fns]
                if any(v is None for v in vals):
                    return None
                return _check_size(impl(ctx, *vals))
        elif name == "default":
            def fn(ctx):
                return impl(fns[0](ctx), fns[1](ctx))
        else:
            def fn(ctx):
                vals = [f(ctx) for f in fns]
                if any(v is None for v in vals):
                    return None
                return _check_size(impl(*vals))
        return Typed(rtype, privacy, fn, refs)

    def _matches(self, n: Node, args, privacy, refs) -> Typed:
        if n.args[1].kind != "lit" or not isinstance(n.args[1].value, str):
            raise ExprError("the pattern of matches() must be a literal string", n.args[1].pos, "expr/type")
        try:
            pattern = compile_pattern(n.args[1].value)
        except (ValueError, Exception) as exc:  # re.error and our own refusal alike
            raise ExprError(f"bad pattern: {exc}", n.args[1].pos, "expr/regex") from None
        f = args[0].fn

        def fn(ctx):
            v = f(ctx)
            return None if v is None else pattern.fullmatch(str(v)[:MAX_RESULT]) is not None

        return Typed(T.BOOL, privacy, fn, refs)


def _names(want) -> str:
    return " or ".join(want) if isinstance(want, tuple) else str(want)


def _truth(v) -> bool:
    if v is None:
        return False
    if not isinstance(v, bool):
        raise EvalError("expected true/false")
    return v


def _num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise EvalError("expected a number")
    return v


def _arith(op):
    def impl(a, b):
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            if len(a) + len(b) > MAX_RESULT:
                raise EvalError("text result too long")
            return a + b
        a, b = _num(a), _num(b)
        if op in ("/", "%") and b == 0:
            raise EvalError("division by zero")
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                "%": lambda: a % b}[op]()
    return impl


def _order(op):
    import operator

    fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    def impl(a, b):
        if a is None or b is None:
            return False
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
            return fn(a, b)
        if type(a) is type(b) and isinstance(a, (str, dt.date)):
            return fn(a, b)
        raise EvalError(f"cannot order {type(a).__name__} and {type(b).__name__}")
    return impl


def _contains(a, b) -> bool:
    if b is None:
        return False
    if isinstance(b, str):
        if not isinstance(a, str):
            raise EvalError("'in' on text needs text")
        return a in b
    if isinstance(b, (list, dict)):
        return a in b
    raise EvalError("'in' needs a list or text")


_ARITH = {op: _arith(op) for op in ("+", "-", "*", "/", "%")}
def _eq(a, b) -> bool:
    """Equality without Python's cross-type surprises: 1 == true is false here."""
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    return a == b if numbers or type(a) is type(b) else False


_COMPARE = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _order("<"), "<=": _order("<="), ">": _order(">"), ">=": _order(">="),
    "in": _contains, "not in": lambda a, b: not _contains(a, b),
}


def compile_expr(source: str, scope: Scope, *, expect: ExprType | None = None) -> Compiled:
    if not isinstance(source, str):
        raise ExprError("an expression must be text", 0)
    if not source.strip():
        raise ExprError("empty expression", 0)
    tree = parse(source)
    typed = Checker(scope).check(tree)
    if expect is not None and not compatible(typed.type, expect):
        raise ExprError(f"expected {expect}, but this gives {typed.type}", 0, "expr/type")
    return Compiled(source, typed.type, typed.refs, typed.privacy, typed.fn)


# ---------------------------------------------------------------- templates
ShowFn = Callable[[Any, Privacy, str], str]


def _default_show(value, privacy: Privacy, source: str) -> str:
    if privacy != Privacy.PUBLIC:
        return "***"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple  # str or Compiled
    refs: frozenset
    privacy: Privacy

    def render(self, context: dict, *, show: ShowFn | None = None) -> str:
        show = show or _default_show
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.evaluate(context)
            if value is None:
                raise EvalError(f"{part.source.strip()!r} has no value")
            out.append(show(value, part.privacy, part.source.strip()))
        text = "".join(out)
        if len(text) > MAX_RESULT * 10:
            raise EvalError("rendered text too long")
        return text


def compile_template(source: str, scope: Scope) -> Template:
    parts: list = []
    pos = 0
    while True:
        start = source.find("{{", pos)
        if start < 0:
            parts.append(source[pos:])
            break
        end = source.find("}}", start + 2)
        if end < 0:
            raise ExprError("'{{' without a closing '}}'", start)
        parts.append(source[pos:start])
        inner = source[start + 2:end]
        lead = len(inner) - len(inner.lstrip())
        try:
            parts.append(compile_expr(inner, scope))
        except ExprError as exc:
            offset = start + 2 + (exc.offset if inner.strip() else 0)
            if exc.offset == 0 and exc.rule == "expr/type":
                offset = start + 2 + lead  # a whole-expression error points at where the expression starts
            raise ExprError(exc.message, offset, exc.rule, exc.suggestion) from None
        pos = end + 2
    parts = [p for p in parts if p != ""]
    compiled = [p for p in parts if not isinstance(p, str)]
    if len(compiled) > 100:
        raise ExprError("more than 100 interpolations", 0, "expr/too-complex")
    return Template(source, tuple(parts), frozenset().union(*(c.refs for c in compiled)),
                    max((c.privacy for c in compiled), default=Privacy.PUBLIC))
