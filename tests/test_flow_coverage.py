"""`kiosk flows test` lists, per flow, the steps and branches no scenario reached, before the summary line."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "coverage"


def flows_test(path, cwd):
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "flows", "test", str(path)], cwd=cwd, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return r.returncode, r.stdout.splitlines()


def test_unreached_steps_and_outcomes_are_listed_with_their_lines(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    code, out = flows_test("b", tmp_path)
    assert code == 0
    assert out == [
        "PASS b/ask/flow.test.yaml:4 the citizen agrees and sees the count",
        "PASS b/ask/flow.test.yaml:14 the backend is down",
        "coverage ask: 7 of 8 steps, 6 of 10 outcomes reached; not reached:",
        "  b/ask/flow.yaml:13:25: outcome 'decline' of step 'hello' never taken",
        "  b/ask/flow.yaml:18:22: outcome 'timeout' of step 'card' never taken",
        "  b/ask/flow.yaml:25:22: outcome 'timeout' of step 'look' never taken",
        "  b/ask/flow.yaml:31:14: outcome 'default' of step 'many' never taken",
        "  b/ask/flow.yaml:36:9: step 'declined' never reached",
        "2 passed, 0 failed",
    ]


DECLINE = """\
  - name: the citizen declines
    steps:
      - action: decline
      - expect: {ended: cancelled}
"""


def test_a_scenario_that_takes_a_branch_removes_it_from_the_list(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "ask" / "flow.test.yaml"
    test.write_text(test.read_text() + DECLINE)
    code, out = flows_test("b", tmp_path)
    assert code == 0 and out[-1] == "3 passed, 0 failed"
    assert "coverage ask: 8 of 8 steps, 7 of 10 outcomes reached; not reached:" in out
    assert not [line for line in out if "'declined'" in line or "'decline'" in line]


def test_a_failing_run_keeps_the_summary_last(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "ask" / "flow.test.yaml"
    test.write_text(test.read_text().replace("text: 共 3 条", "text: 共 4 条"))
    code, out = flows_test("b", tmp_path)
    assert code == 1
    assert out[-1] == "1 passed, 1 failed"
    assert out[-2].endswith("step 'done' never reached")  # the failed scenario stopped before it


def test_every_shipped_item_has_at_least_five_scenarios():
    """Happy path, nothing found, backend down or slow, a device fault, a citizen's wrong turn: five at least."""
    from kiosk.flow.bundle import load_bundle
    from kiosk.flow.loader import load_file
    from kiosk.scenario.model import ScenarioFile

    bundle = load_bundle(ROOT / "flows")
    counts = {fid: 0 for fid, cf in bundle.flows.items() if cf.flow.listed}
    for test in (ROOT / "flows").rglob("*.test.yaml"):
        doc = load_file(test, ScenarioFile).doc
        counts[doc.flow] = counts.get(doc.flow, 0) + len(doc.scenarios)
    assert counts and {fid: n for fid, n in counts.items() if n < 5} == {}
