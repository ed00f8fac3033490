"""Technician access: a hidden gesture, then a PIN checked against a salted hash from configuration.

The PIN itself is never stored: `kiosk maintenance hash-pin` prints the
PBKDF2 line to paste into kiosk.toml. Wrong PINs are rate-limited so a
passer-by cannot try them all at the screen, and the count and the lockout
are kept in a small state file so that a restart (a crash, a power cut, a
remote command) does not hand out three fresh attempts.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from pathlib import Path

import structlog

from kiosk.system.durable import write_atomically

log = structlog.get_logger("kiosk.maintenance")

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
    """Counts the hidden taps and the PIN attempts (monotonic time: the wall clock jumps).

    With `state`, failures and the lockout survive restarts. The file holds
    the lockout as seconds still to wait, never as a wall-clock time: these
    kiosks boot with whatever time the RTC kept and NTP may move it by years,
    so a stored deadline could end a lockout at once (clock set forward) or
    make it last for ever (set back). The remaining seconds are saved when the
    lockout starts and again at every attempt during it, and a new process
    waits them out on its own monotonic clock; time spent switched off does
    not count, so a restart can lengthen a lockout by at most LOCKOUT_S but
    never shorten it. A state file that cannot be read locks the pad for a
    full LOCKOUT_S (fail closed).
    """

    def __init__(self, pin_hash: str | None, clock=time.monotonic, state: Path | None = None):
        self.pin_hash = pin_hash
        self.clock = clock
        self.state = state
        self._taps: list[float] = []
        self._failures = 0
        self._locked_until = 0.0
        if state is not None:
            self._failures, remaining = _load(state)
            self._locked_until = clock() + remaining if remaining > 0 else 0.0

    @property
    def locked_for_s(self) -> float:
        return max(0.0, self._locked_until - self.clock())

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
        if not self.pin_hash:
            return False
        if now < self._locked_until:
            self._save()  # the remaining wait, so that a restart now does not start it over
            return False
        if verify_pin(pin, self.pin_hash):
            if self._failures:
                self._failures = 0
                self._save()
            return True
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._locked_until = now + LOCKOUT_S
            self._failures = 0
            log.warning("maintenance.pin_locked", lockout_s=LOCKOUT_S)
        self._save()
        return False

    def _save(self) -> None:
        if self.state is None:
            return
        body = {"failures": self._failures, "locked_for_s": round(self.locked_for_s, 1)}
        try:
            write_atomically(self.state, json.dumps(body).encode())
        except OSError as exc:  # the in-memory count still holds for this run
            log.error("maintenance.state_unwritable", path=str(self.state), error=exc.strerror)


def _load(path: Path) -> tuple[int, float]:
    """(failures, lockout seconds left) from the state file; unreadable means locked for a full lockout."""
    try:
        data = json.loads(path.read_bytes())
        failures, remaining = data["failures"], data["locked_for_s"]
        if not (isinstance(failures, int) and isinstance(remaining, (int, float))) or isinstance(failures, bool):
            raise TypeError("not numbers")
        if not math.isfinite(remaining):
            raise ValueError("not a finite wait")
    except FileNotFoundError:
        return 0, 0.0
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("maintenance.state_unreadable", path=str(path), error=type(exc).__name__)
        return 0, LOCKOUT_S
    return min(max(failures, 0), MAX_FAILURES - 1), min(max(float(remaining), 0.0), LOCKOUT_S)
