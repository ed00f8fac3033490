"""The flow expression language: typed at load, safe with untrusted flows, failing closed."""
import datetime as dt
from pathlib import Path

import pytest

from kiosk.expr import (FUNCTIONS, Compiled, EvalError, ExprError, ExprType, Privacy, Scope, Template, Var,
                        compile_expr, compile_template)

S, I, N, B, D = ExprType.STRING, ExprType.INT, ExprType.NUMBER, ExprType.BOOL, ExprType.DATE
SCOPE = Scope({
    "id": {"name": Var(S, Privacy.PERSONAL), "id_number": Var(S, Privacy.IDENTIFIER),
           "birth_date": Var(D, Privacy.PERSONAL), "gender": Var(S, Privacy.PERSONAL), "verified": Var(B)},
    "face": {"score": Var(N, Privacy.BIOMETRIC)},
    "data": {"months": Var(I), "status": Var(S), "balance": Var(N), "records": Var(ExprType.LIST),
             "extra": Var(ExprType.MAP), "blob": Var(ExprType.ANY)},
    "form": {"phone": Var(S, Privacy.PERSONAL), "purpose": Var(S)},
    "locale": Var(S), "now": Var(D),
})
CTX = {"id": {"name": "欧阳示例", "id_number": "11010519491231002X", "birth_date": dt.date(1949, 12, 31),
              "gender": "女", "verified": True},
       "face": {"score": 0.93},
       "data": {"months": 212, "status": "正常参保", "balance": 1234.5, "records": [{"n": 1}, {"n": 2}],
                "extra": {"unit": "示例单位", "count": 3}, "blob": [1, "two", None]},
       "form": {"phone": "13812345678", "purpose": "签证"},
       "locale": "zh-CN", "now": dt.date(2026, 3, 2)}


def ev(src, ctx=CTX):
    return compile_expr(src, SCOPE).evaluate(ctx)


def error(src, scope=SCOPE, **kw) -> ExprError:
    with pytest.raises(ExprError) as exc:
        compile_expr(src, scope, **kw)
    return exc.value


@pytest.mark.parametrize("src, value", [
    ("data.months >= 12 and id.gender == '女'", True),
    ("data.months + 1", 213),
    ("data.months - 300", -88),
    ("data.months * 2", 424),
    ("data.months / 4", 53.0),
    ("data.months % 10", 2),
    ("-data.months", -212),
    ("(1 + 2) * 3", 9),
    ("1 + 2 * 3", 7),
    ("1 == 1.0", True),
    ("'参保' in data.status", True),
    ("'失效' not in data.status", True),
    ("'unit' in data.extra", True),
    ("2 in [1, 2, 3]", True),
    ("'2' in [1, 2, 3]", False),
    ("'ab' + 'cd'", "abcd"),
    ("'a\\'b\\n'", "a'b\n"),
    ("\"双引号\"", "双引号"),
    ("len(data.records)", 2),
    ("data.records[1]", {"n": 2}),
    ("data.records[-1]", {"n": 2}),
    ("data.records[5]", None),
    ("data.extra['unit']", "示例单位"),
    ("data.extra['none']", None),
    ("id.name[0]", "欧"),
    ("[1, 'a', null]", [1, "a", None]),
    ("'ok' if data.months > 100 else 'few'", "ok"),
    ("'a' if false else 'b' if true else 'c'", "b"),
    ("not (data.months < 12)", True),
    ("true or false and false", True),
    ("not true == false", True),
    ("age(id.birth_date)", 76),
    ("age('2000-03-02')", 26),
    ("age('2000-03-03')", 25),
    ("today()", dt.date(2026, 3, 2)),
    ("days_between(date('2026-01-01'), now)", 60),
    ("days_between(now, '2026-01-01')", -60),
    ("format_date(now, 'zh-CN')", "2026年3月2日"),
    ("format_date('2026-11-23', 'zh-CN')", "2026年11月23日"),
    ("format_date('2026-11-23', 'en')", "23 Nov 2026"),
    ("mask(id.id_number)", "1101**********002X"),
    ("mask('12345678')", "1*******"),
    ("mask('123456789')", "1234*6789"),
    ("mask_name('张三')", "张*"),
    ("mask_name('欧阳娜娜')", "欧***"),
    ("mask_name('张')", "张*"),
    ("id_check(id.id_number)", True),
    ("id_check('11010519491231002x')", True),
    ("id_check('110105194912310021')", False),
    ("id_check('1101051949123100')", False),
    ("upper('x') + lower('Y') + trim('  z ')", "Xyz"),
    ("contains(data.status, '参保')", True),
    ("contains(data.records, 1)", False),
    ("starts_with(form.phone, '138')", True),
    ("matches(form.phone, '1[3-9]\\\\d{9}')", True),
    ("matches(id.id_number, '\\\\d{17}[\\\\dX]')", True),
    ("matches('abc', 'ab')", False),
    ("string(12) + string(1.5) + string(true) + string(now)", "121.5true2026-03-02"),
    ("int('42') + int(3.9) + int(-3.9)", 42),
    ("number('12.5') + number(1)", 13.5),
    ("round(2.5, 0)", 3),
    ("round(-2.5, 0)", -3),
    ("round(1.005, 2)", 1.01),
    ("round(data.balance / 3, 2)", 411.5),
    ("default(data.status, 'none')", "正常参保"),
    ("default('', 'none')", "none"),
    ("default(null, 1)", 1),
])
def test_values(src, value):
    assert ev(src) == value


@pytest.mark.parametrize("src", [
    "not id.verified",
    "not (data.months < 12)",
    "data.status != 'blacklisted'",
    "false if id.verified else true",
    "not (id.gender in ['男'])",
    "id.gender not in ['男']",
    "not id_check(id.id_number)",
    "len(data.status) != 3",
    "data.months + 1 > 0 or false",
])
def test_missing_data_never_opens_a_guard(src):
    empty = {"id": {}, "data": {}}
    g = compile_expr(src, SCOPE, expect=B)
    assert g.evaluate(empty) is None
    assert g.test(empty) is False
    assert g.test({}) is False  # not even a namespace


@pytest.mark.parametrize("src, value", [
    ("data.months == null", True),
    ("data.months != null", False),
    ("null == null", True),
    ("false and data.months > 1", False),
    ("data.months > 1 and false", False),
    ("true or data.months > 1", True),
    ("data.months > 1 or true", True),
    ("data.months > 1 or false", None),
    ("default(data.months, 0) + 1", 1),
    ("string(data.months)", None),
])
def test_null_propagates_except_explicit_tests(src, value):
    assert ev(src, {"data": {}}) == value


@pytest.mark.parametrize("ctx", [
    {"data": {"months": "3"}},  # a backend sending text for a declared int
    {"data": {"months": True}},
    {"data": {"months": 2.5}},
    {"data": {"months": object()}},  # not plain data: refused, never inspected
    {"data": {"months": float("nan")}},
    {"data": "not a map"},
])
def test_data_that_breaks_its_declaration_fails_closed(ctx):
    for src in ("data.months == 3", "data.months != 3", "not (data.months > 1)"):
        g = compile_expr(src, SCOPE)
        assert g.test(ctx) is False
        if ctx["data"] != "not a map":
            with pytest.raises(EvalError):
                g.evaluate(ctx)


@pytest.mark.parametrize("src, ctx", [
    ("data.months / 0 > 1", CTX),
    ("data.months % 0 == 0", CTX),
    ("data.months * data.months > 0", {"data": {"months": 2**30}}),  # past 2**53
    ("data.blob[1] > 1", CTX),  # text vs number, found at run time
    ("data.blob == 'x'", CTX),
    ("int(data.status) > 0", CTX),
    ("date(data.status) == now", CTX),
    ("round(data.balance, 11) > 0", CTX),
    ("age(id.birth_date) > 0", {"id": {"birth_date": dt.date(2000, 1, 1)}}),  # no `now`: no today()
])
def test_runtime_failures_raise_eval_error_and_guards_are_false(src, ctx):
    c = compile_expr(src, SCOPE)
    with pytest.raises(EvalError):
        c.evaluate(ctx)
    assert c.test(ctx) is False


def test_evaluate_needs_a_dict_and_test_never_raises():
    g = compile_expr("data.months > 1", SCOPE)
    with pytest.raises(EvalError):
        g.evaluate(None)
    for ctx in (None, [], "x", 3):
        assert g.test(ctx) is False


def test_today_follows_the_engine_clock():
    c = compile_expr("today()", SCOPE)
    assert c.evaluate({"now": dt.datetime(2030, 1, 2, 23, 59)}) == dt.date(2030, 1, 2)
    assert compile_expr("age('2000-02-29')", SCOPE).evaluate({"now": dt.date(2026, 2, 28)}) == 25
    assert compile_expr("age('2000-02-29')", SCOPE).evaluate({"now": dt.date(2026, 3, 1)}) == 26
    assert c.refs == {"now"}


@pytest.mark.parametrize("src, rule, offset, end, suggestion", [
    ("id.nmae == 'x'", "expr/unknown-name", 0, 7, "id.name"),
    ("data.months > 1 and dat.status == 'x'", "expr/unknown-name", 20, 30, "data.status"),
    ("  idd.name", "expr/unknown-name", 2, 10, "id.name"),
    ("id", "expr/unknown-name", 0, 2, "id.birth_date"),
    ("len", "expr/unknown-name", 0, 3, None),
    ("lenn(data.records)", "expr/unknown-function", 0, 18, "len"),
    ("mask_nmae(id.name)", "expr/unknown-function", 0, 18, "mask_name"),
    ("len(1)", "expr/type", 4, 5, None),
    ("len(data.records, 2)", "expr/type", 0, 20, None),
    ("data.months == 'many'", "expr/type", 12, 21, None),
    ("'a' < 1", "expr/type", 4, 7, None),
    ("'a' + 1", "expr/type", 4, 7, None),
    ("'a' * 1000000000", "expr/type", 4, 16, None),
    ("[1] + [2]", "expr/type", 4, 9, None),
    ("true + 1", "expr/type", 5, 8, None),
    ("data.months and true", "expr/type", 0, 11, None),
    ("true and 'x'", "expr/type", 9, 12, None),
    ("not 1", "expr/type", 4, 5, None),
    ("1 if 2 else 3", "expr/type", 5, 6, None),
    ("true == 1", "expr/type", 5, 9, None),
    ("1 in 'abc'", "expr/type", 2, 10, None),
    ("data.records['x']", "expr/type", 13, 16, None),
    ("data.months[0]", "expr/type", 0, 11, None),
    ("data.months < null", "expr/type", 12, 18, None),
    ("default(data.months, 'x')", "expr/type", 21, 24, None),
    ("contains(id.name, 1)", "expr/type", 18, 19, None),
    ("data.months +", "expr/syntax", 13, 14, None),
    ("1 < 2 < 3", "expr/syntax", 6, 7, None),
    ("(1 + 2", "expr/syntax", 6, 7, None),
    ("f(", "expr/syntax", 2, 3, None),
    ("'unterminated", "expr/syntax", 0, 1, None),
    ("'bad \\q escape'", "expr/syntax", 5, 7, None),
    ("姓名 == 'x'", "expr/syntax", 0, 1, None),
    ("id.姓名", "expr/syntax", 3, 4, None),
    ("１２ > 3", "expr/syntax", 0, 1, None),
    ("data.months ** 2", "expr/syntax", 12, 14, None),
    ("data.months = 2", "expr/syntax", 12, 13, None),
    ("id.verified && true", "expr/syntax", 12, 14, None),
    ("", "expr/syntax", 0, 1, None),
    ("   ", "expr/syntax", 0, 1, None),
    ("matches(id.name, '(a+)+\\\\1')", "expr/regex", 17, 27, None),
    ("matches(id.name, '(?=a)')", "expr/regex", 17, 24, None),
    ("matches(id.name, id.name)", "expr/type", 17, 24, None),
    ("data.months", "expr/type", 0, 11, None),  # expect=BOOL below
])
def test_errors_are_typed_and_located(src, rule, offset, end, suggestion):
    exc = error(src, expect=B)
    assert (exc.rule, exc.offset, exc.end, exc.suggestion) == (rule, offset, end, suggestion), exc.message


def test_error_messages_say_what_is_wrong():
    assert "chained" in error("1 < 2 < 3").message
    assert "power" in error("2 ** 3").message
    assert "quotes" in error("姓名 == 'x'").message
    assert "len(...) is a function" in error("len").message
    assert "character 1" in error("matches(id.name, '*a')").message


@pytest.mark.parametrize("src", [
    "__import__('os')", "__builtins__", "().__class__", "id.__class__", "id.name.__class__", "x.__dict__",
    "[].__class__.__base__", "''.join(['a'])", "id.name.upper()", "data.records.pop()", "getattr(id, 'name')",
    "'a' * 10**9", "'a' * 1000000000", "globals()", "eval('1')", "exec('1')", "open('/etc/passwd')",
    "(lambda: 1)()", "[x for x in data.records]", "{'a': 1}", "a; b", "id.name; 1", "`id`", "$x", "@x",
    "data.months ** 2", "1e400", "9" * 20, "(f)(1)", "len(x)(1)", "data.records[0].n",
])
def test_python_internals_are_unreachable(src):
    error(src)


@pytest.mark.parametrize("src", [
    "(" * 10_000 + "1" + ")" * 10_000,
    "[" * 10_000 + "]" * 10_000,
    "-" * 10_000 + "1",
    "not " * 10_000 + "true",
    "len(" * 10_000 + "'a'" + ")" * 10_000,
    "1 if true else " * 3_000 + "1",
    "x" * 100_000,
    "'" + "a" * 5_000 + "'",
    " + ".join(["1"] * 600),
    " and ".join(["true"] * 600),
])
def test_huge_and_deep_inputs_are_refused_without_recursion_errors(src):
    assert error(src).rule in ("expr/too-complex", "expr/syntax")


def _lists(outer: int, inner: int) -> str:
    """A list of lists: 1 + outer + outer * inner parts in well under 2000 characters."""
    return "[" + ",".join("[" + ",".join("1" * inner) + "]" for _ in range(outer)) + "]"


@pytest.mark.parametrize("ok, too_much", [
    ("'" + "a" * 1000 + "'", "'" + "a" * 1001 + "'"),
    ("[" + ",".join(["1"] * 100) + "]", "[" + ",".join(["1"] * 101) + "]"),
    ("-" * 31 + "1", "-" * 32 + "1"),
    ("1" + " " * 1999, "1" + " " * 2000),
    (str(2**53), str(2**53 + 1)),
    (_lists(5, 98), _lists(5, 99)),  # 496 and 501 parts
])
def test_limits_sit_exactly_at_the_documented_numbers(ok, too_much):
    compile_expr(ok, SCOPE)
    assert error(too_much).rule == "expr/too-complex"


def test_results_are_bounded():
    grow = compile_expr("data.status + data.status", SCOPE)
    assert len(grow.evaluate({"data": {"status": "x" * 5000}})) == 10_000
    with pytest.raises(EvalError):
        grow.evaluate({"data": {"status": "x" * 5001}})
    with pytest.raises(EvalError):  # declared text longer than the cap is refused on read
        compile_expr("data.status", SCOPE).evaluate({"data": {"status": "x" * 10_001}})
    big = compile_expr("data.months * 1024", SCOPE)
    assert big.evaluate({"data": {"months": 2**43}}) == 2**53
    with pytest.raises(EvalError):
        big.evaluate({"data": {"months": 2**43 + 1}})
    with pytest.raises(EvalError):
        compile_expr("data.balance * data.balance", SCOPE).evaluate({"data": {"balance": 1e300}})


def test_expect_checks_the_result_type():
    assert error("data.months", expect=B).rule == "expr/type"
    assert error("  'x'", expect=B).offset == 2
    assert compile_expr("data.months", SCOPE, expect=N).type == I  # an int is a number
    assert compile_expr("data.blob", SCOPE, expect=B).type == ExprType.ANY
    assert compile_expr("null", SCOPE, expect=S).type == ExprType.NULL


def test_static_types_of_results():
    assert {src: compile_expr(src, SCOPE).type for src in [
        "1", "1.5", "'a'", "true", "null", "[1]", "data.months + 1", "data.months / 1", "data.balance + 1",
        "data.records[0]", "id.name[0]", "default(data.months, 0)", "reveal(id.birth_date)",
        "1 if true else null", "1 if true else 1.5", "data.blob + data.blob",
    ]} == {
        "1": I, "1.5": N, "'a'": S, "true": B, "null": ExprType.NULL, "[1]": ExprType.LIST,
        "data.months + 1": I, "data.months / 1": N, "data.balance + 1": N, "data.records[0]": ExprType.ANY,
        "id.name[0]": S, "default(data.months, 0)": I, "reveal(id.birth_date)": D, "1 if true else null": I,
        "1 if true else 1.5": N, "data.blob + data.blob": ExprType.ANY,
    }


def test_privacy_is_the_most_private_value_read():
    def privacy(src):
        return compile_expr(src, SCOPE).privacy
    assert privacy("locale") == Privacy.PUBLIC
    assert privacy("id.name") == Privacy.PERSONAL
    assert privacy("id.name + id.id_number") == Privacy.IDENTIFIER
    assert privacy("face.score > 0.9") == Privacy.BIOMETRIC
    assert privacy("len(id.id_number)") == Privacy.IDENTIFIER
    assert privacy("'yes' if id.gender == '男' else 'no'") == Privacy.PERSONAL  # the branch reveals the test
    assert privacy("reveal(id.name)") == Privacy.PERSONAL
    assert privacy("mask(id.id_number)") == Privacy.IDENTIFIER  # masking changes how it shows, not what it is
    assert privacy("mask_name(id.name)") == Privacy.PERSONAL
    assert compile_expr("data.months > 1 and id.gender == '男'", SCOPE).refs == {"data.months", "id.gender"}


def test_templates_mask_by_default_and_offsets_point_into_the_text():
    t = compile_template("您好 {{ id.name }}，号码 {{ mask(id.id_number) }}，{{ data.months }} 个月", SCOPE)
    assert isinstance(t, Template) and all(isinstance(p, (str, Compiled)) for p in t.parts)
    assert t.render(CTX) == "您好 ***，号码 1101**********002X，212 个月"
    seen = []
    shown = t.render(CTX, show=lambda v, p, s: seen.append((v, p, s)) or str(v))
    assert shown == "您好 欧阳示例，号码 1101**********002X，212 个月"
    assert seen[0][0::2] == ("欧阳示例", "id.name") and seen[0][1].privacy == Privacy.PERSONAL
    assert t.refs == {"id.name", "id.id_number", "data.months"} and t.privacy == Privacy.IDENTIFIER
    assert compile_template("{{ true }} {{ now }}", SCOPE).render(CTX) == "true 2026-03-02"
    assert compile_template("no interpolation", SCOPE).render({}) == "no interpolation"


@pytest.mark.parametrize("src, offset, rule, suggestion", [
    ("您好 {{ id.nmae }}", 6, "expr/unknown-name", "id.name"),
    ("第一行\n{{ data.months +  }}", 22, "expr/syntax", None),
    ("{{1 +}}", 5, "expr/syntax", None),
    ("a {{ 'x' + 1 }}", 9, "expr/type", None),
    ("您好 {{ id.name", 3, "expr/syntax", None),
    ("x {{   }} y", 2, "expr/syntax", None),
    ("{{ '}}' + x }}", 10, "expr/unknown-name", None),
])
def test_template_errors_point_into_the_template(src, offset, rule, suggestion):
    with pytest.raises(ExprError) as exc:
        compile_template(src, SCOPE)
    assert (exc.value.offset, exc.value.rule, exc.value.suggestion) == (offset, rule, suggestion)


def test_templates_treat_undefined_as_an_error():
    t = compile_template("状态：{{ data.status }}", SCOPE)
    with pytest.raises(EvalError):
        t.render({"data": {}})
    assert compile_template("{{ default(data.status, '—') }}", SCOPE).render({"data": {}}) == "—"
    assert compile_template("{{ '}}' }}", SCOPE).render({}) == "}}"
    with pytest.raises(EvalError):  # a list has no text form
        compile_template("{{ data.records }}", SCOPE).render(CTX)


def test_scope_lookup_names_and_child():
    assert SCOPE.lookup("id.name") == Var(S, Privacy.PERSONAL)
    assert SCOPE.lookup("id") is None and SCOPE.lookup("id.name.first") is None and SCOPE.lookup("x") is None
    names = SCOPE.names()
    assert names == sorted(names) and "id.name" in names and "locale" in names and "id" not in names
    child = SCOPE.child({"id": {"photo": Var(S, Privacy.BIOMETRIC)}, "svc": {"ok": Var(B)}})
    assert child.lookup("id.photo").privacy == Privacy.BIOMETRIC and child.lookup("id.name") is not None
    assert SCOPE.lookup("id.photo") is None and SCOPE.lookup("svc.ok") is None  # the parent is untouched
    assert compile_expr("svc.ok and id.photo == 'x'", child).refs == {"svc.ok", "id.photo"}
    with pytest.raises(TypeError):
        Scope({"x": "string"})


def test_scope_is_a_copy_of_what_it_was_given():
    tree = {"a": {"b": Var(S)}}
    scope = Scope(tree)
    tree["a"]["c"] = Var(S)
    assert scope.lookup("a.c") is None


def test_regex_patterns_cannot_backtrack():
    scope = Scope({"s": Var(S)})
    for pattern in ("(a|a)*b", "((a+))+b", "(a*)*b", "(x+x+)+y", ".*.*.*.*x", "(a|aa)*b", "(\\\\w+\\\\s?)*$"):
        g = compile_expr(f"matches(s, '{pattern}')", scope)
        assert g.evaluate({"s": "a" * 999 + "!"}) is False  # instant: the matcher never backtracks
    assert compile_expr("matches(s, '\\\\d+')", scope).evaluate({"s": "１２"}) is False  # ASCII digits only
    with pytest.raises(EvalError):  # matches() looks at 1000 characters at most
        compile_expr("matches(s, 'a*')", scope).evaluate({"s": "a" * 1001})


def test_every_function_is_documented():
    docs = (Path(__file__).parents[2] / "docs" / "expressions.md").read_text(encoding="utf-8")
    for name, func in FUNCTIONS.items():
        assert f"`{name}(" in docs, name
        assert func.doc
