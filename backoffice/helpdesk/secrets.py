"""The help desk's secrets: kiosks' credentials, callback phone numbers sealed at rest, TURN credentials.

Kiosk credentials are 32 random bytes kept as a SHA-256, like API tokens: far beyond guessing, so a fast
hash is enough and a database dump signs no kiosk in. A phone number is sealed with AES-256-GCM under a key
file every instance shares; its id is the associated data, so a sealed number moved to another row does
not open. TURN credentials follow coturn's REST API (use-auth-secret): username `expiry:call`, password
base64(HMAC-SHA1(secret, username)); coturn checks them with the same secret, no database between.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.config import TurnConfig
from backoffice.models import KioskCredential
from wire.signaling import IceServer

log = structlog.get_logger("backoffice.helpdesk")
PREFIX = "kc_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_kiosk_credential(engine: Engine, kiosk_id: str, actor: str) -> str:
    """A new credential for `kiosk_id`, replacing any before it; the only time it exists in clear."""
    token = PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as s, s.begin():
        s.execute(delete(KioskCredential).where(KioskCredential.kiosk_id == kiosk_id))
        s.add(KioskCredential(kiosk_id=kiosk_id, token_hash=_digest(token), created_at=time.time()))
    audit.record(engine, actor, "helpdesk.kiosk_credential", kiosk_id)
    return token


def revoke_kiosk_credential(engine: Engine, kiosk_id: str, actor: str) -> bool:
    with Session(engine) as s, s.begin():
        gone = s.execute(delete(KioskCredential).where(KioskCredential.kiosk_id == kiosk_id)).rowcount
    if gone:
        audit.record(engine, actor, "helpdesk.kiosk_credential_revoked", kiosk_id)
    return bool(gone)


def kiosk_credential_ok(engine: Engine, kiosk_id: str, credential: str) -> bool:
    with Session(engine) as s:
        stored = s.scalar(select(KioskCredential.token_hash).where(KioskCredential.kiosk_id == kiosk_id))
    # compared even when there is none, so a missing kiosk and a wrong token take the same time
    return hmac.compare_digest(stored or "0" * 64, _digest(credential)) and stored is not None


class PhoneSeal:
    """AES-256-GCM under a 32-byte key file; made (mode 0600) on first start when it does not exist."""

    def __init__(self, path: Path):
        self.path = path
        self._key: bytes | None = None

    def key(self) -> bytes:
        if self._key is None:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:  # another instance made it a moment ago: use theirs
                    fd = None
                if fd is not None:
                    with os.fdopen(fd, "wb") as f:
                        f.write(secrets.token_bytes(32))
                log.warning("helpdesk.phone_key_made", path=str(self.path),
                            hint="every back-office instance needs this same file (helpdesk.phone_key_file)")
            self._key = self.path.read_bytes()
            if len(self._key) != 32:
                raise ValueError(f"{self.path}: a phone key is 32 bytes, found {len(self._key)}")
        return self._key

    def seal(self, phone: str, row: str) -> str:
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + AESGCM(self.key()).encrypt(nonce, phone.encode(), row.encode())).decode()

    def open(self, sealed: str, row: str) -> str | None:
        """The number, or None when this instance's key is not the one that sealed it."""
        raw = base64.b64decode(sealed)
        try:
            return AESGCM(self.key()).decrypt(raw[:12], raw[12:], row.encode()).decode()
        except InvalidTag:
            return None


def mask_phone(phone: str) -> str:
    """Enough to tell two callbacks apart on a list, not enough to call: the last four digits."""
    digits = [c for c in phone if c.isdigit()]
    return "*" * max(0, len(digits) - 4) + "".join(digits[-4:])


def ice_servers(cfg: TurnConfig, call_id: str, now: float | None = None) -> list[IceServer]:
    """What both peers get: only the configured servers; none configured means host candidates only."""
    if not cfg.urls:
        return []
    secret = os.environ.get(cfg.secret_env, "") if cfg.secret_env else ""
    if not secret:
        return [IceServer(list(cfg.urls))]
    username = f"{int((now if now is not None else time.time()) + cfg.ttl_s)}:{call_id}"
    password = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return [IceServer(list(cfg.urls), username, password)]
