"""`kiosk keys generate` and `kiosk command sign`, run as an operator would: what they print, a kiosk obeys."""
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from kiosk.fleet.gate import CommandGate, Refusal, SeenIds
from wire.commands import NAMES as COMMANDS
from wire.signing import load_public_key

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args):
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_generated_key_signs_commands_the_kiosk_obeys_and_only_for_the_named_kiosk(tmp_path):
    r = kiosk("keys", "generate", "--out", tmp_path / "keys")
    assert r.returncode == 0, r.stderr
    private, public = tmp_path / "keys" / "command-signing.key", tmp_path / "keys" / "command-signing.pub"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    r = kiosk("command", "sign", "--key", private, "--kiosk", "K-0001", "--cmd", "maintenance_on",
              "--args", '{"force": true}', "--ttl", "120")
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert "\n" not in line  # one line, ready for mosquitto_pub -m
    gate = CommandGate("K-0001", load_public_key(public), SeenIds(tmp_path / "seen.db"), known=COMMANDS)
    cmd = gate.admit(line.encode())
    assert (cmd.cmd, cmd.args, cmd.expires_at - cmd.issued_at) == ("maintenance_on", {"force": True}, 120)
    other = CommandGate("K-0002", load_public_key(public), SeenIds(tmp_path / "other.db"), known=COMMANDS)
    assert isinstance(other.admit(line.encode()), Refusal)
    assert json.loads(line)["sig"]


def test_keys_are_never_overwritten_and_bad_input_is_one_line(tmp_path):
    assert kiosk("keys", "generate", "--out", tmp_path).returncode == 0
    before = (tmp_path / "command-signing.key").read_bytes()
    r = kiosk("keys", "generate", "--out", tmp_path)
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr
    assert (tmp_path / "command-signing.key").read_bytes() == before
    for bad in (["--key", tmp_path / "command-signing.pub"], ["--key", tmp_path / "command-signing.key",
                                                               "--args", "[1]"],
                ["--key", tmp_path / "command-signing.key", "--ttl", "-5"],
                ["--key", tmp_path / "command-signing.key", "--args", '{"force": true}']):  # ping takes none
        r = kiosk("command", "sign", "--kiosk", "K1", "--cmd", "ping", *bad)
        assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1, r.stderr
