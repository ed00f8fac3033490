"""English all the way: an English scenario fails where a Chinese value reaches the screen untranslated."""
from kiosk.scenario.runner import run_file
from tests.flow.test_code_tables import REPLY, scenario_file


def english_visit(status: str) -> str:
    return f"""\
- name: an English reader
  locale: en
  stubs:
    - call: medical_insurance.info
      data: {REPLY.format(status=status, kind="职工基本医疗保险")}
  steps:
    - card: {{name: 孙示例, id_number: "11010519491231002X"}}
    - action: agree
    - action: done
    - expect: {{ended: completed}}
"""


def test_a_code_value_no_table_translates_fails_the_english_scenario_with_its_place(tmp_path):
    (outcome,) = run_file(scenario_file(tmp_path, english_visit("冻结参保")), {})  # not in the status table
    assert not outcome.passed
    assert "untranslated '冻结参保'" in outcome.message and "step 'show'" in outcome.message
    assert "item 1 value" in outcome.message or "value (" in outcome.message
    assert outcome.line == 11  # the scenario step after which it was drawn: `action: agree`


def test_translated_codes_and_the_citizens_own_masked_name_pass(tmp_path):
    (outcome,) = run_file(scenario_file(tmp_path, english_visit("正常参保")), {})
    assert outcome.passed, outcome.message


def test_a_flow_text_without_english_fails_too(tmp_path):
    path = scenario_file(tmp_path, english_visit("正常参保"))
    flow = path.parent / "flow.yaml"
    flow.write_text(flow.read_text().replace("en: Your medical insurance", "en: 您的医保 Your medical insurance"))
    (outcome,) = run_file(path, {})
    assert not outcome.passed and "'您的医保'" in outcome.message and "title" in outcome.message
