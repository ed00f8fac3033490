"""The pure functions flow expressions may call, each with a declared signature.

Functions get plain values and return plain values; none reaches the wall
clock, the file system or any object's attributes. ``today()`` reads the
date the engine put in the context, so a virtual clock drives it in tests.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable

from kiosk.expr_types import ExprType as T

MAX_PATTERN = 200
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class FuncError(Exception):
    """Raised by a function at run time; the evaluator turns it into EvalError."""


@dataclass(frozen=True)
class Func:
    params: tuple  # of ExprType or tuple of ExprType (alternatives)
    returns: T
    impl: Callable
    masks: bool = False  # the result no longer carries its argument's privacy
    needs_context: bool = False
    same_as_arg: bool = False  # return type is the type of the first argument


def _mask(s):
    s = str(s)
    if len(s) <= 8:
        return s[:1] + "*" * max(0, len(s) - 1)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def _mask_name(s):
    s = str(s)
    return s[:1] + "*" * max(1, len(s) - 1) if s else s


def _int(x):
    try:
        return int(x)
    except (TypeError, ValueError) as exc:
        raise FuncError(f"cannot make an integer of {type(x).__name__}") from exc


def _number(x):
    try:
        return float(x)
    except (TypeError, ValueError) as exc:
        raise FuncError(f"cannot make a number of {type(x).__name__}") from exc


def _date(s):
    if isinstance(s, dt.date):
        return s
    try:
        return dt.date.fromisoformat(str(s)[:10])
    except ValueError as exc:
        raise FuncError("not an ISO date") from exc


def _today(ctx):
    now = ctx.get("now")
    if isinstance(now, dt.datetime):
        return now.date()
    if isinstance(now, dt.date):
        return now
    raise FuncError("no date in the context")


def _age(ctx, birth):
    today, birth = _today(ctx), _date(birth)
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _format_date(d, locale):
    d = _date(d)
    if str(locale).startswith("zh"):
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def id_check(s) -> bool:
    s = str(s).upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], WEIGHTS)) % 11] == s[17]


def compile_pattern(pattern: str) -> re.Pattern:
    """Literal patterns only, short, and without nested repetition (the usual catastrophic backtracking)."""
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern longer than {MAX_PATTERN} characters")
    if re.search(r"\([^)]*[+*}][^)]*\)\s*[+*{]", pattern):
        raise ValueError("nested repetition could backtrack for ever")
    return re.compile(pattern)


def _round(x, n):
    return round(_number(x), _int(n))


NUM = (T.INT, T.NUMBER)
STR_OR_LIST = (T.STRING, T.LIST)
FUNCTIONS: dict[str, Func] = {
    "len": Func((STR_OR_LIST,), T.INT, lambda x: len(x)),
    "upper": Func((T.STRING,), T.STRING, lambda s: s.upper()),
    "lower": Func((T.STRING,), T.STRING, lambda s: s.lower()),
    "trim": Func((T.STRING,), T.STRING, lambda s: s.strip()),
    "mask": Func((T.STRING,), T.STRING, _mask, masks=True),
    "mask_name": Func((T.STRING,), T.STRING, _mask_name, masks=True),
    "reveal": Func((T.ANY,), T.ANY, lambda x: x, same_as_arg=True),
    "contains": Func((STR_OR_LIST, T.ANY), T.BOOL, lambda s, sub: sub in s),
    "starts_with": Func((T.STRING, T.STRING), T.BOOL, lambda s, p: s.startswith(p)),
    "matches": Func((T.STRING, T.STRING), T.BOOL, None),  # compiled specially: the pattern must be a literal
    "string": Func((T.ANY,), T.STRING, lambda x: x.isoformat() if isinstance(x, dt.date) else str(x)),
    "int": Func((T.ANY,), T.INT, _int),
    "number": Func((T.ANY,), T.NUMBER, _number),
    "round": Func((NUM, T.INT), T.NUMBER, _round),
    "date": Func(((T.STRING, T.DATE),), T.DATE, _date),
    "today": Func((), T.DATE, _today, needs_context=True),
    "age": Func(((T.DATE, T.STRING),), T.INT, _age, needs_context=True),
    "days_between": Func(((T.DATE, T.STRING), (T.DATE, T.STRING)), T.INT, lambda a, b: (_date(b) - _date(a)).days),
    "format_date": Func(((T.DATE, T.STRING), T.STRING), T.STRING, _format_date),
    "default": Func((T.ANY, T.ANY), T.ANY, lambda x, d: d if x is None or x == "" else x, same_as_arg=True),
    "id_check": Func((T.STRING,), T.BOOL, id_check),
}
