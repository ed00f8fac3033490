"""Must-show 10: flows written for format 2 before lists had loops still load, lint clean and pass their tests.

tests/fixtures/format2/ holds the real-estate item as it shipped before it
listed every property (fixed rows read by ``records[0].location``) and a
deposit certificate written from docs/flows.md alone, with a ``type: list``
result that does not describe its items. Lists were added without a format
change, so nothing needs migrating: ``kiosk flows migrate`` leaves these files
and the shipped ones as they are.
"""
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from kiosk.flow.bundle import check_paths
from kiosk.flow.migrate_cmd import migrate_files
from kiosk.flow.model import FORMAT_VERSION
from kiosk.flow.yamlsafe import load
from kiosk.scenario.runner import find_tests, run_file

ROOT = Path(__file__).resolve().parents[2]
OLD = ROOT / "tests" / "fixtures" / "format2"
FLOW_FILES = sorted(OLD.rglob("flow.yaml")) + sorted((ROOT / "flows").rglob("flow.yaml"))


def test_the_format_is_still_2():
    assert FORMAT_VERSION == 2


def test_old_flows_lint_clean():
    problems, count = check_paths([OLD])
    assert [str(p) for p in problems] == []
    assert count == 2


@pytest.mark.parametrize("test_file", find_tests([OLD]), ids=lambda p: p.parent.name)
def test_old_flows_pass_their_own_scenarios(test_file):
    outcomes = run_file(test_file, {})
    assert outcomes and [(o.name, o.message) for o in outcomes if not o.passed] == []


@pytest.mark.parametrize("flow_file", FLOW_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_old_and_shipped_flows_validate_against_the_published_schema(flow_file):
    schema = json.loads((ROOT / "kiosk" / "schema" / "flow.schema.json").read_text())
    doc = load(flow_file.read_bytes(), str(flow_file)).data
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert not errors, errors[0].message


def test_migrate_leaves_format_2_files_as_they_are(tmp_path, capsys):
    copies = []
    for i, f in enumerate(FLOW_FILES):
        copy = tmp_path / f"{i}.flow.yaml"
        shutil.copy(f, copy)
        copies.append(copy)
    before = {c: c.read_bytes() for c in copies}
    assert migrate_files([str(c) for c in copies], write=True) == 0
    assert {c: c.read_bytes() for c in copies} == before
    assert capsys.readouterr().err.count(f"already format {FORMAT_VERSION}") == len(copies)
