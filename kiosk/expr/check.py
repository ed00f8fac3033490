"""Static type rules of the expression language, applied once when a flow loads.

A flow that passes the checker can only fail at run time on its data (a
missing value, a division by zero), never on a misspelt name or a number
compared with text. Each rule raises ExprError at the exact node at fault;
each accepted node becomes a closure from kiosk.expr.eval, so evaluation
never walks a tree or looks anything up by name.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import kiosk.expr.eval as run
from kiosk.expr.funcs import FUNCTIONS
from kiosk.expr.parse import ExprError, Node
from kiosk.expr.regex import PatternError, SafePattern, compile_safe
from kiosk.expr.scope import Scope
from kiosk.expr.types import PUBLIC_LABEL, ExprType, Label, Mask, Privacy, compatible, derived, unify

T = ExprType
NUM = (T.INT, T.NUMBER)


@dataclass(frozen=True)
class Typed:
    """A checked node: its static type, privacy label, the variables it reads and the closure computing it."""

    type: ExprType
    label: Label
    fn: run.Fn
    refs: frozenset = frozenset()

    @property
    def privacy(self) -> Privacy:
        return self.label.privacy


def _err(message: str, node: Node, rule: str = "expr/type", suggestion: str | None = None) -> ExprError:
    return ExprError(message, node.pos, rule, suggestion, end=node.end)


def _suggest(name: str, candidates) -> str | None:
    best = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return best[0] if best else None


def _typed(t: ExprType, fn: run.Fn, *operands: Typed) -> Typed:
    """Taint: a result is as private as the most private operand, and a derived value has no masked form.

    This holds for every operator: a comparison, a character of a text or a
    choice between two literals tells as much about its operands as it can,
    so ``'1' if matches(id.id_number, '.{5}1.*') else '0'`` is an identifier.
    """
    return Typed(t, derived(*(o.label for o in operands)), fn, frozenset().union(*(o.refs for o in operands)))


class Checker:
    """One method per node kind: check the types, return the closure that computes the value."""

    def __init__(self, scope: Scope):
        self.scope = scope

    def check(self, n: Node) -> Typed:
        return getattr(self, "_" + n.kind)(n)

    def _lit(self, n: Node) -> Typed:
        v = n.value
        t = (T.NULL if v is None else T.BOOL if isinstance(v, bool) else T.INT if isinstance(v, int)
             else T.NUMBER if isinstance(v, float) else T.STRING)
        return Typed(t, PUBLIC_LABEL, run.constant(v))

    def _list(self, n: Node) -> Typed:
        items = [self.check(a) for a in n.args]
        return _typed(T.LIST, run.list_of(tuple(i.fn for i in items)), *items)

    def _name(self, n: Node) -> Typed:
        var = self.scope.lookup(n.value)
        if var is None:
            raise self._unknown(n)
        return Typed(var.type, var.label, run.reader(n.value, var.type), frozenset({n.value}))

    def _unknown(self, n: Node) -> ExprError:
        group = self.scope.group(n.value)
        if group is not None:
            first = sorted(group)[0] if group else "x"
            return _err(f"{n.value!r} is a group of values; use one of them, e.g. {n.value}.{first}", n,
                        "expr/unknown-name", f"{n.value}.{first}" if group else None)
        hint = f"; {n.value}(...) is a function" if n.value in FUNCTIONS else ""
        return _err(f"unknown name {n.value!r}{hint}", n, "expr/unknown-name", _suggest(n.value, self.scope.names()))

    def _index(self, n: Node) -> Typed:
        base, idx = self.check(n.args[0]), self.check(n.args[1])
        key = {T.LIST: (T.INT,), T.STRING: (T.INT,), T.MAP: (T.STRING,)}.get(base.type, (T.INT, T.STRING))
        if base.type not in (T.LIST, T.STRING, T.MAP, T.ANY, T.NULL):
            raise _err(f"cannot index a {base.type}", n.args[0])
        if not compatible(idx.type, key):
            raise _err(f"a {base.type} is indexed by {' or '.join(key)}, not {idx.type}", n.args[1])
        return _typed(T.STRING if base.type == T.STRING else T.ANY, run.indexer(base.fn, idx.fn), base, idx)

    def _neg(self, n: Node) -> Typed:
        a = self.check(n.args[0])
        if not compatible(a.type, NUM):
            raise _err(f"cannot negate a {a.type}", n)
        return _typed(a.type if a.type in NUM else T.NUMBER, run.negation(a.fn), a)

    def _arith(self, n: Node) -> Typed:
        a, b = self.check(n.args[0]), self.check(n.args[1])
        op, ta, tb = n.value, a.type, b.type
        if op == "+" and T.STRING in (ta, tb):
            if not (compatible(ta, T.STRING) and compatible(tb, T.STRING)):
                raise _err(f"cannot add a {ta} and a {tb}; use string(...) to join text", n)
            rt = T.STRING
        elif compatible(ta, NUM) and compatible(tb, NUM):
            both_unknown = ta in (T.ANY, T.NULL) and tb in (T.ANY, T.NULL)  # could be two texts at run time
            rt = T.ANY if op == "+" and both_unknown else T.INT if ta == tb == T.INT and op != "/" else T.NUMBER
        else:
            raise _err(f"{op!r} needs numbers{' or two texts' if op == '+' else ''}, not {ta} and {tb}", n)
        exact = (ta in NUM and tb in NUM) or ta == tb == T.STRING
        return _typed(rt, run.arith(op, a.fn, b.fn, exact), a, b)

    def _compare(self, n: Node) -> Typed:
        a, b = self.check(n.args[0]), self.check(n.args[1])
        op, ta, tb = n.value, a.type, b.type
        if op in ("==", "!=") and T.NULL in (ta, tb):
            fn = run.null_test(a.fn, b.fn, op == "==")
        elif op in ("==", "!="):
            if not (compatible(ta, tb) or compatible(tb, ta)):
                raise _err(f"comparing a {ta} with a {tb} can never be true", n)
            fn = run.equality(a.fn, b.fn, op == "==")
        elif op in ("in", "not in"):
            if not compatible(tb, (T.LIST, T.MAP, T.STRING)):
                raise _err(f"'{op}' needs a list, map or text on its right, not {tb}", n)
            if tb in (T.STRING, T.MAP) and not compatible(ta, T.STRING):
                raise _err(f"'{op}' on a {tb} needs text on its left, not {ta}", n)
            fn = run.membership(a.fn, b.fn, op == "in")
        else:
            if T.NULL in (ta, tb) or not _orderable(ta, tb):
                raise _err(f"cannot order a {ta} and a {tb}", n)
            fn = run.ordering(op, a.fn, b.fn)
        return _typed(T.BOOL, fn, a, b)

    def _bools(self, n: Node) -> list[Typed]:
        out = [self.check(a) for a in n.args]
        for typed, node in zip(out, n.args):
            if not compatible(typed.type, T.BOOL):
                raise _err(f"'{n.value}' needs true/false, not {typed.type}", node)
        return out

    def _and(self, n: Node) -> Typed:
        ops = self._bools(n)
        return _typed(T.BOOL, run.kleene(tuple(o.fn for o in ops), False), *ops)

    def _or(self, n: Node) -> Typed:
        ops = self._bools(n)
        return _typed(T.BOOL, run.kleene(tuple(o.fn for o in ops), True), *ops)

    def _not(self, n: Node) -> Typed:
        (a,) = self._bools(n)
        return _typed(T.BOOL, run.logical_not(a.fn), a)

    def _cond(self, n: Node) -> Typed:
        test, yes, no = (self.check(a) for a in n.args)
        if not compatible(test.type, T.BOOL):
            raise _err(f"the condition after 'if' must be true/false, not {test.type}", n.args[0])
        return _typed(unify(yes.type, no.type), run.choice(test.fn, yes.fn, no.fn), test, yes, no)

    def _call(self, n: Node) -> Typed:
        func = FUNCTIONS.get(n.value)
        if func is None:
            raise _err(f"unknown function {n.value!r}", n, "expr/unknown-function", _suggest(n.value, FUNCTIONS))
        if len(n.args) != len(func.params):
            want = len(func.params)
            raise _err(f"{n.value}() takes {want} argument{'s' if want != 1 else ''}, got {len(n.args)}", n)
        args = [self.check(a) for a in n.args]
        types = [a.type for a in args]
        for i, (typed, want) in enumerate(zip(args, func.params)):
            if not compatible(typed.type, want):
                names = " or ".join(want) if isinstance(want, tuple) else want
                raise _err(f"argument {i + 1} of {n.value}() must be {names}, not {typed.type}", n.args[i])
        problem = func.check(types) if func.check else None
        if problem:
            raise _err(f"{n.value}(): {problem}", n.args[-1])
        rtype = func.returns(types) if callable(func.returns) else func.returns
        if n.value == "matches":
            fn = run.matcher(args[0].fn, _pattern(n.args[1]))
        else:
            fn = run.caller(func, tuple(a.fn for a in args), types)
        out = _typed(rtype, fn, *args)
        refs = out.refs | {"now"} if func.needs_context else out.refs
        return Typed(rtype, _call_label(n.value, func, args, out.label), fn, refs)


MASK_OF = {"mask": Mask.ID, "mask_name": Mask.NAME, "mask_text": Mask.TEXT}


def _call_label(name: str, func, args: list[Typed], label: Label) -> Label:
    """No function makes a value public. Three keep the shape of their argument, which the renderer needs:

    mask() of an ID-form value and mask_name() of a name are already masked;
    of another maskable value they keep its form, applied again over the
    masked text (mask() keeps an address's last four characters, the house
    number); of anything else they stay HIDE (``mask(string(id.birth_date))``
    would be 1990**3-07);
    default(x, public fallback) is x or the fallback (a code stays a code); reveal(x) is x, marked.
    """
    if name == "default" and args and args[1].label.public:
        return args[0].label
    if not args or label.public:
        return label
    first = args[0].label
    if func.masks:
        if first.revealed or first.mask == Mask.HIDE:
            return Label(label.privacy, Mask.HIDE, False, label.reveals)
        if first.mask in (MASK_OF[name], Mask.MASKED):
            return Label(label.privacy, Mask.MASKED, False, label.reveals)
        return Label(label.privacy, first.mask, False, label.reveals)  # its own form, again, over the masked text
    if name == "reveal":
        return Label(first.privacy, first.mask, True, True)
    return label


def _orderable(ta: ExprType, tb: ExprType) -> bool:
    if compatible(ta, NUM) and compatible(tb, NUM):
        return True
    pair = {ta, tb} - {T.ANY}
    return len(pair) <= 1 and pair <= {T.STRING, T.DATE, T.INT, T.NUMBER}


def _pattern(node: Node) -> SafePattern:
    """Patterns are literals, compiled here once, so a bad one is a load error with a position."""
    if node.kind != "lit" or not isinstance(node.value, str):
        raise _err("the pattern of matches() must be a literal text", node)
    try:
        return compile_safe(node.value)
    except PatternError as exc:
        raise _err(f"bad pattern: {exc}", node, "expr/regex") from None
