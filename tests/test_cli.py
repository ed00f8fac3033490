"""The integrator's command line, run as a real process: exit codes and output shapes."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "bundle"


def kiosk(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_check_passes_the_shipped_flows():
    r = kiosk("flows", "check", "flows/")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ""


def test_check_reports_one_line_per_problem_and_exits_1(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    flow = tmp_path / "b" / "print-slip" / "flow.yaml"
    flow.write_text(flow.read_text().replace("next: {ok: done,", "next: {ok: dnoe,"))
    r = kiosk("flows", "check", tmp_path / "b")
    assert r.returncode == 1
    (line,) = [x for x in r.stdout.splitlines() if "print-slip" in x and "unknown-step" in x]
    assert "one-thing/flow.yaml:15:11: error[ref/broken-flow]" in r.stdout  # the bundle that uses it
    assert line.endswith("error[ref/unknown-step]: no step 'dnoe' (did you mean 'done'?)")
    assert ":25:16:" in line


def test_check_survives_binary_garbage(tmp_path):
    bad = tmp_path / "x.flow.yaml"
    bad.write_bytes(os.urandom(4096))
    r = kiosk("flows", "check", bad)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "error[yaml/" in r.stdout


def test_scenarios_run_and_end_with_the_summary_line():
    r = kiosk("flows", "test", FIXTURE)
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_a_failing_scenario_points_at_its_line_and_fails_the_run(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "one-thing" / "flow.test.yaml"
    test.write_text(test.read_text().replace("times: 2", "times: 3"))  # one answer too many: never used
    r = kiosk("flows", "test", tmp_path / "b")
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "0 passed, 1 failed"
    assert "flow.test.yaml:6 " in r.stdout and "answered 2 of its 3 calls" in r.stdout


def test_an_unused_stub_fails(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "b")
    test = tmp_path / "b" / "one-thing" / "flow.test.yaml"
    test.write_text(test.read_text().replace("    steps:\n", "      - call: registry.lookup\n        error: nope\n    steps:\n"))
    r = kiosk("flows", "test", tmp_path / "b")
    assert r.returncode == 1 and "was never used" in r.stdout
    assert "flow.test.yaml:9" in r.stdout  # the unused stub's own line


def test_list_json_names_devices():
    r = kiosk("flows", "list", "--json", "--path", FIXTURE)
    rows = {f["id"]: f for f in json.loads(r.stdout)["flows"]}
    assert rows["print-slip"]["requires"] == ["id_reader", "receipt_printer"]
    assert rows["print-slip"]["version"] == "1.0.0"


@pytest.mark.parametrize("fmt, marker", [("mermaid", "flowchart TD"), ("dot", "digraph")])
def test_graph(fmt, marker):
    r = kiosk("flows", "graph", "queue-ticket", "--format", fmt)
    assert r.returncode == 0 and r.stdout.startswith(marker)
    assert "ticket_social" in r.stdout and "paper_out" in r.stdout


@pytest.mark.parametrize("args, name", [((), "flow.schema.json"), (("--scenario",), "flow-test.schema.json")])
def test_schema_is_the_committed_one(args, name):
    """Editors validate against the committed files: they must say what the loader accepts."""
    r = kiosk("flows", "schema", *args)
    committed = json.loads((ROOT / "kiosk" / "schema" / name).read_text())
    assert json.loads(r.stdout) == committed, "run `make schema` and commit the result"
    assert committed["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_flows_validate_against_the_published_schema():
    import jsonschema

    from kiosk.flow.yamlsafe import load

    schema = json.loads((ROOT / "kiosk" / "schema" / "flow.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for f in (ROOT / "flows").rglob("flow.yaml"):
        doc = load(f.read_bytes(), str(f)).data  # YAML 1.2: PyYAML's 1.1 would turn `on:` into True
        errors = list(validator.iter_errors(doc))
        assert not errors, (f, errors[0].message)


def test_migrate_rewrites_a_format_1_file(tmp_path):
    old = tmp_path / "old.flow.yaml"
    old.write_text("format: 1\nid: old\nversion: 1.0.0\ntitle: {zh-CN: 旧, en: Old}\ncategory: demo\n"
                   "steps:\n  bye:\n    kind: end\n")
    r = kiosk("flows", "migrate", old, "--write")
    assert r.returncode == 0, r.stderr
    text = old.read_text()
    assert "format: 2" in text and "- id: bye" in text
    assert kiosk("flows", "migrate", old).stderr.strip().endswith("already format 2")


def test_a_flow_whose_subflow_is_broken_is_not_activated(tmp_path):
    from kiosk.flow.bundle import load_bundle

    shutil.copytree(FIXTURE, tmp_path / "b")
    flow = tmp_path / "b" / "print-slip" / "flow.yaml"
    flow.write_text(flow.read_text().replace("next: {ok: done,", "next: {ok: dnoe,"))
    bundle = load_bundle(tmp_path / "b")
    assert "one-thing" not in bundle.flows and "print-slip" not in bundle.flows
    assert "ref/broken-flow" in {p.rule for p in bundle.problems}
