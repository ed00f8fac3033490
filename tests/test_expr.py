"""The flow expression language: typed at load, safe at run time, failing closed."""
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.expr import EvalError, ExprError, ExprType, Privacy, Scope, Var, compile_expr, compile_template

S, I, D = ExprType.STRING, ExprType.INT, ExprType.DATE
SCOPE = Scope({
    "id": {"name": Var(S, Privacy.PERSONAL), "id_number": Var(S, Privacy.IDENTIFIER),
           "birth_date": Var(D, Privacy.PERSONAL), "gender": Var(S, Privacy.PERSONAL)},
    "data": {"months": Var(I), "status": Var(S), "records": Var(ExprType.LIST)},
    "locale": Var(S), "now": Var(D),
})
CTX = {"id": {"name": "欧阳示例", "id_number": "11010519491231002X", "birth_date": dt.date(1949, 12, 31),
              "gender": "女"},
       "data": {"months": 212, "status": "正常参保", "records": [{"n": 1}, {"n": 2}]},
       "locale": "zh-CN", "now": dt.date(2026, 3, 2)}


def ev(src):
    return compile_expr(src, SCOPE).evaluate(CTX)


@pytest.mark.parametrize("src, value", [
    ("data.months >= 12 and id.gender == '女'", True),
    ("data.months + 1", 213),
    ("data.months / 4", 53.0),
    ("'参保' in data.status", True),
    ("len(data.records)", 2),
    ("age(id.birth_date)", 76),
    ("format_date(now, 'zh-CN')", "2026年3月2日"),
    ("format_date(now, 'en')", "2 Mar 2026"),
    ("mask(id.id_number)", "1101**********002X"),
    ("mask_name(id.name)", "欧***"),
    ("id_check(id.id_number)", True),
    ("id_check('110105194912310021')", False),
    ("'ok' if data.months > 100 else 'few'", "ok"),
    ("default(data.status, 'none')", "正常参保"),
    ("matches(id.id_number, '\\\\d{17}[\\\\dX]')", True),
    ("days_between(date('2026-01-01'), now)", 60),
    ("not (data.months < 12)", True),
    ("1 == 1.0", True),
])
def test_values(src, value):
    assert ev(src) == value


def test_privacy_follows_the_values_read():
    assert compile_expr("id.name", SCOPE).privacy == Privacy.PERSONAL
    assert compile_expr("id.name + id.id_number", SCOPE).privacy == Privacy.IDENTIFIER
    assert compile_expr("mask(id.id_number)", SCOPE).privacy == Privacy.PUBLIC
    assert compile_expr("data.months", SCOPE).refs == {"data.months"}


@pytest.mark.parametrize("src, rule, offset, suggestion", [
    ("id.nmae == 'x'", "expr/unknown-name", 0, "id.name"),
    ("data.months > 1 and dat.status == 'x'", "expr/unknown-name", 20, "data.status"),
    ("lenn(data.records)", "expr/unknown-function", 0, "len"),
    ("len(1)", "expr/type", 4, None),
    ("data.months == 'many'", "expr/type", 12, None),
    ("data.months and true", "expr/type", 0, None),
    ("true == 1", "expr/type", 5, None),
    ("data.months +", "expr/syntax", 13, None),
    ("'unterminated", "expr/syntax", 0, None),
    ("姓名 == 'x'", "expr/syntax", 0, None),
    ("id", "expr/unknown-name", 0, "id.birth_date"),
    ("matches(id.name, '(a+)+$')", "expr/regex", 17, None),
    ("matches(id.name, id.name)", "expr/type", 17, None),
])
def test_errors_are_typed_and_located(src, rule, offset, suggestion):
    with pytest.raises(ExprError) as exc:
        compile_expr(src, SCOPE)
    assert (exc.value.rule, exc.value.offset) == (rule, offset)
    if suggestion:
        assert exc.value.suggestion == suggestion


@pytest.mark.parametrize("src", [
    "__import__('os')", "().__class__", "id.__class__", "id.name.__class__", "x.__dict__",
    "'a' * 10**9", "globals()", "eval('1')", "(lambda: 1)()", "[x for x in data.records]", "a; b", "data.months ** 2",
])
def test_python_internals_are_unreachable(src):
    with pytest.raises(ExprError):
        compile_expr(src, SCOPE)


def test_limits_hold_without_recursion_errors():
    with pytest.raises(ExprError) as exc:
        compile_expr("(" * 10_000 + "1" + ")" * 10_000, SCOPE)
    assert exc.value.rule == "expr/too-complex"
    with pytest.raises(ExprError) as exc:
        compile_expr("(" * 40 + "1" + ")" * 40, SCOPE)
    assert exc.value.rule == "expr/too-complex"
    with pytest.raises(ExprError):
        compile_expr(" + ".join(["1"] * 600), SCOPE)


def test_guards_fail_closed():
    g = compile_expr("data.months > 12", SCOPE, expect=ExprType.BOOL)
    assert g.test(CTX) is True
    assert g.test({"data": {}}) is False  # missing value
    assert g.test({"data": {"months": "lots"}}) is False  # wrong type from a backend
    div = compile_expr("data.months / 0 > 1", SCOPE)
    assert div.test(CTX) is False
    with pytest.raises(EvalError):
        div.evaluate(CTX)


def test_expect_checks_the_result_type():
    with pytest.raises(ExprError) as exc:
        compile_expr("data.months", SCOPE, expect=ExprType.BOOL)
    assert exc.value.rule == "expr/type"


def test_templates_mask_by_default_and_offsets_point_into_the_text():
    t = compile_template("您好 {{ id.name }}，号码 {{ mask(id.id_number) }}，{{ data.months }} 个月", SCOPE)
    assert t.render(CTX) == "您好 ***，号码 1101**********002X，212 个月"
    assert t.render(CTX, show=lambda v, p, s: str(v)) == "您好 欧阳示例，号码 1101**********002X，212 个月"
    with pytest.raises(ExprError) as exc:
        compile_template("您好 {{ id.nmae }}", SCOPE)
    assert exc.value.offset == 6 and exc.value.suggestion == "id.name"
    with pytest.raises(ExprError):
        compile_template("您好 {{ id.name", SCOPE)
    with pytest.raises(EvalError):  # undefined in a text is an error, not an empty string
        compile_template("{{ data.status }}", SCOPE).render({"data": {}})


def test_text_results_are_bounded():
    scope = Scope({"s": Var(S)})
    grow = compile_expr("s + s + s + s + s + s + s + s + s + s + s", scope)
    with pytest.raises(EvalError):
        grow.evaluate({"s": "x" * 2000})


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_random_text_never_escapes_as_another_exception(src):
    try:
        c = compile_expr(src, SCOPE)
    except ExprError:
        return
    try:
        c.evaluate(CTX)
    except EvalError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.sampled_from(["1", "data.months", "'a'", "true", "id.name", "null"]),
                    lambda inner: st.builds(lambda a, op, b: f"({a} {op} {b})", inner,
                                            st.sampled_from(["+", "-", "==", "and", "or", "<", "in", "*"]), inner),
                    max_leaves=30))
def test_random_expressions_type_check_or_fail_cleanly(src):
    try:
        c = compile_expr(src, SCOPE)
    except ExprError:
        return
    try:
        c.evaluate(CTX)
    except EvalError:
        pass
