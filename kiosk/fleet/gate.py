"""Which fleet commands this kiosk obeys: signed, for it, current, new, live, and not too many.

Every message on the command topic passes through `CommandGate.admit`
before anything runs. A refusal carries a reason code (wire.commands.REASONS), is
answered on `cmd/resp` by the reporter and counted here for health. The
order of the checks matters: a retained message is refused before anything
else, a forgery never consumes the rate budget of the real back office,
and a command is recorded as seen before it runs, so a restart command
cannot run again after the restart it caused.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from wire import signing
from wire.commands import NAMES
from wire.messages import CommandStats
from wire.signing import MAX_LIFETIME_S, MAX_SIZE

log = structlog.get_logger("kiosk.commands")
LOG_EVERY_S = 60.0  # one warning per refusal reason a minute: a flood of forgeries must not flood the log


@dataclass(frozen=True)
class Refusal:
    reason: str
    detail: str
    id: str | None = None


class SeenIds:
    """Command ids already obeyed, durable across restarts (SQLite, synchronous=FULL, mode 0600).

    Rows are kept until the command's own expiry has passed (plus the clock
    skew allowed), after which the expiry check refuses a replay anyway.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite gives its journal the same mode
        os.chmod(self.path, 0o600)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)")

    def __contains__(self, command_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM seen WHERE id = ?", (command_id,)).fetchone() is not None

    def add(self, command_id: str, expires_at: int, now: float, keep_after_s: float) -> None:
        with self.db:
            self.db.execute("DELETE FROM seen WHERE expires_at < ?", (now - keep_after_s,))
            self.db.execute("INSERT OR IGNORE INTO seen(id, expires_at) VALUES (?, ?)", (command_id, expires_at))

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0]

    def close(self) -> None:
        self.db.close()


class TokenBucket:
    """`burst` commands at once, then `per_min` a minute; monotonic time, so clock jumps change nothing."""

    def __init__(self, per_min: float, burst: int, monotonic: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self.monotonic = per_min / 60.0, burst, monotonic
        self.tokens = float(burst)
        self.at = monotonic()

    def take(self) -> bool:
        now = self.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class CommandGate:
    def __init__(self, kiosk_id: str, public_key, seen: SeenIds | None, *, known: tuple[str, ...] = NAMES,
                 skew_s: float = 60, per_min: float = 30, burst: int = 10,
                 wallclock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        if public_key is not None and seen is None:
            raise ValueError("a gate that accepts commands needs somewhere to remember them")
        self.kiosk_id = kiosk_id
        self.public_key = public_key
        self.seen = seen
        self.known = known
        self.skew_s = skew_s
        self.wallclock = wallclock
        self.bucket = TokenBucket(per_min, burst, monotonic)
        self.monotonic = monotonic
        self.accepted = 0
        self.refused: Counter = Counter()
        self._logged: dict[str, tuple[float, int]] = {}  # reason -> (when last logged, count then)

    @property
    def enabled(self) -> bool:
        return self.public_key is not None

    def stats(self) -> CommandStats:
        return CommandStats(self.enabled, self.accepted, dict(sorted(self.refused.items())))

    def admit(self, raw: bytes, *, retained: bool = False) -> signing.Command | Refusal:
        verdict = self._check(raw, retained)
        if isinstance(verdict, Refusal):
            self.refused[verdict.reason] += 1
            self._log_refusal(verdict)
        else:
            self.accepted += 1
        return verdict

    def _log_refusal(self, refusal: Refusal) -> None:
        now, count = self.monotonic(), self.refused[refusal.reason]
        last = self._logged.get(refusal.reason)
        if last is None or now - last[0] >= LOG_EVERY_S:
            log.warning("command.refused", reason=refusal.reason, detail=refusal.detail[:80],
                        id=(refusal.id or "")[:64], since_last_logged=count - (last[1] if last else 0))
            self._logged[refusal.reason] = (now, count)

    def _check(self, raw: bytes, retained: bool) -> signing.Command | Refusal:
        if len(raw) > MAX_SIZE:
            return Refusal("malformed", f"larger than {MAX_SIZE} bytes")
        try:
            msg = signing.parse(raw)
        except signing.EnvelopeError as exc:
            return Refusal(exc.reason, str(exc))
        cid = msg.get("id") if isinstance(msg.get("id"), str) and 0 < len(msg["id"]) <= signing.MAX_ID else None
        if retained:  # a retained command would run again at every start
            return Refusal("retained", "commands must not be published with the retain flag", cid)
        if self.public_key is None:
            return Refusal("disabled", "no command_key_file is configured on this kiosk", cid)
        try:
            cmd = signing.verify(self.public_key, msg)
        except signing.EnvelopeError as exc:
            return Refusal(exc.reason, str(exc), cid)
        except signing.BadSignature as exc:
            return Refusal("bad_signature", str(exc), cid)
        if cmd.kiosk != self.kiosk_id:
            return Refusal("wrong_kiosk", "signed for another kiosk", cid)
        now = self.wallclock()
        if cmd.expires_at <= cmd.issued_at or cmd.expires_at - cmd.issued_at > MAX_LIFETIME_S:
            return Refusal("lifetime_too_long", f"expires_at must be within {MAX_LIFETIME_S} s of issued_at", cid)
        if now >= cmd.expires_at + self.skew_s:
            return Refusal("expired", "past expires_at", cid)
        if cmd.issued_at > now + self.skew_s:
            return Refusal("not_yet_valid", "issued_at is in the future", cid)
        if cmd.id in self.seen:
            return Refusal("replayed", "this command id was already received", cid)
        if not self.bucket.take():
            return Refusal("rate_limited", "too many commands; send it again later", cid)
        self.seen.add(cmd.id, cmd.expires_at, now, self.skew_s)  # before it runs: a restart must not repeat
        if cmd.cmd not in self.known:
            return Refusal("unknown_command", f"known: {', '.join(self.known)}", cid)
        return cmd
