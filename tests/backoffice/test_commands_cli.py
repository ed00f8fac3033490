"""`backoffice keys export-public` and `backoffice fleet simulate`'s errors, as an operator types them."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wire import signing

ROOT = Path(__file__).resolve().parents[2]


def backoffice(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "backoffice.cli", "--config", str(tmp_path / "backoffice.toml"),
                           *args], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_export_public_makes_the_key_once_and_prints_its_public_half(tmp_path):
    (tmp_path / "backoffice.toml").write_text('var_dir = "var"\n')
    first = backoffice(tmp_path, "keys", "export-public")
    assert first.returncode == 0, first.stderr
    key = tmp_path / "var" / "command-signing.key"
    assert key.stat().st_mode & 0o777 == 0o600
    (tmp_path / "kiosk.pub").write_text(first.stdout)
    envelope = signing.sign(signing.load_private_key(key), kiosk="K", cmd="ping", issued_at=1, expires_at=2)
    assert signing.verify(signing.load_public_key(tmp_path / "kiosk.pub"), envelope).cmd == "ping"
    assert backoffice(tmp_path, "keys", "export-public").stdout == first.stdout  # the same key, not a new one


def test_a_bad_key_file_or_no_broker_is_one_line_not_a_traceback(tmp_path):
    (tmp_path / "backoffice.toml").write_text('var_dir = "."\n[commands]\nkey_file = "garbage.key"\n')
    (tmp_path / "garbage.key").write_text("not a key")
    bad = backoffice(tmp_path, "keys", "export-public")
    assert bad.returncode == 1 and "garbage.key: not an unencrypted PEM private key" in bad.stderr
    assert "Traceback" not in bad.stderr
    nobroker = backoffice(tmp_path, "fleet", "simulate", "5")
    assert nobroker.returncode == 2 and "no broker" in nobroker.stderr and "Traceback" not in nobroker.stderr
    (tmp_path / "backoffice.toml").write_text('var_dir = "."\n')
    badprefix = backoffice(tmp_path, "fleet", "simulate", "5", "--broker", "127.0.0.1:1", "--prefix", "a.b")
    assert badprefix.returncode == 2 and "--prefix" in badprefix.stderr and "Traceback" not in badprefix.stderr
