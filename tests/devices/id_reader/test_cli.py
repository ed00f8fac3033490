"""``kiosk devices idcard``: run as a real process against the pty fake; JSON on stdout, one line on stderr."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devices.id_reader.cli import EXIT_DEVICE, EXIT_NO_CARD, EXIT_OK, JSON_KEYS
from devices.id_reader.sample_cards import LI_SI, SAMPLE_FOREIGN_2023
from devices.testing.fake_idcard import FakeIdCardReader

ROOT = Path(__file__).resolve().parents[3]


def run_cli(port: str, timeout: float = 1.0, baud: int = 115200) -> subprocess.CompletedProcess:
    code = f"import sys; from devices.id_reader.cli import run_idcard; sys.exit(run_idcard({port!r}, {baud}, {timeout}))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=20)


def one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    return err


def test_prints_the_card_as_json():
    with FakeIdCardReader(card=LI_SI) as fake:
        proc = run_cli(fake.port)
    assert proc.returncode == EXIT_OK, proc.stderr
    out = json.loads(proc.stdout)  # stdout holds the JSON and nothing else
    assert tuple(out) == JSON_KEYS
    assert out == {"name": "李四", "gender": "女", "nation": "蒙古", "birth_date": "1955-06-12",
                   "address": "示例省示例市示例县示例路2号", "id_number": "110105195506120022",
                   "authority": "示例县公安局", "valid_from": "2010-01-15", "valid_to": None, "card_type": "resident"}
    assert proc.stderr == ""


def test_foreigner_card_json():
    with FakeIdCardReader(card=SAMPLE_FOREIGN_2023) as fake:
        proc = run_cli(fake.port)
    out = json.loads(proc.stdout)
    assert proc.returncode == EXIT_OK and out["card_type"] == "foreign_permanent"
    assert out["id_number"] == "911000198802140024" and out["nation"] == "GBR"


def test_no_card_exits_2():
    with FakeIdCardReader(present=False) as fake:
        proc = run_cli(fake.port, timeout=0.3)
        assert fake.count("find") >= 2  # it really polled
    assert proc.returncode == EXIT_NO_CARD and proc.stdout == ""
    assert "no card" in one_line(proc.stderr)


def test_missing_port_exits_3(tmp_path):
    proc = run_cli(str(tmp_path / "ttyUSB7"))
    assert proc.returncode == EXIT_DEVICE and proc.stdout == ""
    assert "unreachable" in one_line(proc.stderr)


@pytest.mark.parametrize("fault,words", [("sam_failure", "reader or protocol error"),
                                         ("bad_checksum", "reader or protocol error")])
def test_reader_problems_exit_3(fault, words):
    with FakeIdCardReader() as fake:
        fake.after(3, fault)  # the SAM answers at start-up, then fails during the read
        proc = run_cli(fake.port)
    assert proc.returncode == EXIT_DEVICE and proc.stdout == ""
    assert words in one_line(proc.stderr)


def test_unreadable_card_exits_3():
    with FakeIdCardReader() as fake:
        fake.on_command("read", "sw3", code=0x33)
        proc = run_cli(fake.port)
    assert proc.returncode == EXIT_DEVICE and "card unreadable" in one_line(proc.stderr)
    assert "110105" not in proc.stderr
