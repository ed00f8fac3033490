"""Scenarios assert the ending the citizen is shown: its outcome and what it tells them to take."""
import shutil
import textwrap
from pathlib import Path

from kiosk.scenario.runner import run_file

FLOWS = Path(__file__).parents[2] / "flows"


def run(tmp_path, expect: str):
    root = tmp_path / "flows"
    if not root.exists():
        shutil.copytree(FLOWS, root)
    path = root / "queue-ticket" / "ending.test.yaml"
    path.write_text(textwrap.dedent(f"""\
        format: 2
        flow: queue-ticket
        scenarios:
          - name: a number taken
            steps:
              - choose: social
              - action: ok
              - expect: {expect}
        """))
    (outcome,) = run_file(path, {})
    return outcome


def test_the_right_ending_passes(tmp_path):
    assert run(tmp_path, "{ending: completed, take: [ticket]}").passed


def test_a_wrong_ending_or_take_fails_with_what_was_shown(tmp_path):
    wrong = run(tmp_path, "{ending: failed}")
    assert not wrong.passed and "expected the ending 'failed', shown 'completed'" in wrong.message
    missing = run(tmp_path, "{take: [card, ticket]}")
    assert not missing.passed and "told ['ticket']" in missing.message and missing.line == 8
