"""The privacy holes a flow author could walk through, each now a located lint error (and closed at load)."""
import os

import pytest

from kiosk.flow.bundle import check_paths, load_bundle
from tests.flow.lintkit import write_item

SERVICES = """\
format: 2
services:
  registry:
    operations:
      lookup: {method: POST, path: /lookup, idempotent: true, personal: [who]}
      search: {method: GET, path: /search, idempotent: true}
"""

HEAD = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 事项, en: Item}
category: demo
requires: [id_reader, receipt_printer, document_printer, ticket_dispenser]
locales: [zh-CN]
steps:
  - id: card
    kind: read_id_card
    timeout_s: 30
    next: {ok: look, timeout: bye, unreadable: bye, expired: bye, rejected: bye, error: bye}
  - id: look
    kind: call
    call: registry.lookup
    request: {who: "{{ id.id_number }}"}
    timeout_s: 5
    result: {count: {path: count, type: int}}
    next: {ok: show, timeout: bye, unavailable: bye, error: bye}
  - id: show
    kind: show_result
    title: {zh-CN: "{{ id.name }}，共 {{ data.count }} 条"}
    next: bye
"""
END = """\
  - id: bye
    kind: end
"""


def bundle(tmp_path, steps: str = "", files: dict | None = None, head: str = HEAD):
    return write_item(tmp_path, SERVICES, head + steps + END, files)


def lint(tmp_path, steps: str = "", files: dict | None = None, head: str = HEAD):
    bundle(tmp_path, steps, files, head)
    problems, count = check_paths([tmp_path])
    assert count == 1
    return problems


def only(problems, rule):
    found = [p for p in problems if p.rule == rule]
    assert found and all(p.rule == rule for p in problems), [str(p) for p in problems]
    return found


def test_the_base_flow_is_clean_and_loads(tmp_path):
    assert lint(tmp_path) == []
    assert "item" in load_bundle(tmp_path).flows


def screen_line(text: str) -> str:
    return HEAD.replace('title: {zh-CN: "{{ id.name }}，共 {{ data.count }} 条"}', f'title: {{zh-CN: "{text}"}}')


def test_reveal_on_an_ordinary_screen_is_refused_at_its_column(tmp_path):
    (p,) = only(lint(tmp_path, head=screen_line("号码 {{ reveal(id.id_number) }}")), "pii/reveal-on-screen")
    assert (p.line, p.col) == (22, 27)  # the `r` of reveal, inside the quoted title
    assert "item" not in load_bundle(tmp_path).flows  # and such a flow never runs


def test_reveal_true_on_a_result_item_is_refused(tmp_path):
    head = HEAD.replace("    next: bye\n", '    items: [{label: {zh-CN: 号码}, value: "{{ id.id_number }}", reveal: true}]\n'
                                          "    next: bye\n", 1)
    only(lint(tmp_path, head=head), "pii/reveal-on-screen")


@pytest.mark.parametrize("expr", [
    "'1' if matches(id.id_number, '.{5}1.*') else '0'",  # one digit at a time
    "mask(string(id.birth_date))",  # printed 1990**3-07, classed public
    "id.id_number[6]",
    "string(id.birth_date)",
    "id.gender",
])
def test_values_derived_from_personal_data_cannot_reach_a_screen(tmp_path, expr):
    (p,) = only(lint(tmp_path, head=screen_line("{{ " + expr + " }}")), "pii/derived-on-screen")
    assert (p.line, p.col) == (22, 24)


def test_masked_and_masking_values_are_fine_on_a_screen(tmp_path):
    assert lint(tmp_path, head=screen_line("{{ id.id_number }} {{ mask(id.id_number) }} {{ mask_name(id.name) }}")) == []


PRINT = """\
  - id: slip
    kind: print
    printer: receipt_printer
    document: slip
    timeout_s: 30
    next: {ok: bye, paper_out: bye, printer_error: bye, timeout: bye, error: bye}
"""


def with_print(printer="receipt_printer", document="slip", personal=False):
    step = PRINT.replace("receipt_printer", printer).replace("document: slip", f"document: {document}")
    if personal:
        step = step.replace("    timeout_s: 30\n", "    timeout_s: 30\n    personal: true\n")
    return HEAD.replace("    next: bye\n", "    next: slip\n", 1) + step


@pytest.mark.parametrize("line", ["{{ reveal(id.id_number) }}", "{{ id.id_number }}", "{{ mask(id.id_number) }}",
                                  "{{ id.name }}", "{{ len(id.name) }}"])
def test_a_receipt_carries_no_personal_data_masked_or_not(tmp_path, line):
    problems = lint(tmp_path, head=with_print(), files={"slip.receipt": f"@center 凭条\n证件：{line}\n@cut\n"})
    (p,) = only(problems, "pii/on-receipt")
    assert p.file.endswith("item/slip.receipt") and (p.line, p.col) == (2, 7)


def test_a_receipt_step_cannot_declare_personal_data(tmp_path):
    problems = lint(tmp_path, head=with_print(personal=True), files={"slip.receipt": "@center 凭条\n@cut\n"})
    (p,) = only(problems, "pii/on-receipt")
    assert p.file.endswith("flow.yaml") and p.path == "steps[3].personal"


CERT = "<h1>证明</h1>\n<p>{{ reveal(id.name) }} {{ id.id_number }}</p>\n"


def test_a_document_printing_personal_data_needs_its_step_to_say_so(tmp_path):
    problems = lint(tmp_path, head=with_print("document_printer", "cert"), files={"cert.html": CERT})
    found = only(problems, "pii/undeclared-document")
    assert [(p.line, p.col) for p in found] == [(2, 7), (2, 29)]
    assert "step slip" in found[0].message


def test_a_declared_document_reveals_and_masks_as_written(tmp_path):
    assert lint(tmp_path, head=with_print("document_printer", "cert", personal=True), files={"cert.html": CERT}) == []
    doc = load_bundle(tmp_path).flows["item"].documents["cert"]
    assert doc.may_reveal
    rendered = doc.render({"id": {"name": "王示例", "id_number": "11010519900307002X"}}, "N-1")
    assert "王示例" in rendered.html and "1101**********002X" in rendered.html


def test_an_idempotency_key_made_of_the_id_number_is_refused(tmp_path):
    ticket = """\
  - id: ticket
    kind: dispense_ticket
    category: A
    service_name: {zh-CN: 综合窗口}
    timeout_s: 30
    idempotency_key: "{{ id.id_number }}"
    next: {ok: bye, paper_out: bye, printer_error: bye, timeout: bye, error: bye}
"""
    head = HEAD.replace("    next: bye\n", "    next: ticket\n", 1)
    (p,) = only(lint(tmp_path, ticket, head=head), "pii/idempotency-key")
    assert (p.line, p.col) == (29, 26)


def test_a_ticket_service_name_carries_no_personal_data(tmp_path):
    ticket = """\
  - id: ticket
    kind: dispense_ticket
    category: A
    service_name: {zh-CN: "{{ id.name }} 的号"}
    timeout_s: 30
    next: {ok: bye, paper_out: bye, printer_error: bye, timeout: bye, error: bye}
"""
    only(lint(tmp_path, ticket, head=HEAD.replace("    next: bye\n", "    next: ticket\n", 1)), "pii/on-ticket")


def test_a_call_sending_personal_data_in_an_undeclared_field_is_refused(tmp_path):
    head = HEAD.replace('request: {who: "{{ id.id_number }}"}', 'request: {who: "x", note: "{{ id.name }}"}')
    (p,) = only(lint(tmp_path, head=head), "pii/undeclared-service")
    assert "'note'" in p.message and (p.line, p.col) == (16, 35)


def test_a_get_operation_refuses_personal_fields_in_its_query(tmp_path):
    head = HEAD.replace("call: registry.lookup", "call: registry.search")
    (p,) = only(lint(tmp_path, head=head), "pii/get-query")
    assert p.file.endswith("item/flow.yaml") and (p.line, p.col) == (16, 24)


def test_a_get_operation_cannot_declare_personal_fields(tmp_path):
    bundle(tmp_path)
    (tmp_path / "services.yaml").write_text(SERVICES.replace("path: /search,", "path: /search, personal: [who],"))
    problems = check_paths([tmp_path])[0]
    assert any(p.rule == "pii/get-query" and p.file.endswith("services.yaml") and p.line == 6 for p in problems)


def test_guards_may_read_personal_data(tmp_path):
    branch = """\
  - id: old
    kind: branch
    cases: [{when: "age(id.birth_date) >= 60", next: bye}]
    default: bye
"""
    assert lint(tmp_path, branch, head=HEAD.replace("    next: bye\n", "    next: old\n", 1)) == []


def test_a_symlinked_receipt_is_refused_in_lint_and_at_load(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:$6$hash\n")
    folder = bundle(tmp_path, files={}, head=with_print())
    os.symlink(secret, folder / "slip.receipt")
    problems = check_paths([tmp_path])[0]
    assert [p.rule for p in problems if p.rule.startswith("io/")] == ["io/symlink"]
    assert all("hash" not in p.message for p in problems)
    loaded = load_bundle(tmp_path)
    assert "item" not in loaded.flows and any(p.rule == "io/symlink" for p in loaded.problems)


def test_a_symlinked_flow_file_is_never_read(tmp_path):
    elsewhere = tmp_path.parent / (tmp_path.name + "-elsewhere.yaml")
    elsewhere.write_text("top: secret-value\n")
    folder = bundle(tmp_path)
    (folder / "flow.yaml").unlink()
    os.symlink(elsewhere, folder / "flow.yaml")
    problems, _ = check_paths([folder / "flow.yaml"])
    assert [p.rule for p in problems] == ["io/symlink"] and "secret-value" not in str(problems[0])
    loaded = load_bundle(tmp_path)
    assert not loaded.flows and not loaded.ok and all("secret-value" not in str(p) for p in loaded.problems)
