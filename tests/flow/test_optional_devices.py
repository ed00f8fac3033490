"""Optional devices: a fallback slip never makes an item unavailable, and tests start where a citizen could."""
import datetime as dt
import shutil
from pathlib import Path

from devices.status import Reason, Status
from kiosk.availability import availability
from kiosk.flow.bundle import load_bundle
from kiosk.scenario.runner import run_file
from tests.flow.lintkit import lint_item

ROOT = Path(__file__).resolve().parents[2]
SERVICES = "format: 2\nservices:\n  registry:\n    operations:\n      lookup: {path: /lookup, idempotent: true}\n"
FLOW = """\
format: 2
id: item
version: 1.0.0
title: {zh-CN: 事项, en: Item}
category: demo
requires: [id_reader]
optional: [receipt_printer]
steps:
  - id: card
    kind: read_id_card
    timeout_s: 30
    next: {ok: slip, timeout: bye, unreadable: bye, expired: bye, rejected: bye, error: bye}
  - id: slip
    kind: print
    printer: receipt_printer
    document: slip
    timeout_s: 30
    next: {ok: bye, paper_out: bye, printer_error: bye, timeout: bye, error: bye}
  - id: bye
    kind: end
"""
OK = Status.from_reasons(set())
MONDAY_10 = dt.datetime(2026, 3, 2, 10, 0)


def lint(tmp_path, text: str):
    return lint_item(tmp_path, SERVICES, text, {"slip.receipt": "@center {{ kiosk.name }}\n@cut\n"})


def test_a_step_on_an_optional_device_that_routes_its_absence_is_clean(tmp_path):
    assert lint(tmp_path, FLOW) == []


def test_a_device_neither_required_nor_optional_is_an_error_at_the_step(tmp_path):
    (p,) = lint(tmp_path, FLOW.replace("optional: [receipt_printer]\n", ""))
    assert (p.line, p.col, p.rule) == (13, 11, "device/not-required")
    assert p.message == "step 'slip' uses the receipt_printer but the flow lists it in neither `requires` nor `optional`"
    assert str(p).startswith(f"{tmp_path}/item/flow.yaml:13:11: error[device/not-required]:")


def test_an_optional_device_step_must_route_the_device_being_unavailable_itself(tmp_path):
    """on_error ends in an apology: a slip that cannot print must not fail a visit that already succeeded."""
    text = FLOW.replace("steps:\n", "on_error: bye\nsteps:\n").replace(
        "printer_error: bye, timeout: bye, error: bye}", "timeout: bye}")
    (p,) = lint(tmp_path, text)
    assert (p.line, p.col, p.rule) == (19, 11, "device/optional-unrouted")
    assert p.message == ("step 'slip' leaves 'printer_error', 'error' to the flow's on_error; the receipt_printer "
                         "is optional, so route each to a step that goes on without it")


def test_without_a_catch_all_an_unrouted_optional_device_is_one_dead_end_not_two_errors(tmp_path):
    (p,) = lint(tmp_path, FLOW.replace(", error: bye}\n  - id: bye", "}\n  - id: bye"))
    assert (p.line, p.rule) == (13, "graph/dead-end")


def test_a_device_both_required_and_optional_is_an_error(tmp_path):
    (p,) = lint(tmp_path, FLOW.replace("requires: [id_reader]", "requires: [id_reader, receipt_printer]"))
    assert (p.line, p.col, p.rule) == (7, 12, "device/required-and-optional")


def test_an_optional_device_no_step_uses_is_a_warning(tmp_path):
    (p,) = lint(tmp_path, FLOW.replace("optional: [receipt_printer]", "optional: [receipt_printer, code_scanner]"))
    assert (p.line, p.col, p.rule, p.severity) == (7, 29, "device/unused", "warning")


def test_shipped_items_with_a_slip_stay_available_when_only_the_slip_printer_is_out():
    bundle = load_bundle(ROOT / "flows")
    out = Status.from_reasons({Reason.PAPER_OUT})
    statuses = {"id_reader": OK, "document_printer": OK, "receipt_printer": out}
    for item in ("housing-fund-query", "medical-insurance-query", "no-criminal-record", "one-thing-job-change"):
        assert availability(bundle.flows[item].flow, statuses, MONDAY_10).available, item
    a = availability(bundle.flows["housing-fund-query"].flow, dict(statuses, id_reader=out), MONDAY_10)
    assert not a.available and a.reasons() == ["id_reader:paper_out"]


SCENARIO = """\
format: 2
flow: housing-fund-query
scenarios:
  - name: the slip printer is out before the visit
    devices: {DEVICES}
    stubs:
      - call: housing_fund.account
        data: {account: {status: 正常缴存, employer: 示例单位, last_deposit: "2026-02-15", balance: 100}}
    steps:
      - card: {}
      - action: agree
      - choose: slip
      - expect: {step: no_slip, text: 凭条打印机暂时无法使用, not_printed: true}
      - action: ok
      - expect: {ended: completed}
"""


def run_scenario(tmp_path, text: str):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    test = tmp_path / "flows" / "housing-fund-query" / "flow.test.yaml"
    test.write_text(text)
    (outcome,) = run_file(test, {})
    return outcome


def test_an_optional_device_down_at_the_start_takes_the_fallback_route(tmp_path):
    outcome = run_scenario(tmp_path, SCENARIO.replace("{DEVICES}", "{receipt_printer: [paper_out]}"))
    assert outcome.passed, outcome.message


def test_a_scenario_starting_where_the_home_screen_refuses_the_item_is_an_error(tmp_path):
    outcome = run_scenario(tmp_path, SCENARIO.replace("{DEVICES}", "{id_reader: [unplug]}"))
    assert (outcome.passed, outcome.line) == (False, 5)
    assert outcome.message == ("the home screen would not offer this item (id_reader:no_device); inject the fault "
                               "with a `fault:` step once the visit is under way, or declare `mid_visit: true`")


def test_a_scenario_declared_mid_visit_may_start_with_a_required_device_down(tmp_path):
    text = SCENARIO.replace("{DEVICES}", "{id_reader: [unplug]}\n    mid_visit: true").replace(
        """      - card: {}
      - action: agree
      - choose: slip
      - expect: {step: no_slip, text: 凭条打印机暂时无法使用, not_printed: true}
      - action: ok
      - expect: {ended: completed}
""", "      - expect: {step: sorry}\n")
    text = text.replace("""    stubs:
      - call: housing_fund.account
        data: {account: {status: 正常缴存, employer: 示例单位, last_deposit: "2026-02-15", balance: 100}}
""", "")
    outcome = run_scenario(tmp_path, text)
    assert outcome.passed, outcome.message
