"""One deliberately broken flow per message: the exact line, column, rule and text an integrator reads.

Each case breaks one line of a flow that checks clean and expects exactly one
problem back, pointing at the field that is wrong and suggesting a name from
that field's own mapping, never a knock-on error or a name from elsewhere.
"""
import shutil
from pathlib import Path

import pytest

from tests.flow.lintkit import lint_item

COVERAGE_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "coverage"

SERVICES = """\
format: 2
services:
  registry:
    operations:
      lookup: {method: POST, path: /lookup, idempotent: true, personal: [who]}
"""

GOOD = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 事项, en: Item}
category: demo
requires: [id_reader, receipt_printer]
on_error: sorry
steps:
  - id: card
    kind: read_id_card
    title: {zh-CN: 请刷卡, en: Place your card}
    timeout_s: 30
    next: {ok: ask, timeout: bye}
  - id: ask
    kind: form
    fields:
      - name: phone
        label: {zh-CN: 电话, en: Phone}
        type: phone
        privacy: personal
    next: look
  - id: look
    kind: call
    call: registry.lookup
    request: {who: "{{ id.id_number }}"}
    timeout_s: 5
    retry: {max_attempts: 2, backoff_s: 1}
    result:
      total:
        path: records.total
        type: number
        privacy: public
    next: {ok: show, timeout: sorry}
  - id: show
    kind: show_result
    title: {zh-CN: 结果, en: Result}
    next: slip
  - id: slip
    kind: print
    printer: receipt_printer
    document: slip
    timeout_s: 30
    next: {ok: step_a, timeout: sorry}
  - id: step_a
    kind: notice
    title: {zh-CN: 一, en: One}
    next: step_b
  - id: step_b
    kind: notice
    title: {zh-CN: 二, en: Two}
    next: step_c
  - id: step_c
    kind: notice
    title: {zh-CN: 三, en: Three}
    next: bye
  - id: sorry
    kind: end
    result: failed
  - id: bye
    kind: end
"""


def check(tmp_path, old: str, new: str):
    assert GOOD.count(old) == 1, f"{old!r} must pick one place in the flow"
    problems = lint_item(tmp_path, SERVICES, GOOD.replace(old, new), {"slip.receipt": "slip\n"})
    return [(p.line, p.col, p.rule, p.message) for p in problems]


def test_the_unbroken_flow_checks_clean(tmp_path):
    assert check(tmp_path, "format: 2\nid: item", "format: 2\nid: item") == []


CASES = {
    "call result: misspelt path": (
        "        path: records.total", "        pth: records.total",
        (30, 9, "schema/extra-forbidden", "steps[2].result.total.pth: unknown field 'pth' (did you mean 'path'?)")),
    "call result: misspelt type value": (
        "        type: number", "        type: numbr",
        (31, 15, "schema/literal-error", "steps[2].result.total.type: 'numbr' is not allowed; expected 'string', "
         "'int', 'number', 'bool', 'date', 'list' or 'map' (did you mean 'number'?)")),
    "call result: misspelt privacy": (
        "        privacy: public", "        privcy: public",
        (32, 9, "schema/extra-forbidden",
         "steps[2].result.total.privcy: unknown field 'privcy' (did you mean 'privacy'?)")),
    "call result: a name from another mapping is not suggested": (
        "        privacy: public", "        label: public",
        (32, 9, "schema/extra-forbidden",
         "steps[2].result.total.label: unknown field 'label'; allowed here: path, type, privacy, required, items, "
         "fields, codes")),
    "call step: misspelt timeout_s": (
        "    timeout_s: 5\n", "    timout_s: 5\n",
        (26, 5, "schema/extra-forbidden", "steps[2].timout_s: unknown field 'timout_s' (did you mean 'timeout_s'?)")),
    "call step: misspelt max_attempts": (
        "{max_attempts: 2,", "{max_attempt: 2,",
        (27, 13, "schema/extra-forbidden",
         "steps[2].retry.max_attempt: unknown field 'max_attempt' (did you mean 'max_attempts'?)")),
    "call step: malformed operation": (
        "    call: registry.lookup", "    call: registry",
        (24, 11, "schema/string-pattern-mismatch",
         "steps[2].call: 'registry' is not service.operation, as declared in services.yaml (e.g. registry.lookup)")),
    "call step: no operation": (
        "    call: registry.lookup\n", "",
        (22, 5, "schema/missing", "steps[2]: missing required field 'call'")),
    "form field: misspelt privacy": (
        "        privacy: personal", "        privcy: personal",
        (20, 9, "schema/extra-forbidden",
         "steps[1].fields[0].privcy: unknown field 'privcy' (did you mean 'privacy'?)")),
    "form field: misspelt type value": (
        "        type: phone", "        type: phnoe",
        (19, 15, "schema/enum", "steps[1].fields[0].type: 'phnoe' is not allowed; expected 'text', 'name', "
         "'address', 'digits', 'phone', 'id_number', 'date' or 'choice' (did you mean 'phone'?)")),
    "print step: misspelt printer": (
        "    printer: receipt_printer", "    printer: receipt_priner",
        (40, 14, "schema/literal-error", "steps[4].printer: 'receipt_priner' is not allowed; expected "
         "'document_printer' or 'receipt_printer' (did you mean 'receipt_printer'?)")),
    "unknown step kind": (
        "    kind: show_result", "    kind: show_reslt",
        (35, 11, "schema/union-tag-invalid", "steps[3]: unknown step kind 'show_reslt' (did you mean "
         "'show_result'?); one of notice, choice, form, read_id_card, scan_code, call, branch, show_result, print, "
         "dispense_ticket, video_help, subflow, end")),
    "locale key in a step title": (
        "{zh-CN: 结果, en: Result}", "{zh-CN: 结果, en-US: Result}",
        (36, 24, "schema/literal-error",
         "steps[3].title: unknown locale 'en-US' (did you mean 'en'?); one of zh-CN, en")),
    "locale key in the flow title": (
        "title: {zh-CN: 事项, en: Item}", "title: {zh-CN: 事项, EN: Item}",
        (4, 20, "schema/literal-error", "title: unknown locale 'EN' (did you mean 'en'?); one of zh-CN, en")),
    "a next target that is not an id": (
        "    next: {ok: show, timeout: sorry}", "    next: {ok: Show, timeout: sorry}",
        (33, 16, "schema/string-pattern-mismatch", "steps[2].next.ok: 'Show' is not an id (a lowercase letter, "
         "then up to 47 lowercase letters, digits or _)")),
    "a next that is neither a step id nor a mapping": (
        "    next: slip\n", "    next: [slip]\n",
        (37, 11, "schema/union", "steps[3].next: expected a text or a mapping, got ['slip']")),
    "a backend error code that is not a code, reported at the key": (
        "    retry: {max_attempts", "    errors: {NotFound: sorry}\n    retry: {max_attempts",
        (27, 14, "schema/string-pattern-mismatch",
         "steps[2].errors: key 'NotFound' is not an error code (lowercase letters, digits or _)")),
    "a locale value": (
        "on_error: sorry\n", "on_error: sorry\nlocales: [zh-CN, en_us]\n",
        (8, 18, "schema/literal-error", "locales[1]: 'en_us' is not allowed; expected 'zh-CN' or 'en' "
         "(did you mean 'en'?)")),
    "one broken next target, one error": (
        "    next: {ok: step_a, timeout: sorry}", "    next: {ok: stepa, timeout: sorry}",
        (43, 16, "ref/unknown-step", "no step 'stepa' (did you mean 'step_a'?)")),
    "one broken next target without a close match, one error": (
        "    next: {ok: step_a, timeout: sorry}", "    next: {ok: elsewhere, timeout: sorry}",
        (43, 16, "ref/unknown-step", "no step 'elsewhere'")),
    "misspelt device role": (
        "requires: [id_reader, receipt_printer]", "requires: [id_reader, receipt_priner]",
        (6, 23, "schema/enum", "requires[1]: 'receipt_priner' is not allowed; expected 'id_reader', "
         "'code_scanner', 'receipt_printer', 'document_printer', 'ticket_dispenser' or 'help_panel' "
         "(did you mean 'receipt_printer'?)")),
}


@pytest.mark.parametrize("old,new,expected", CASES.values(), ids=CASES.keys())
def test_one_broken_line_gives_one_located_message(tmp_path, old, new, expected):
    assert check(tmp_path, old, new) == [expected]


def test_a_real_unreachable_step_is_still_reported(tmp_path):
    problems = check(tmp_path, "    next: step_c\n", "    next: bye\n")
    assert problems == [(52, 9, "graph/unreachable", "step 'step_c' can never be reached")]


REFUSED = """\
format: 2
flow: ask
scenarios:
  - name: a choice on a consent notice
    steps:
      - choose: yes_please
"""


def test_a_refused_test_action_names_the_step_the_action_and_what_the_step_takes(tmp_path):
    from kiosk.scenario.runner import run_file

    shutil.copytree(COVERAGE_FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "ask" / "flow.test.yaml"
    test.write_text(REFUSED)
    (outcome,) = run_file(test, {})
    assert (outcome.passed, outcome.line) == (False, 6)
    assert outcome.message == (
        "the engine refused `choose: yes_please` at step 'hello' (a notice step): not possible on a notice step; "
        "it accepts action: agree | decline; action: back | cancel | extend | help | home | set_elderly | set_locale")


def test_a_refused_submit_names_the_form_fields_and_never_their_values(tmp_path):
    from kiosk.scenario.runner import run_file

    shutil.copytree(COVERAGE_FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "ask" / "flow.test.yaml"
    test.write_text(REFUSED.replace("choose: yes_please", "submit: {phone: '13800001111'}"))
    (outcome,) = run_file(test, {})
    assert outcome.message.startswith("the engine refused `submit: {phone}` at step 'hello' (a notice step)")
    assert "13800001111" not in outcome.message


@pytest.mark.parametrize("step,message", [
    ("expect: {txt: 授权}", "unknown expectation 'txt' (did you mean 'text'?)"),
    ("chose: agree", "unknown scenario step 'chose' (did you mean 'choose'?)"),
])
def test_a_misspelt_scenario_key_gets_a_did_you_mean(tmp_path, step, message):
    from kiosk.scenario.runner import run_file

    shutil.copytree(COVERAGE_FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "ask" / "flow.test.yaml"
    test.write_text(REFUSED.replace("choose: yes_please", step))
    (outcome,) = run_file(test, {})
    assert (outcome.passed, outcome.line, outcome.message) == (False, 6, message)


TEXT = "{zh-CN: 字, en: Text}"
EVERY_KIND = {  # kind -> (the rest of a minimal valid step, a field of its own, that field misspelt)
    "notice": ("", "consent", "consnet"),
    "choice": (f"options: [{{id: a, label: {TEXT}}}]", "options", "optoins"),
    "form": (f"fields: [{{name: a, label: {TEXT}}}]", "fields", "feilds"),
    "read_id_card": ("", "check_expiry", "check_expirey"),
    "scan_code": ("", "pattern", "patern"),
    "call": ("call: registry.lookup", "idempotency_key", "idempotency_kee"),
    "branch": ("cases: [{when: 'true', next: s}]\n    default: s", "default", "defualt"),
    "show_result": ("", "items", "itmes"),
    "print": ("printer: receipt_printer\n    document: slip", "copies", "copeis"),
    "dispense_ticket": (f"category: A\n    service_name: {TEXT}", "service_name", "service_nmae"),
    "video_help": ("", "speak", "speek"),
    "subflow": ("flow: other-item", "flow", "flwo"),
    "end": ("", "result", "reslt"),
}


def schema_only(text: str):
    from kiosk.flow.loader import load_bytes
    from kiosk.flow.problems import ProblemsError

    with pytest.raises(ProblemsError) as exc:
        load_bytes(text.encode(), "flow.yaml")
    return [(p.line, p.col, p.rule, p.message) for p in exc.value.problems]


@pytest.mark.parametrize("kind", EVERY_KIND)
@pytest.mark.parametrize("own", [False, True], ids=["timeout_s", "own-field"])
def test_every_step_kind_names_its_misspelt_field(kind, own):
    rest, field, typo = EVERY_KIND[kind]
    field, typo = (field, typo) if own else ("timeout_s", "timout_s")
    head = GOOD.split("steps:")[0] + "steps:\n"
    body = f"  - id: s\n    kind: {kind}\n" + (f"    {rest}\n" if rest else "") + f"    {typo}: 1\n"
    line = (head + body).count("\n")
    assert schema_only(head + body) == [
        (line, 5, "schema/extra-forbidden", f"steps[0].{typo}: unknown field {typo!r} (did you mean {field!r}?)")]
