"""The pure functions flow expressions may call, and the value rules they share.

Functions take plain values and return plain values; none reaches the wall
clock, the file system or any object's attributes. ``today()`` reads the date
the engine put in the context, so a virtual clock drives it in tests. Error
messages name types, never values: a value may be a citizen's ID number.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from kiosk.expr.types import ExprType as T
from kiosk.expr.types import compatible, unify

MAX_TEXT = 10_000
MAX_INT = 2**53
MAX_MONEY = 10**15
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
ID_CHECK = "10X98765432"
ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
INT_TEXT = re.compile(r"[+-]?[0-9]{1,16}")
NUMBER_TEXT = re.compile(r"[+-]?[0-9]{1,16}(?:\.[0-9]{1,16})?")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})(?:-[0-9]{2})?")
# The `accept` values of read_id_card (id.card_type), by the names printed on the cards themselves.
ID_TYPES = {
    "resident": {"zh": "居民身份证", "en": "Resident ID card"},
    "hmt_residence": {"zh": "港澳台居民居住证", "en": "HK/Macao/Taiwan residence permit"},
    "foreign_permanent": {"zh": "外国人永久居留身份证", "en": "Foreign permanent resident ID card"},
}


class EvalError(Exception):
    """An expression failed at run time; callers route it to an `expression_error` outcome."""


# ------------------------------------------------------------------ values
def kind(v: Any) -> str:
    """The language type of a plain runtime value; anything else is refused, never inspected."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dt.date):
        return "date"
    if isinstance(v, (list, tuple)):
        return "list"
    if isinstance(v, dict):
        return "map"
    if v is None:
        return "null"
    raise EvalError(f"{type(v).__name__} is not plain data")


def checked(v: Any) -> Any:
    """Bound every result: text length, integer size, finite numbers."""
    if isinstance(v, str):
        if len(v) > MAX_TEXT:
            raise EvalError(f"text result longer than {MAX_TEXT} characters")
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise EvalError("number out of range")
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT:
        raise EvalError("number too large")
    return v


def day(v: dt.date) -> dt.date:
    """datetime is a date subclass; the language compares calendar days."""
    return v.date() if isinstance(v, dt.datetime) else v


def equal(a: Any, b: Any) -> bool:
    """Equality without Python's cross-type surprises (1 == true); mixed types are an error."""
    ka, kb = kind(a), kind(b)
    if ka != kb:
        raise EvalError(f"cannot compare {ka} with {kb}")
    if ka == "date":
        return day(a) == day(b)
    return a == b


def member(item: Any, container: Any) -> bool:
    """`in`: substring for text, key for maps, element for lists (by `equal`, skipping other types)."""
    k = kind(container)
    if k == "string":
        if not isinstance(item, str):
            raise EvalError(f"'in' on text needs text, not {kind(item)}")
        return item in container
    if k == "map":
        if not isinstance(item, str):
            raise EvalError("map keys are text")
        return item in container
    if k == "list":
        ki = kind(item)
        return any(kind(x) == ki and equal(item, x) for x in container)
    raise EvalError(f"'in' needs a list, map or text, not {k}")


def text(v: Any) -> str:
    """The language's own spelling of a value: true/false, ISO dates, no Python reprs."""
    k = kind(v)
    if k == "bool":
        return "true" if v else "false"
    if k == "date":
        return day(v).isoformat()
    if k in ("list", "map"):
        raise EvalError(f"a {k} has no text form; pick an element")
    return str(v)


# --------------------------------------------------------------- functions
@dataclass(frozen=True)
class Func:
    params: tuple  # per parameter: an ExprType or a tuple of alternatives
    returns: T | Callable[[list], T]  # a type, or a rule over the argument types
    impl: Callable | None
    doc: str
    masks: bool = False  # the result is its argument in masked form (same privacy; see expr_check._call_label)
    needs_context: bool = False  # impl(ctx, *args): reads `now`
    takes_null: bool = False  # otherwise a null argument makes the result null
    check: Callable[[list], str | None] | None = None  # extra rule over argument types


def mask(s: str) -> str:
    if len(s) <= 8:
        return s[:1] + "*" * (len(s) - 1)
    return s[:4] + "*" * (len(s) - 8) + s[-4:]


def mask_name(s: str) -> str:
    return s[:1] + "*" * max(1, len(s) - 1) if s else s


def mask_text(value: str) -> str:
    """Addresses and other personal free text: at most the first 6 characters (the district), never half or more."""
    value = str(value)
    return value[:min(6, len(value) // 2)] + "***"


def to_int(x) -> int:
    if isinstance(x, bool):
        raise EvalError("int() of true/false")
    if isinstance(x, str):
        if not INT_TEXT.fullmatch(x.strip()):
            raise EvalError("int() of text that is not a whole number")
        return int(x)
    if isinstance(x, float) and not math.isfinite(x):
        raise EvalError("int() of a number out of range")
    return int(x)


def to_number(x) -> float:
    if isinstance(x, bool):
        raise EvalError("number() of true/false")
    if isinstance(x, str) and not NUMBER_TEXT.fullmatch(x.strip()):
        raise EvalError("number() of text that is not a decimal number")
    return float(x)


def to_date(x) -> dt.date:
    if isinstance(x, dt.date):
        return day(x)
    if not DATE_TEXT.fullmatch(x):
        raise EvalError("date() needs text like 2026-03-02")
    try:
        return dt.date.fromisoformat(x)
    except ValueError:
        raise EvalError("date() of a day that does not exist") from None


def round_half_up(x, n: int):
    """Half away from zero, as people round money; Python's round() rounds 2.5 to 2."""
    if not 0 <= n <= 10:
        raise EvalError("round() keeps 0 to 10 decimals")
    q = Decimal(str(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP)
    return int(q) if n == 0 else float(q)


def today(ctx: dict) -> dt.date:
    now = ctx.get("now")
    if isinstance(now, dt.date):
        return day(now)
    raise EvalError("the context has no date under 'now'")


def age(ctx: dict, birth) -> int:
    on, birth = today(ctx), to_date(birth)
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def format_date(d, locale: str) -> str:
    d = to_date(d)
    if locale.lower().startswith("zh"):
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _zh(locale: str) -> bool:
    return locale.lower().startswith("zh")


def format_month(d, locale: str) -> str:
    """Months travel as 2024-03 as often as 2024-03-01; both read as the month."""
    if isinstance(d, dt.date):
        year, month = d.year, d.month
    else:
        m = MONTH_TEXT.fullmatch(d)
        year, month = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if not 1 <= month <= 12:
            raise EvalError("format_month() needs a date or text like 2024-03")
    return f"{year}年{month}月" if _zh(locale) else f"{MONTHS[month - 1]} {year}"


def money(x, locale: str) -> str:
    """Yuan with thousands separators and exactly two decimals, halves away from zero (as a counter rounds).

    Chinese readers see ¥; others see CNY, since ¥ alone also means yen.
    """
    if isinstance(x, bool):
        raise EvalError("money() of true/false")
    if abs(x) >= MAX_MONEY:
        raise EvalError("money() of an amount of 10^15 or more")  # beyond any account, and past float's cents
    q = Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    return f"{sign}{'¥' if _zh(locale) else 'CNY '}{abs(q):,.2f}"


def id_type_name(card_type: str, locale: str) -> str:
    """An unknown type (a newer reader's) shows as sent: better a code than nothing on a citizen's screen."""
    names = ID_TYPES.get(card_type)
    return names["zh" if _zh(locale) else "en"] if names else card_type


def id_check(s: str) -> bool:
    s = s.upper()
    if not ID_SHAPE.fullmatch(s):
        return False
    return ID_CHECK[sum(int(c) * w for c, w in zip(s[:17], ID_WEIGHTS)) % 11] == s[17]


def contains(haystack, needle) -> bool:
    return member(needle, haystack)


def default(x, fallback):
    return fallback if x is None or x == "" else x


def _same_type(types: list) -> str | None:
    a, b = types
    if compatible(a, b) or compatible(b, a):
        return None
    return f"the fallback ({b}) must have the value's type ({a})"


def _text_needle(types: list) -> str | None:
    if types[0] == T.STRING and not compatible(types[1], T.STRING):
        return f"looking for a {types[1]} in text; use string(...)"
    return None


NUM = (T.INT, T.NUMBER)
DATEISH = (T.DATE, T.STRING)
SCALAR = (T.STRING, T.INT, T.NUMBER, T.BOOL, T.DATE)
FUNCTIONS: dict[str, Func] = {
    "len": Func(((T.STRING, T.LIST, T.MAP),), T.INT, len, "number of characters, items or keys"),
    "upper": Func((T.STRING,), T.STRING, str.upper, "text in upper case (the X of an ID number)"),
    "lower": Func((T.STRING,), T.STRING, str.lower, "text in lower case"),
    "trim": Func((T.STRING,), T.STRING, str.strip, "text without leading and trailing spaces"),
    "mask": Func((T.STRING,), T.STRING, mask, "1101**********002X: first and last 4 kept; 8 characters or "
                 "fewer: only the first kept", masks=True),
    "mask_name": Func((T.STRING,), T.STRING, mask_name, "张三 -> 张*, 欧阳娜娜 -> 欧***", masks=True),
    "mask_text": Func((T.STRING,), T.STRING, mask_text, "an address or other personal free text: at most the "
                      "first 6 characters, never half, then ***", masks=True),
    "reveal": Func((T.ANY,), lambda ts: ts[0], lambda x: x, "on an A4 document whose print step declares "
                   "personal data, print a value whole (a certificate's name); refused on screens and receipts"),
    "contains": Func(((T.STRING, T.LIST, T.MAP), T.ANY), T.BOOL, contains, "the same as `needle in haystack`",
                     check=_text_needle),
    "starts_with": Func((T.STRING, T.STRING), T.BOOL, str.startswith, "text begins with a prefix"),
    "matches": Func((T.STRING, T.STRING), T.BOOL, None, "the whole text matches a literal pattern "
                    "(see Patterns)"),
    "string": Func((SCALAR,), T.STRING, text, "text form: true/false, 2026-03-02, 12, 3.5"),
    "int": Func(((T.STRING, T.INT, T.NUMBER),), T.INT, to_int, "whole number from text or a number "
                "(cut toward zero)"),
    "number": Func(((T.STRING, T.INT, T.NUMBER),), T.NUMBER, to_number, "decimal number from text like 12.5"),
    "round": Func((NUM, T.INT), T.NUMBER, round_half_up, "round(x, n): n decimals (0-10), halves away from "
                  "zero; n = 0 gives a whole number"),
    "date": Func((DATEISH,), T.DATE, to_date, "date from text like 2026-03-02"),
    "today": Func((), T.DATE, today, "the kiosk's date (the engine's clock, virtual in tests)", needs_context=True),
    "age": Func((DATEISH,), T.INT, age, "whole years from a birth date to today()", needs_context=True),
    "days_between": Func((DATEISH, DATEISH), T.INT, lambda a, b: (to_date(b) - to_date(a)).days,
                         "days from the first date to the second"),
    "format_date": Func((DATEISH, T.STRING), T.STRING, format_date, "2026年3月2日 for zh-*, 2 Mar 2026 otherwise"),
    "format_month": Func((DATEISH, T.STRING), T.STRING, format_month, "2024年3月 for zh-*, Mar 2024 otherwise; "
                         "from a date or text like 2024-03"),
    "money": Func((NUM, T.STRING), T.STRING, money, "¥2,400.50 for zh-*, CNY 2,400.50 otherwise; two decimals, "
                  "halves away from zero"),
    "id_type_name": Func((T.STRING, T.STRING), T.STRING, id_type_name, "居民身份证 / Resident ID card from "
                         "id.card_type; an unknown type as is"),
    "default": Func((T.ANY, T.ANY), lambda ts: unify(ts[0], ts[1]), default, "the fallback when the value is "
                    "null or empty text", takes_null=True, check=_same_type),
    "id_check": Func((T.STRING,), T.BOOL, id_check, "an 18-character ID number's GB 11643 check digit is right"),
}
