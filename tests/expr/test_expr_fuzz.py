"""Fuzzing the expression language: whatever a flow file or a backend holds, only our errors come out.

Compile-time input is anything at all (ExprError is the only way out), run-time
data is any nested plain value (EvalError is the only way out), results stay
inside the documented bounds, and the safe regex agrees with Python's ``re``.
"""
import datetime as dt
import re
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.expr import EvalError, ExprError, ExprType, Privacy, Scope, Var, compile_expr, compile_template
from kiosk.expr.regex import PatternError, compile_safe

T = ExprType
SCOPE = Scope({
    "id": {"name": Var(T.STRING, Privacy.PERSONAL), "birth_date": Var(T.DATE)},
    "data": {"months": Var(T.INT), "balance": Var(T.NUMBER), "ok": Var(T.BOOL), "records": Var(T.LIST),
             "extra": Var(T.MAP), "blob": Var(T.ANY)},
    "now": Var(T.DATE),
})
FAST = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENS = [
    "id.name", "id.birth_date", "data.months", "data.balance", "data.ok", "data.records", "data.extra", "data.blob",
    "now", "1", "0", "2.5", "9007199254740992", "'a'", "'男'", "''", "true", "false", "null", "[", "]", "(", ")",
    ",", ".", "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "in", "if", "else",
    "len(", "upper(", "mask(", "mask_name(", "default(", "string(", "int(", "number(", "round(", "date(",
    "today()", "age(", "days_between(", "format_date(", "id_check(", "contains(", "matches(", "'(a|a)*b'",
    "money(", "format_month(", "id_type_name(", "mask_text(", "'zh-CN'", "'2024-03'",
    "'[0-9]+'", "[0]", "['k']", "__class__", "**", "'\\n'",
]
PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**60, max_value=2**60) | st.floats()
    | st.text(max_size=30) | st.dates(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(["k", "n", "name"]), inner, max_size=4),
    max_leaves=12,
)
CONTEXTS = st.fixed_dictionaries({}, optional={
    "id": st.fixed_dictionaries({}, optional={"name": PLAIN, "birth_date": PLAIN}) | PLAIN,
    "data": st.fixed_dictionaries({}, optional={k: PLAIN for k in ("months", "balance", "ok", "records", "extra",
                                                                   "blob")}) | PLAIN,
    "now": st.dates() | PLAIN,
})


def _outcome(src: str, ctx: dict):
    """Compile and run; any exception other than ours fails the test by propagating."""
    try:
        c = compile_expr(src, SCOPE)
    except ExprError as exc:
        assert 0 <= exc.offset <= len(src) and exc.end > exc.offset and exc.rule.startswith("expr/")
        return None
    assert isinstance(c.test(ctx), bool)
    try:
        value = c.evaluate(ctx)
    except EvalError:
        return None
    _assert_bounded(value)
    return value


def _assert_bounded(value) -> None:
    if isinstance(value, str):
        assert len(value) <= 10_000
    elif isinstance(value, int) and not isinstance(value, bool):
        assert abs(value) <= 2**53


@FAST
@given(st.text(max_size=200))
def test_any_text_compiles_or_raises_expr_error(src):
    _outcome(src, {})


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join), CONTEXTS)
def test_token_soup_against_random_data(src, ctx):
    _outcome(src, ctx)


VALID = [
    "data.months >= 12 and id.name == '张三'", "not (data.months < 12) or data.ok", "data.balance / data.months",
    "data.months % 7 + data.balance * 2", "id.name + id.name", "len(data.records) > 0", "data.records[0]",
    "data.extra['k']", "data.blob == 1", "data.blob in data.records", "'k' in data.extra", "age(id.birth_date)",
    "format_date(id.birth_date, 'zh-CN')", "string(data.blob)", "int(data.blob)", "number(id.name)",
    "round(data.balance, 2)", "default(data.blob, 1)", "mask(id.name)", "id_check(id.name)", "-data.blob",
    "data.blob + data.blob", "data.blob < data.blob", "matches(id.name, '(a|a)*b')", "days_between(now, now)",
    "data.records == data.records", "data.extra != data.extra", "data.blob[0]", "data.blob['k']",
    "'x' if data.ok else data.blob",
]


@FAST
@given(CONTEXTS)
def test_valid_expressions_on_random_nested_data(ctx):
    for src in VALID:
        compile_expr(src, SCOPE)  # these must compile
        _outcome(src, ctx)


@FAST
@given(st.lists(st.sampled_from(TOKENS + ["{{", "}}", "{{ id.name }}", "文字", "'}}'"]), max_size=20).map(" ".join),
       CONTEXTS)
def test_templates_only_raise_our_errors(src, ctx):
    try:
        t = compile_template(src, SCOPE)
    except ExprError as exc:
        assert 0 <= exc.offset <= len(src)
        return
    try:
        assert isinstance(t.render(ctx), str)
    except EvalError:
        pass


WORST = [
    "(" * 2000, "[" * 2000, "-" * 1999 + "1", "not " * 499 + "x", "a." * 999 + "a", "'" + "\\'" * 999,
    "1+" * 999 + "1", "f(" * 1000, ",".join(["1"] * 1000), "'a' " * 500, "1 if 1 else " * 166 + "1",
    "(" * 60 + "1" + ")" * 60, "[" + ",".join(["[1]"] * 100) + "]",
]


def test_compiling_the_worst_inputs_is_fast():
    for src in WORST:
        start = time.perf_counter()
        try:
            compile_expr(src, SCOPE)
        except ExprError:
            pass
        assert time.perf_counter() - start < 0.2, src[:30]  # generous: a blow-up would take seconds


PATTERN_ATOMS = ["a", "b", "ab", ".", "[ab]", "[^a]", "[a-c]", "\\d", "\\w", "\\s", "x", "(a|b)", "(?:ab|a)", "()"]
PATTERNS = st.recursive(
    st.sampled_from(PATTERN_ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map("".join),
        st.tuples(inner, inner).map(lambda p: f"({p[0]}|{p[1]})"),
        st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?"])).map(
            lambda p: f"(?:{p[0]}){p[1]}"),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(PATTERNS, st.lists(st.text(alphabet="abx1 _-\n", max_size=8), min_size=1, max_size=5))
def test_safe_regex_agrees_with_python_re(pattern, texts):
    try:
        safe = compile_safe(pattern)
    except PatternError as exc:  # only our limits may refuse a pattern from the supported grammar
        assert "states" in str(exc)
        return
    python = re.compile(pattern)
    for text in texts:
        assert safe.fullmatch(text) == (python.fullmatch(text) is not None), (pattern, text)


@FAST
@given(st.text(max_size=40))
def test_any_pattern_compiles_or_raises_pattern_error(pattern):
    try:
        safe = compile_safe(pattern)
    except PatternError:
        return
    assert isinstance(safe.fullmatch("a" * 50), bool)


def test_dates_and_datetimes_compare_as_days():
    c = compile_expr("id.birth_date == now", SCOPE)
    assert c.evaluate({"id": {"birth_date": dt.datetime(2026, 1, 1, 9)}, "now": dt.date(2026, 1, 1)}) is True
