"""Lists from a backend reply, end to end: declared items, show_result rows, documents, lint and privacy."""
import pytest

from kiosk.flow.bundle import check_paths
from kiosk.scenario.runner import run_file
from tests.flow.lintkit import write_item

SERVICES = """\
format: 2
services:
  fund:
    operations:
      deposits: {method: POST, path: /deposits, idempotent: true, personal: [who]}
"""

FLOW = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 缴存明细, en: Deposits}
category: demo
requires: [id_reader, receipt_printer]
locales: [zh-CN]
on_error: sorry
steps:
  - id: card
    kind: read_id_card
    timeout_s: 30
    next: {ok: look, timeout: bye}
  - id: look
    kind: call
    call: fund.deposits
    request: {who: "{{ id.id_number }}"}
    timeout_s: 5
    result:
      deposits:
        path: months
        type: list
        items:
          month: {path: month, type: string}
          amount: {path: amount, type: number}
          employer:
            path: employer
            type: map
            fields: {name: {path: name, type: string}}
      owners:
        path: owners
        type: list
        privacy: personal
        required: false
        items: {name: {path: name, type: string}}
    next: {ok: show, timeout: sorry}
  - id: show
    kind: show_result
    title: {zh-CN: 缴存明细}
    items:
      - for_each: d in data.deposits
        label: {zh-CN: "{{ loop.index }}. {{ d.month }}"}
        value: "{{ d.amount }} {{ d.employer.name }}"
        empty: {zh-CN: 没有缴存记录}
    next: slip
  - id: slip
    kind: print
    printer: receipt_printer
    document: slip
    timeout_s: 30
    next: {ok: bye, timeout: sorry}
  - id: sorry
    kind: end
    result: failed
  - id: bye
    kind: end
"""
SLIP = "@center 缴存明细\n{% for d in data.deposits %}\n{{ loop.index }} {{ d.month }} {{ d.amount }}\n{% endfor %}\n@cut\n"


def bundle(tmp_path, flow: str = FLOW, slip: str = SLIP):
    return write_item(tmp_path, SERVICES, flow, {"slip.receipt": slip})


def lint(tmp_path, flow: str = FLOW, slip: str = SLIP):
    folder = bundle(tmp_path, flow, slip)
    problems, _ = check_paths([tmp_path])
    return [(p.file.replace(str(folder) + "/", ""), p.line, p.col, p.rule, p.message) for p in problems]


def test_the_list_flow_checks_clean(tmp_path):
    assert lint(tmp_path) == []


def test_a_misspelt_item_field_on_screen_is_located_with_a_did_you_mean(tmp_path):
    flow = FLOW.replace('value: "{{ d.amount }}', 'value: "{{ d.amont }}')
    assert lint(tmp_path, flow) == [("flow.yaml", 43, 20, "expr/unknown-name",
                                     "unknown name 'd.amont' (did you mean 'd.amount'?)")]


def test_a_misspelt_item_field_on_a_receipt_is_located_with_a_did_you_mean(tmp_path):
    assert lint(tmp_path, slip=SLIP.replace("{{ d.amount }}", "{{ d.amont }}")) == [
        ("slip.receipt", 3, 35, "expr/unknown-name", "unknown name 'd.amont' (did you mean 'd.amount'?)")]


def test_a_misspelt_list_in_for_each_is_located(tmp_path):
    flow = FLOW.replace("for_each: d in data.deposits", "for_each: d in data.deposit")
    assert lint(tmp_path, flow) == [("flow.yaml", 41, 24, "expr/unknown-name",
                                     "unknown name 'data.deposit' (did you mean 'data.deposits'?)")]


def test_items_on_a_value_that_is_not_a_list_is_an_error(tmp_path):
    flow = FLOW.replace("        path: months\n        type: list\n", "        path: months\n        type: string\n")
    problems = lint(tmp_path, flow)
    assert ("flow.yaml", 23, 9, "result/shape",
            "`items:` describes a list, but 'deposits' has type string; add `type: list`") in problems


def test_a_loop_over_personal_data_on_a_receipt_is_a_pii_error(tmp_path):
    slip = SLIP + "{% for o in data.owners %}\n{{ o.name }}\n{% endfor %}\n"
    assert lint(tmp_path, slip=slip) == [
        ("slip.receipt", 7, 4, "pii/on-receipt",
         "'o.name' is personal; a receipt is left behind in trays and carries no personal data, masked or not")]


def test_a_personal_item_on_screen_must_be_shown_masked(tmp_path):
    flow = FLOW.replace("      - for_each: d in data.deposits",
                        "      - for_each: o in data.owners\n"
                        "        label: {zh-CN: 权利人}\n"
                        "        value: \"{{ string(o.name) + '!' }}\"\n"
                        "      - for_each: d in data.deposits")
    (problem,) = lint(tmp_path, flow)
    assert problem[1:4] == (43, 20, "pii/derived-on-screen")


SCENARIOS = """\
format: 2
flow: item
scenarios:
  - name: a row per deposit on screen and on the slip
    stubs:
      - call: fund.deposits
        data: {months: [{month: 2026-01, amount: 2200, employer: {name: 甲}}, {month: 2026-02, amount: 2400.5, employer: {name: 乙}}, {month: 2026-03, amount: 1980.25, employer: {name: 丙}}]}
    steps:
      - card: {}
      - expect: {step: show, text: ["1. 2026-01", "2200 甲", "3. 2026-03", "1980.25 丙"], no_text: 没有缴存记录}
      - action: done
      - expect: {printed: {contains: ["1 2026-01 2200", "2 2026-02 2400.5", "3 2026-03 1980.25"]}}
  - name: no deposits is one row that says so
    stubs:
      - call: fund.deposits
        data: {months: []}
    steps:
      - card: {}
      - expect: {step: show, text: 没有缴存记录}
  - name: an item without its amount takes the error branch
    stubs:
      - call: fund.deposits
        data: {months: [{month: 2026-01, amount: 2200, employer: {name: 甲}}, {month: 2026-02, employer: {name: 乙}}]}
    steps:
      - card: {}
      - expect: {ended: failed}
  - name: an item of the wrong type takes the error branch
    stubs:
      - call: fund.deposits
        data: {months: [{month: 2026-01, amount: "2200", employer: {name: 甲}}]}
    steps:
      - card: {}
      - expect: {ended: failed}
  - name: an item that is not a record takes the error branch
    stubs:
      - call: fund.deposits
        data: {months: ["2026-01"]}
    steps:
      - card: {}
      - expect: {ended: failed}
  - name: a nested map field of the wrong type takes the error branch
    stubs:
      - call: fund.deposits
        data: {months: [{month: 2026-01, amount: 1, employer: {name: 7}}]}
    steps:
      - card: {}
      - expect: {ended: failed}
"""


def test_show_result_rows_slips_and_malformed_items_in_scenarios(tmp_path):
    folder = bundle(tmp_path)
    (folder / "flow.test.yaml").write_text(SCENARIOS)
    outcomes = run_file(folder / "flow.test.yaml", {})
    assert [(o.name, o.passed, o.message) for o in outcomes if not o.passed] == []
    assert len(outcomes) == 6


def test_a_malformed_item_is_traced_by_its_path_never_its_value(tmp_path):
    from kiosk.engine.results import _call

    class Trace:
        def __init__(self):
            self.entries = []

        def add(self, kind, **fields):
            self.entries.append((kind, fields))

    class Session:
        trace = Trace()
        vars = {"data": {}}

    from kiosk.flow import model
    step = model.Call.model_validate({"id": "look", "kind": "call", "call": "fund.deposits", "result": {
        "deposits": {"path": "months", "type": "list", "items": {"amount": {"path": "amount", "type": "number"}}}}})
    s = Session()
    assert _call(s, step, {"months": [{"amount": 1}, {"amount": "secret-2200"}]}) == "error"
    assert s.trace.entries == [("bad_reply", {"step": "look", "field": "deposits[1].amount", "problem": "not number"})]
    assert s.vars["data"] == {}
    assert _call(s, step, {"months": [{"amount": 1, "extra": "dropped"}]}) == "ok"
    assert s.vars["data"] == {"deposits": [{"amount": 1}]}


@pytest.mark.parametrize("old,new,expected", [
    ("      - for_each: d in data.deposits", "      - for_eech: d in data.deposits",
     (41, 9, "schema/extra-forbidden", "steps[2].items[0].for_eech: unknown field 'for_eech' (did you mean 'for_each'?)")),
    ("        items:\n          month", "        itmes:\n          month",
     (23, 9, "schema/extra-forbidden", "steps[1].result.deposits.itmes: unknown field 'itmes' (did you mean 'items'?)")),
    ("          amount: {path: amount, type: number}", "          amount: {pth: amount, type: number}",
     (25, 20, "schema/extra-forbidden",
      "steps[1].result.deposits.items.amount.pth: unknown field 'pth' (did you mean 'path'?)")),
    ("      - for_each: d in data.deposits", "      - for_each: data.deposits",
     (41, 19, "schema/string-pattern-mismatch",
      "steps[2].items[0].for_each: 'data.deposits' is not 'name in list', like 'p in data.properties'")),
    ("        empty: {zh-CN: 没有缴存记录}\n", "        empty: {zh-CN: 没有缴存记录}\n      - label: {zh-CN: 无}\n"
     "        value: x\n        empty: {zh-CN: 无}\n",
     (47, 9, "tmpl/loop", "`empty:` belongs to a `for_each:` item")),
], ids=["for_each", "items", "item path", "for_each without a name", "empty without for_each"])
def test_a_misspelt_list_declaration_is_one_located_message(tmp_path, old, new, expected):
    assert FLOW.count(old) == 1
    assert [p[1:] for p in lint(tmp_path, FLOW.replace(old, new))] == [expected]
