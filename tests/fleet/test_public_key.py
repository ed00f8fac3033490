"""The kiosk reads the back office's public key at start without cryptography, which loads only when an
operator's command arrives; a key file that is no Ed25519 key, or a missing cryptography, still stops the start."""
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk import config
from wire import signing

ROOT = Path(__file__).resolve().parents[2]


def keys(tmp_path: Path):
    private, public = signing.generate_keypair()
    (tmp_path / "k.key").write_bytes(private)
    (tmp_path / "k.pub").write_bytes(public)
    return signing.load_private_key(tmp_path / "k.key"), tmp_path / "k.pub"


def kiosk_config(tmp_path: Path, key_file: Path) -> dict:
    return {"kiosk": {"id": "K-1"}, "flows": {"path": str(ROOT / "flows")}, "var_dir": str(tmp_path / "var"),
            "telemetry": {"host": "127.0.0.1", "command_key_file": str(key_file)}}


def test_a_command_signed_by_the_back_office_verifies_and_a_tampered_one_does_not(tmp_path):
    private, pub = keys(tmp_path)
    now = int(time.time())
    envelope = signing.sign(private, kiosk="K-1", cmd="ping", issued_at=now, expires_at=now + 60)
    key = signing.load_public_key(pub)
    assert signing.verify(key, envelope).cmd == "ping"
    with pytest.raises(signing.BadSignature):
        signing.verify(key, dict(envelope, cmd="restart"))


def test_keys_that_are_not_ed25519_public_keys_are_refused_with_the_file_named(tmp_path):
    rsa_pub = tmp_path / "rsa.pub"
    rsa_pub.write_bytes(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n")
    private = tmp_path / "k.key"
    private.write_bytes(signing.generate_keypair()[0])
    with pytest.raises(signing.KeyFileError, match=r"rsa\.pub: not an Ed25519 public key"):
        signing.load_public_key(rsa_pub)
    for bad in (garbage, private):
        with pytest.raises(signing.KeyFileError, match=rf"{bad.name}: not a PEM public key"):
            signing.load_public_key(bad)
    with pytest.raises(config.ConfigError, match="not an Ed25519 public key"):
        config.parse(kiosk_config(tmp_path, rsa_pub))


def test_without_cryptography_the_kiosk_does_not_start(tmp_path, monkeypatch):
    _, pub = keys(tmp_path)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if not installed
    with pytest.raises(config.ConfigError, match="cryptography package, which is not installed"):
        config.parse(kiosk_config(tmp_path, pub))


def test_the_started_kiosk_has_its_key_but_not_cryptography_loaded(tmp_path):
    _, pub = keys(tmp_path)
    code = ("import sys, kiosk.runtime; from kiosk import config; from kiosk.fleet.link import load_public_key; "
            f"cfg = config.parse({kiosk_config(tmp_path, pub)!r}); load_public_key(cfg.telemetry.command_key_file); "
            "sys.exit('cryptography loaded' if 'cryptography' in sys.modules else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
