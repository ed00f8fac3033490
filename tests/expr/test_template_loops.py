"""Loops in templates: a row per item written in the template, escaped, masked and typed like any other text."""
import html

import pytest

from kiosk import privacy
from kiosk.documents.templates import load_template
from kiosk.expr import EvalError, ExprError, ExprType, Privacy, Scope, Var, compile_template

T = ExprType
DEPOSIT = {"month": Var(T.STRING), "amount": Var(T.NUMBER), "employer": {"name": Var(T.STRING)}}
SCOPE = Scope({
    "data": {"deposits": Var(T.LIST, items=DEPOSIT), "loose": Var(T.LIST),
             "owners": Var(T.LIST, Privacy.PERSONAL, items={"name": Var(T.STRING), "share": Var(T.NUMBER)}),
             "count": Var(T.INT)},
})
ROWS = [{"month": "2026-01", "amount": 2200, "employer": {"name": "甲"}},
        {"month": "2026-02", "amount": 2400.5, "employer": {"name": "<b>乙</b>"}}]


def render(source: str, data: dict) -> str:
    return compile_template(source, SCOPE).render({"data": data})


def test_a_loop_gives_a_row_per_item_with_its_index_and_nested_fields():
    out = render("{% for d in data.deposits %}{{ loop.index }}/{{ loop.count }} {{ d.month }} {{ d.amount }} "
                 "{{ d.employer.name }};{% endfor %}", {"deposits": ROWS})
    assert out == "1/2 2026-01 2200 甲;2/2 2026-02 2400.5 <b>乙</b>;"


@pytest.mark.parametrize("data", [{"deposits": []}, {}], ids=["empty list", "no list at all"])
def test_the_empty_case_shows_when_there_is_nothing(data):
    assert render("[{% for d in data.deposits %}{{ d.month }}{% empty %}none{% endfor %}]", data) == "[none]"


def test_loops_nest_and_the_inner_item_sees_the_outer_one():
    scope = Scope({"data": {"years": Var(T.LIST, items={"year": Var(T.INT), "months": Var(T.LIST, items={"m": Var(T.STRING)})})}})
    tmpl = compile_template("{% for y in data.years %}{% for m in y.months %}{{ y.year }}-{{ m.m }}/{{ loop.index }} "
                            "{% endfor %}{% endfor %}", scope)
    data = {"years": [{"year": 2025, "months": [{"m": "11"}, {"m": "12"}]}, {"year": 2026, "months": [{"m": "01"}]}]}
    assert tmpl.render({"data": data}) == "2025-11/1 2025-12/2 2026-01/1 "


def test_a_misspelt_item_field_is_a_load_error_at_its_column_with_a_did_you_mean():
    source = "{% for d in data.deposits %}{{ d.amont }}{% endfor %}"
    with pytest.raises(ExprError) as err:
        compile_template(source, SCOPE)
    assert err.value.rule == "expr/unknown-name"
    assert err.value.suggestion == "d.amount"
    assert source[err.value.offset:].startswith("d.amont")


@pytest.mark.parametrize("source,rule,at", [
    ("{% for d in data.deposits %}{{ d.month }}", "tmpl/loop", "{% for"),
    ("x{% endfor %}", "tmpl/loop", "{% endfor"),
    ("{% for d in data.count %}{% endfor %}", "expr/type", "data.count"),
    ("{% for d in data.deposit %}{% endfor %}", "expr/unknown-name", "data.deposit"),
    ("{% for data in data.deposits %}{% endfor %}", "tmpl/loop", "data in"),
    ("{% if data.count %}{% endif %}", "tmpl/loop", "{% if"),
    ("{% for d in data.deposits %}{% empty %}{% empty %}{% endfor %}", "tmpl/loop", "{% empty %}{% endfor"),
    ("{% for d in data.deposits %}{% endfor %}{{ d.month }}", "expr/unknown-name", "d.month"),
])
def test_broken_loops_are_located_load_errors(source, rule, at):
    with pytest.raises(ExprError) as err:
        compile_template(source, SCOPE)
    assert err.value.rule == rule
    assert source[err.value.offset:].startswith(at), (err.value.offset, err.value.message)


def test_an_undeclared_list_gives_items_of_unknown_shape():
    assert render("{% for x in data.loose %}{{ x }},{% endfor %}", {"loose": [1, "a"]}) == "1,a,"


def test_a_personal_lists_items_are_personal_and_masked_on_screen():
    tmpl = compile_template("{% for o in data.owners %}{{ o.name }} {{ o.share }};{% endfor %}", SCOPE)
    assert [p.label.privacy for _, p in tmpl.spots] == [Privacy.PERSONAL, Privacy.PERSONAL]
    assert tmpl.privacy == Privacy.PERSONAL
    out = tmpl.render({"data": {"owners": [{"name": "示例市示例区示例路", "share": 0.5}]}}, show=privacy.show)
    assert "示例路" not in out and "0.5" not in out


def test_taint_reaches_a_loop_over_a_list_computed_from_personal_data():
    scope = Scope({"data": {"a": Var(T.LIST, items={"v": Var(T.STRING)})}, "id": {"name": Var(T.STRING, Privacy.PERSONAL)}})
    tmpl = compile_template("{% for x in (data.a if id.name == '张三' else []) %}{{ x }}{% endfor %}", scope)
    assert tmpl.spots[0][1].label.privacy == Privacy.PERSONAL


def test_a_list_that_is_not_a_list_at_run_time_is_an_evaluation_error_not_a_crash():
    with pytest.raises(EvalError):
        render("{% for d in data.deposits %}{{ d.month }}{% endfor %}", {"deposits": "2026-01"})


def test_an_a4_table_row_per_item_escapes_every_value(tmp_path):
    page = tmp_path / "cert.html"
    page.write_text("<table>{% for d in data.deposits %}<tr><td>{{ loop.index }}</td><td>{{ d.employer.name }}</td>"
                    "</tr>{% empty %}<tr><td>无</td></tr>{% endfor %}</table>", encoding="utf-8")
    tmpl, problems = load_template(page, SCOPE)
    assert problems == []
    doc = tmpl.render({"data": {"deposits": ROWS}}, "N1")
    assert "<tr><td>2</td><td>&lt;b&gt;乙&lt;/b&gt;</td></tr>" in doc.html
    assert "<b>" not in doc.html
    assert "无" in tmpl.render({"data": {"deposits": []}}, "N2").html


def test_a_receipt_repeats_the_lines_between_for_and_endfor(tmp_path):
    slip = tmp_path / "slip.receipt"
    slip.write_text("@center 缴存明细\n{% for d in data.deposits %}\n{{ loop.index }}. {{ d.month }}\n@right {{ d.amount }}\n"
                    "{% empty %}\n没有记录\n{% endfor %}\n@cut\n", encoding="utf-8")
    tmpl, problems = load_template(slip, SCOPE)
    assert problems == []
    lines = tmpl.render({"data": {"deposits": ROWS}}, "N1").text.splitlines()
    assert [x.strip() for x in lines if x.strip()][:5] == ["缴存明细", "1. 2026-01", "2200", "2. 2026-02", "2400.5"]
    assert "没有记录" in tmpl.render({"data": {"deposits": []}}, "N2").text


def test_a_receipt_loop_error_points_at_its_line_and_column(tmp_path):
    slip = tmp_path / "slip.receipt"
    slip.write_text("title\n{% for d in data.deposits %}\n  {{ d.mnth }}\n{% endfor %}\n", encoding="utf-8")
    _, problems = load_template(slip, SCOPE)
    assert [(p.line, p.col, p.rule) for p in problems] == [(3, 6, "expr/unknown-name")]
    assert "did you mean 'd.month'" in problems[0].message
    slip.write_text("title\n{% for d in data.deposits %}\n{{ d.month }}\n", encoding="utf-8")
    _, problems = load_template(slip, SCOPE)
    assert [(p.line, p.col, p.rule) for p in problems] == [(2, 1, "tmpl/loop")]


def test_nested_loops_cannot_multiply_past_the_row_budget():
    scope = Scope({"data": {"a": Var(T.LIST)}})
    tmpl = compile_template("{% for x in data.a %}{% for y in data.a %}{% for z in data.a %}.{% endfor %}"
                            "{% endfor %}{% endfor %}", scope)
    assert tmpl.render({"data": {"a": [1] * 12}}) == "." * 12 ** 3
    with pytest.raises(EvalError, match="rows"):
        tmpl.render({"data": {"a": list(range(400))}})


def test_a_loop_over_more_items_than_any_document_holds_is_refused():
    with pytest.raises(EvalError, match="more than 500 items"):
        render("{% for d in data.deposits %}.{% endfor %}", {"deposits": [{}] * 501})
