"""Code tables: backends answer in codes; citizens read the code's text in their language."""
import shutil
import textwrap
from pathlib import Path

from kiosk.expr import codes
from kiosk.flow.bundle import load_bundle
from kiosk.scenario.runner import run_file
from tests.flow.lintkit import lint_item

FLOWS = Path(__file__).parents[2] / "flows"


def scenario_file(tmp_path, body: str) -> Path:
    root = tmp_path / "flows"
    shutil.copytree(FLOWS, root)
    path = root / "medical-insurance-query" / "codes.test.yaml"
    path.write_text("format: 2\nflow: medical-insurance-query\nscenarios:\n" + textwrap.indent(textwrap.dedent(body), "  "))
    return path


REPLY = '{{insured: {{status: {status}, kind: {kind}, since: "2009-01-01"}}, account: {{balance: 10}}}}'


def visit(name, locale, status, kind, expect):
    return f"""\
- name: {name}
  locale: {locale}
  stubs:
    - call: medical_insurance.info
      data: {REPLY.format(status=status, kind=kind)}
  steps:
    - card: {{name: 孙示例, id_number: "11010519491231002X"}}
    - action: agree
    - expect: {expect}
"""


def test_codes_show_as_text_in_each_locale_and_guards_still_see_codes(tmp_path):
    path = scenario_file(tmp_path, visit("en", "en", "正常参保", "城乡居民基本医疗保险",
                                         "{step: show, text: [Insured, Urban and rural resident basic medical "
                                         "insurance], no_text: [正常参保, 城乡居民]}")
                         + visit("zh", "zh-CN", "正常参保", "城乡居民基本医疗保险",
                                 "{step: show, text: [正常参保, 城乡居民基本医疗保险], no_text: Insured}"))
    outcomes = run_file(path, {})
    assert [(o.name, o.passed, o.message) for o in outcomes] == [("en", True, ""), ("zh", True, "")]


class Recorder:
    """The scenario runner captures each scenario's log itself (for its leak check), so record beside it."""

    def __init__(self):
        self.events = []

    def warning(self, event, **fields):
        self.events.append({"event": event, **fields})


def test_an_unknown_code_is_shown_as_sent_and_logged_once_without_personal_data(tmp_path, monkeypatch):
    path = scenario_file(tmp_path, visit("first", "en", "正常参保", "XNH_2009", "{step: show, text: [Insured, XNH_2009]}")
                         + visit("again", "zh-CN", "正常参保", "XNH_2009", "{step: show, text: XNH_2009}"))
    log = Recorder()
    monkeypatch.setattr(codes, "log", log)
    outcomes = run_file(path, {})  # the runner itself fails a scenario whose log holds the card's name or number
    assert [(o.passed, o.message) for o in outcomes] == [(True, ""), (True, "")]
    assert log.events == [{"event": "codes.unknown", "table": "medical_insurance.scheme", "code": "XNH_2009"}]


def test_a_code_on_a_printed_slip_is_the_text_for_the_locale(tmp_path):
    path = scenario_file(tmp_path, """\
        - name: English slip
          locale: en
          stubs:
            - call: medical_insurance.info
              data: {insured: {status: 暂停参保, kind: 职工基本医疗保险, since: "2009-01-01"}, account: {balance: -3.5}}
          steps:
            - card: {}
            - action: agree
            - choose: slip
            - expect: {step: take_slip, printed: {contains: [Suspended, "-¥3.50"]}}
        """)
    outcomes = run_file(path, {})
    assert [(o.passed, o.message) for o in outcomes] == [(True, "")]


SERVICES = """\
format: 2
services:
  registry:
    operations:
      lookup: {method: POST, path: /lookup, idempotent: true, personal: [who]}
    codes:
      status: {A: {zh-CN: 有效, en: Valid}}
"""

FLOW = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 事项, en: Item}
category: demo
requires: [id_reader]
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
    result:
      state: {path: state, codes: %s}
    next: {ok: show, timeout: bye, unavailable: bye, error: bye}
  - id: show
    kind: show_result
    title: {zh-CN: "{{ data.state }}", en: "{{ data.state }}"}
    next: bye
  - id: bye
    kind: end
"""


def lint(tmp_path, codes: str, services: str = SERVICES):
    return [(p.line, p.col, p.rule, p.message) for p in lint_item(tmp_path, services, FLOW % codes)]


def test_a_declared_table_loads(tmp_path):
    assert lint(tmp_path / "own", "status") == []
    assert lint(tmp_path / "named", "registry.status") == []


def test_a_missing_table_is_a_located_error_with_a_did_you_mean(tmp_path):
    assert lint(tmp_path, "stats") == [
        (18, 35, "ref/unknown-codes", "service 'registry' declares no code table 'stats' (did you mean 'status'?)")]


def test_a_table_of_a_missing_service_is_a_located_error(tmp_path):
    assert lint(tmp_path, "registy.status") == [
        (18, 35, "ref/unknown-codes", "no service 'registy' in services.yaml (did you mean 'registry'?)")]


def test_a_personal_field_cannot_be_a_code(tmp_path):
    """Unknown codes are logged, so a code table may only translate public values."""
    assert lint(tmp_path, "status, privacy: personal") == [
        (18, 35, "pii/personal-codes", "a personal field cannot be a code: code values are listed in services.yaml "
         "and logged when unknown, so they are public")]


def test_a_code_without_an_english_text_is_a_located_error(tmp_path):
    services = SERVICES.replace("{A: {zh-CN: 有效, en: Valid}}", "{A: {zh-CN: 有效, en: Valid}, B: {zh-CN: 无效}}")
    problems = lint(tmp_path, "status", services)
    assert (7, 46, "i18n/missing-locale", "code 'B' of registry.status has no en text") in problems


def test_the_shipped_services_translate_every_code_the_demo_backend_sends():
    """English screens show English: every code value the demo data answers with is in a table."""
    from kiosk.demo.data import load_demo

    bundle = load_bundle(FLOWS)
    coded = {}
    for flow in bundle.flows.values():
        for step in flow.flow.steps:
            if step.kind == "call":
                for name, r in step.result.items():
                    if r.codes:
                        coded.setdefault(step.call, {})[r.path] = r.codes
    assert coded, "no result field names a code table"
    demo = load_demo(FLOWS, bundle.catalog)
    assert demo.problems == []
    checked = 0
    for ref, fields in coded.items():
        answers = demo.operations[ref]
        for reply in [*answers.by_id.values(), answers.others]:
            if not reply.ok:
                continue
            for path, table in fields.items():
                node = reply.data
                for part in path.split("."):
                    node = node[part]
                service = ref.split(".")[0]
                texts = bundle.catalog.services[service].codes[table]
                assert node in texts and texts[node].get("en"), (ref, path, node)
                checked += 1
    assert checked >= len(coded)
