"""Signed fleet commands: the envelope, its canonical encoding, Ed25519 signing and verification.

Both ends of the command channel use this module (the kiosk verifies, the
back office and `kiosk command sign` sign), so it lives in the wire
contract. A command is trusted because of who signed it, not because of
who could publish on the topic: a broker account, a leaked password or a
misconfigured ACL must not be enough to restart or take over a kiosk.

Envelope, version 1 (all fields required, no others)::

    {"v": 1, "id": "<1-64 chars>", "kiosk": "<kiosk id>", "cmd": "<name>", "args": {...},
     "issued_at": <int, Unix seconds>, "expires_at": <int, Unix seconds>, "sig": "<base64>"}

The signature is Ed25519 over ``DOMAIN + canonical(envelope without "sig")``,
where canonical is JSON with sorted keys, no whitespace, UTF-8, and no
floats anywhere (float formatting differs between languages; integers,
strings, booleans, null, lists and objects encode the same everywhere).
Duplicate keys are refused, so the signer and the verifier cannot read two
different messages out of one payload.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from wire.codec import load_object
from wire.errors import WireError

VERSION = 1
DOMAIN = b"kiosk-command-v1\x00"  # a signature over a command can never be taken for one over anything else
FIELDS = ("v", "id", "kiosk", "cmd", "args", "issued_at", "expires_at")
MAX_ID = 64
MAX_CMD = 32
MAX_SIZE = 4096  # bytes of a whole command; the largest real one is a few hundred
MAX_LIFETIME_S = 24 * 3600  # expires_at - issued_at; bounds how long a kiosk must remember a seen id


class EnvelopeError(WireError):
    """The message is not a well-formed version-1 envelope (refusal reason `malformed` or `unsigned`)."""

    def __init__(self, reason: str, detail: str):
        super().__init__("", detail, reason)


class BadSignature(ValueError):
    """Well formed, but not signed by the key the kiosk trusts."""


class KeyFileError(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    id: str
    kiosk: str
    cmd: str
    issued_at: int
    expires_at: int
    args: dict = field(default_factory=dict)


# ------------------------------------------------------------------ encoding
def canonical(body: dict) -> bytes:
    """The bytes that are signed: sorted keys, no whitespace, UTF-8; floats are refused."""
    _no_floats(body)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def parse(raw: bytes | str) -> dict:
    """Strict JSON (wire.codec): duplicate keys and non-finite numbers refused as `malformed`."""
    try:
        return load_object(raw)
    except WireError as exc:
        raise EnvelopeError("malformed", exc.detail) from None


def _no_floats(value, depth: int = 0) -> None:
    if depth > 16:
        raise EnvelopeError("malformed", "args nested too deeply")
    if isinstance(value, float):
        raise EnvelopeError("malformed", "floats are not allowed; use integers or strings")
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _no_floats(v, depth + 1)


# -------------------------------------------------------------------- keys
# cryptography is imported where a key is made, signed with or checked against, not with this module: the kiosk
# reads its public key at start but checks a signature only when an operator sends a command, and the library
# is 7 MiB of its resident memory (goal 250 MiB). kiosk.config checks at start that it is installed.
ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")  # DER SubjectPublicKeyInfo of an Ed25519 key, then 32 bytes


def generate_keypair() -> tuple[bytes, bytes]:
    """(private key as PKCS#8 PEM, public key as SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key read from its PEM file without cryptography, which loads at the first `verify`."""

    raw: bytes

    def verify(self, signature: bytes, data: bytes) -> None:
        """As cryptography's Ed25519PublicKey.verify: raises its InvalidSignature on a mismatch."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)


def load_public_key(path: str | Path) -> PublicKey:
    try:
        text = Path(path).read_text(encoding="ascii")
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{path}: not a PEM public key") from None
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != "-----BEGIN PUBLIC KEY-----" or lines[-1] != "-----END PUBLIC KEY-----":
        raise KeyFileError(f"{path}: not a PEM public key")
    try:
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except (binascii.Error, ValueError):
        raise KeyFileError(f"{path}: not a PEM public key") from None
    if len(der) != len(ED25519_SPKI) + 32 or not der.startswith(ED25519_SPKI):
        raise KeyFileError(f"{path}: not an Ed25519 public key")
    return PublicKey(der[len(ED25519_SPKI):])


def load_private_key(path: str | Path):
    """The back office's signing key (cryptography's Ed25519PrivateKey)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise KeyFileError(f"{path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")
    return key


# ---------------------------------------------------------- sign / verify
def sign(key, *, kiosk: str, cmd: str, issued_at: int, expires_at: int,
         args: dict | None = None, command_id: str | None = None) -> dict:
    body = {"v": VERSION, "id": command_id or secrets.token_hex(16), "kiosk": kiosk, "cmd": cmd,
            "args": args or {}, "issued_at": int(issued_at), "expires_at": int(expires_at)}
    sig = key.sign(DOMAIN + canonical(body))
    return dict(body, sig=base64.b64encode(sig).decode())


def verify(key, msg: dict) -> Command:
    """The command, if `msg` is a well-formed envelope signed by `key` (a PublicKey, or cryptography's
    Ed25519PublicKey); checks no time, kiosk or replay."""
    if "sig" not in msg:
        raise EnvelopeError("unsigned", "no signature")
    extra = sorted(set(msg) - set(FIELDS) - {"sig"})
    missing = [f for f in FIELDS if f not in msg]
    if extra or missing:
        raise EnvelopeError("malformed", f"unknown fields {extra[:3]}" if extra else f"missing {missing}")
    if msg["v"] != VERSION or isinstance(msg["v"], bool):
        raise EnvelopeError("malformed", f"unsupported version; this kiosk speaks v{VERSION}")
    for name, limit in (("id", MAX_ID), ("kiosk", MAX_ID), ("cmd", MAX_CMD)):
        if not isinstance(msg[name], str) or not 0 < len(msg[name]) <= limit:
            raise EnvelopeError("malformed", f"{name} must be a string of 1-{limit} characters")
    for name in ("issued_at", "expires_at"):
        if not isinstance(msg[name], int) or isinstance(msg[name], bool):
            raise EnvelopeError("malformed", f"{name} must be an integer (Unix seconds)")
    if not isinstance(msg["args"], dict):
        raise EnvelopeError("malformed", "args must be an object")
    try:
        sig = base64.b64decode(msg["sig"], validate=True) if isinstance(msg["sig"], str) else b""
    except (binascii.Error, ValueError):
        sig = b""
    if len(sig) != 64:
        raise EnvelopeError("malformed", "sig must be a base64 Ed25519 signature")
    body = {k: msg[k] for k in FIELDS}
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(sig, DOMAIN + canonical(body))
    except InvalidSignature:
        raise BadSignature("signature does not match") from None
    return Command(msg["id"], msg["kiosk"], msg["cmd"], msg["issued_at"], msg["expires_at"], dict(msg["args"]))
