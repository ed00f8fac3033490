"""The linter: one located line per problem, the rule that fired, and a did-you-mean."""
import textwrap

from kiosk.flow.bundle import check_paths
from tests.flow.lintkit import lint_item

SERVICES = """\
format: 2
services:
  registry:
    operations:
      lookup: {method: POST, path: /lookup, idempotent: true, personal: [who]}
      submit: {method: POST, path: /submit, personal: [who]}
"""

HEAD = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 事项, en: Item}
category: demo
requires: [id_reader, receipt_printer]
"""


def lint(tmp_path, body: str, extra_files: dict | None = None):
    return lint_item(tmp_path, SERVICES, HEAD + textwrap.dedent(body), extra_files)


def rules(problems):
    return sorted({p.rule for p in problems})


GOOD = """\
steps:
  - id: card
    kind: read_id_card
    title: {zh-CN: 请刷卡, en: Place your card}
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
    title: {zh-CN: "共 {{ data.count }} 条", en: "{{ data.count }} records"}
    next: bye
  - id: bye
    kind: end
"""


def test_a_good_flow_has_no_problems(tmp_path):
    assert lint(tmp_path, GOOD) == []


def test_unknown_target_points_at_it_and_suggests(tmp_path):
    (p,) = lint(tmp_path, GOOD.replace("next: bye\n", "next: by\n"))
    assert p.rule == "ref/unknown-step"
    assert "did you mean 'bye'" in p.message
    assert (p.line, p.col) == (23, 11)
    assert str(p).startswith(f"{tmp_path}/item/flow.yaml:23:11: error[ref/unknown-step]:")


def test_duplicate_step_ids(tmp_path):
    body = GOOD + "  - id: bye\n    kind: end\n"
    assert "ref/duplicate-step" in rules(lint(tmp_path, body))


def test_unreachable_and_dead_end(tmp_path):
    body = GOOD + """\
  - id: orphan
    kind: notice
    title: {zh-CN: 孤儿, en: Orphan}
"""
    found = rules(lint(tmp_path, body))
    assert "graph/unreachable" in found and "graph/dead-end" in found


def test_wait_without_timeout_branch(tmp_path):
    body = GOOD.replace("next: {ok: look, timeout: bye,", "next: {ok: look,")
    assert rules(lint(tmp_path, body)) == ["timeout/missing-branch"]


def test_wait_without_timeout(tmp_path):
    body = GOOD.replace("    timeout_s: 30\n", "")
    assert "timeout/missing" in rules(lint(tmp_path, body))


def test_expression_errors_are_located_inside_the_string(tmp_path):
    body = GOOD.replace('{who: "{{ id.id_number }}"}', '{who: "{{ id.id_nubmer }}"}')
    (p,) = lint(tmp_path, body)
    assert p.rule == "expr/unknown-name"
    assert "id.id_number" in p.message
    assert (p.line, p.col) == (16, 24)  # the `i` of id.id_nubmer inside the quoted template


def test_missing_translation(tmp_path):
    body = GOOD.replace("title: {zh-CN: 请刷卡, en: Place your card}", "title: {zh-CN: 请刷卡}")
    (p,) = lint(tmp_path, body)
    assert p.rule == "i18n/missing-locale" and "en" in p.message


def test_unknown_service_and_operation(tmp_path):
    assert rules(lint(tmp_path, GOOD.replace("registry.lookup", "regsitry.lookup"))) == ["ref/unknown-service"]
    (p,) = lint(tmp_path, GOOD.replace("registry.lookup", "registry.lokup"))
    assert p.rule == "ref/unknown-operation" and "did you mean 'lookup'" in p.message


def test_unknown_device_is_a_schema_error_with_suggestion(tmp_path):
    (p,) = lint_requires(tmp_path)
    assert p.rule == "schema/enum" and "did you mean 'id_reader'" in p.message


def lint_requires(tmp_path):
    (tmp_path / "services.yaml").write_text(SERVICES)
    folder = tmp_path / "item"
    folder.mkdir(exist_ok=True)
    (folder / "flow.yaml").write_text(HEAD.replace("[id_reader,", "[id_raeder,") + GOOD)
    return check_paths([tmp_path])[0]


def test_retry_of_a_state_change_needs_an_idempotency_key(tmp_path):
    body = GOOD.replace("call: registry.lookup", "call: registry.submit").replace(
        "    timeout_s: 5\n", "    timeout_s: 5\n    retry: {max_attempts: 3}\n")
    assert rules(lint(tmp_path, body)) == ["retry/non-idempotent"]
    keyed = body.replace("    retry: {max_attempts: 3}\n",
                         "    retry: {max_attempts: 3}\n    idempotency_key: \"{{ session.id }}\"\n")
    assert lint(tmp_path, keyed) == []


def test_print_retry_needs_an_idempotency_key(tmp_path):
    body = GOOD.replace("    next: bye\n  - id: bye", """\
    next: slip
  - id: slip
    kind: print
    printer: receipt_printer
    document: slip
    timeout_s: 30
    retry: {max_attempts: 2, on: [paper_out]}
    next: {ok: bye, paper_out: bye, printer_error: bye, timeout: bye, error: bye}
  - id: bye""")
    problems = lint(tmp_path, body, {"slip.receipt": "@center {{ kiosk.name }}\n@cut\n"})
    assert rules(problems) == ["retry/non-idempotent"]


def test_a_step_using_a_device_the_flow_does_not_require(tmp_path):
    body = GOOD.replace("    next: bye\n  - id: bye", """\
    next: scan
  - id: scan
    kind: scan_code
    timeout_s: 30
    next: {ok: bye, timeout: bye, invalid: bye, error: bye}
  - id: bye""")
    assert rules(lint(tmp_path, body)) == ["device/not-required"]


def test_a_loop_without_the_citizen_is_refused(tmp_path):
    body = GOOD.replace("next: {ok: show, timeout: bye,", "next: {ok: again, timeout: bye,") + """\
  - id: again
    kind: branch
    cases: [{when: "data.count > 0", next: show}]
    default: look
"""
    assert rules(lint(tmp_path, body)) == ["graph/unbounded-cycle"]


def test_credentials_in_a_flow_are_refused(tmp_path):
    body = GOOD.replace('{who: "{{ id.id_number }}"}', '{who: "x", token: "Bearer abcdefghijkl"}')
    assert rules(lint(tmp_path, body)) == ["secret/literal"]


def test_binary_garbage_gives_one_clear_line(tmp_path):
    (tmp_path / "services.yaml").write_text(SERVICES)
    (tmp_path / "item").mkdir()
    (tmp_path / "item" / "flow.yaml").write_bytes(b"\x00\xff\xfe garbage \x89PNG")
    (p,) = check_paths([tmp_path])[0]
    assert p.rule == "yaml/encoding"
