"""Technician access: a hidden gesture, then a PIN checked against a salted hash from configuration.

The PIN itself is never stored: `kiosk maintenance hash-pin` prints the
PBKDF2 line to paste into kiosk.toml. Wrong PINs are rate-limited so a
passer-by cannot try them all at the screen.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

ITERATIONS = 200_000
TAPS = 5  # taps on the hidden corner target
TAP_WINDOW_S = 3.0
MAX_FAILURES = 3
LOCKOUT_S = 300.0


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


class Gate:
    """Counts the hidden taps and the PIN attempts (monotonic time: the wall clock jumps)."""

    def __init__(self, pin_hash: str | None, clock=time.monotonic):
        self.pin_hash = pin_hash
        self.clock = clock
        self._taps: list[float] = []
        self._failures = 0
        self._locked_until = 0.0

    def corner_tap(self) -> bool:
        """True when the gesture is complete and the PIN pad should open."""
        now = self.clock()
        self._taps = [t for t in self._taps if now - t <= TAP_WINDOW_S] + [now]
        if len(self._taps) >= TAPS and self.pin_hash:
            self._taps.clear()
            return True
        return False

    def try_pin(self, pin: str) -> bool:
        now = self.clock()
        if now < self._locked_until or not self.pin_hash:
            return False
        if verify_pin(pin, self.pin_hash):
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._locked_until = now + LOCKOUT_S
            self._failures = 0
        return False
