"""Password hashing (argon2id, memory-hard) and the passwords that must never work in production.

argon2-cffi's defaults are RFC 9106's second recommended option (argon2id, t=3, m=64 MiB, p=4): about a
tenth of a second per check here, slow enough to make a stolen table expensive, fast enough for a sign-in.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # type argon2id by default
# Verified when a name is unknown, so that "no such account" costs as long as "wrong password".
_DUMMY = _hasher.hash("no account has this password")

# Passwords anyone would try first, and the documented demo passwords (backoffice.auth.demo). Compared
# case-insensitively; the account's own name (and its reverse) always counts too.
KNOWN_DEFAULTS: set[str] = {
    "admin", "administrator", "root", "password", "passw0rd", "password1", "123456", "12345678", "123456789",
    "1234567890", "changeme", "change-me", "default", "secret", "qwerty", "letmein", "welcome", "admin123",
    "admin@123", "kiosk", "backoffice", "viewer", "operator", "111111", "000000", "88888888", "66666666",
    "viewer-demo", "operator-demo", "admin-demo",
}


class PasswordRefused(ValueError):
    """A password that policy refuses; the message says why, never the password."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash (unknown account) a dummy check keeps the timing alike."""
    try:
        return _hasher.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def is_default(name: str, password: str) -> bool:
    p = password.strip().lower()
    return p in KNOWN_DEFAULTS or p == name.strip().lower() or p == "".join(reversed(name.strip().lower()))


def check_policy(name: str, password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise PasswordRefused(f"the password is shorter than {min_length} characters")
    if is_default(name, password):
        raise PasswordRefused("the password is a known default or the account's name")
