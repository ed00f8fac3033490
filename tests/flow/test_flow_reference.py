"""docs/flow-reference.md is generated from the schema, so it lists exactly the values the loader accepts."""
import subprocess
import sys
from pathlib import Path

from kiosk.flow import model
from kiosk.flow.reference import reference

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "flow-reference.md"


def test_the_committed_reference_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == reference(), "run `make schema` and commit docs/flow-reference.md"


def test_the_command_prints_it():
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "flows", "schema", "--markdown"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == DOC.read_text(encoding="utf-8")


def test_every_enumerated_value_an_integrator_needs_is_listed():
    doc = DOC.read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| `")}
    assert "`resident`, `hmt_residence`, `foreign_permanent`" in rows["`ReadIdCard.accept`"]
    for kind in ("notice", "call", "show_result", "end", "subflow"):
        assert f"`{kind}`" in rows["`Flow.steps[].kind`"]
    for value in model.FieldType:
        assert f"`{value}`" in rows["`FormField.type`"]
    for t in ("list", "map", "date"):
        assert f"`{t}`" in rows["`ResultField.type`"]
    assert "`bad_reply`" in rows["`Stub.fail`"]
    assert "| `codes` |" in doc  # result fields and the catalog's code tables
