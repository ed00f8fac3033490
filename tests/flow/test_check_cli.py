"""`kiosk flows check` checks exactly what it is given, or says why not; it never reports "all valid" unread."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"


def check(*paths, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "flows", "check", *map(str, paths)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_draft_with_any_name_is_checked_and_broken_yaml_fails(tmp_path):
    draft = tmp_path / "draft.yaml"
    draft.write_text("format: 2\nid: [\n")
    r = check(draft)
    assert r.returncode == 1
    assert f"{draft}:3:1: error[yaml/syntax]" in r.stdout
    assert "all valid" not in r.stderr and "1 flow file(s) checked" in r.stderr


def test_a_valid_draft_with_any_name_is_checked_as_a_flow(tmp_path):
    draft = tmp_path / "my-draft.yml"
    shutil.copy(FLOWS / "queue-ticket" / "flow.yaml", draft)
    for guide in (FLOWS / "queue-ticket").glob("guide.*"):  # the media it names, which the linter looks for
        shutil.copy(guide, tmp_path)
    assert check(draft).returncode == 0
    draft.write_text(draft.read_text().replace("kind: end", "kind: ending", 1))
    r = check(draft)
    assert r.returncode == 1 and "error[schema/union-tag-invalid]" in r.stdout and "did you mean 'end'" in r.stdout


@pytest.mark.parametrize("name, says", [
    ("services.yaml", "service catalog, not a flow; it is checked with its bundle: kiosk flows check flows"),
    ("queue-ticket/flow.test.yaml", "scenario file, not a flow; run it with: kiosk flows test flows/queue-ticket/"),
    ("no-criminal-record/code_slip.receipt", "receipt template; it is checked with the flow that prints it"),
    ("real-estate-query/result.html", "A4 document template; it is checked with the flow that prints it"),
])
def test_files_that_are_not_flows_are_refused_with_what_they_are(name, says):
    r = check(Path("flows") / name)
    assert r.returncode == 1
    assert "error[input/not-a-flow]" in r.stdout and says in r.stdout


def test_an_empty_folder_is_not_all_valid(tmp_path):
    r = check(tmp_path)
    assert r.returncode == 1 and "error[io/no-flows]" in r.stdout


def test_a_single_flow_is_checked_against_its_own_folder_not_its_neighbours(tmp_path):
    """Neighbours (here two copies with one id, one of them broken) are not the named flow's problems."""
    for name in ("a", "b", "x"):
        shutil.copytree(FLOWS / "queue-ticket", tmp_path / name)
    (tmp_path / "b" / "flow.yaml").write_text("format: 2\nid: [\n")
    r = check(tmp_path / "x" / "flow.yaml")
    assert r.returncode == 0, r.stdout
    assert r.stdout == "" and "1 flow file(s) checked: all valid" in r.stderr


def test_a_single_flow_in_a_bundle_uses_its_catalog_and_subflows_but_not_their_problems(tmp_path):
    shutil.copytree(FLOWS, tmp_path / "b")
    (tmp_path / "b" / "queue-ticket" / "flow.yaml").write_text("format: 2\nid: [\n")  # not used by one-thing
    assert check(tmp_path / "b" / "one-thing" / "flow.yaml").returncode == 0
    r = check(tmp_path / "b")
    assert r.returncode == 1 and "queue-ticket/flow.yaml:3:1: error[yaml/syntax]" in r.stdout


def test_a_single_flow_reports_its_own_id_clash(tmp_path):
    shutil.copytree(FLOWS, tmp_path / "b")
    shutil.copytree(tmp_path / "b" / "queue-ticket", tmp_path / "b" / "copy")
    r = check(tmp_path / "b" / "copy" / "flow.yaml")
    assert r.returncode == 1
    (line,) = r.stdout.splitlines()
    assert "copy/flow.yaml" in line and "error[ref/duplicate-flow]" in line


def test_the_shipped_bundle_is_clean():
    r = check("flows/")
    assert r.returncode == 0 and r.stdout == "", r.stdout
