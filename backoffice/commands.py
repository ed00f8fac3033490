"""Commands from the console to kiosks: signed, sent, re-sent, answered or expired, and kept.

A command is a row (backoffice.models.Command) before it is a message: it is created with a reason and an
actor, signed with the back office's Ed25519 key (wire.signing) and published on the kiosk's `cmd` topic,
never retained. A kiosk that is offline gets it when it comes back, until the command expires: ingest tells
this part what it hears (`heard`), and the first health after a birth is the moment to send, because the
kiosk subscribes to `cmd` between its birth and its first health and a broker handles one connection's
packets in order. A sweep every second expires what is overdue and re-sends what is unanswered (doubling
the wait each time), so nothing depends on one message getting through. The kiosk answers on `cmd/resp`;
a copy it already ran is refused as `replayed`, which changes nothing here.

Blocking (SQLAlchemy): `heard` and `reply` run on ingest's store thread, the rest in worker threads.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from backoffice.models import Command, Kiosk
from wire import messages, signing, topics
from wire.commands import NAMES, SPECS, check_args
from wire.errors import WireError

log = structlog.get_logger("backoffice.commands")

STATES = ("pending", "sent", "done", "failed", "refused", "expired")
WAITING = ("pending", "sent")
OFFLINE = ("lost", "disconnected")  # a kiosk in these states gets its commands when its next birth arrives
RETRIED = ("rate_limited",)  # refusals that say "later": the command keeps waiting and is sent again
MAX_REASON = 500
MAX_RESEND_S = 300.0


class CommandError(Exception):
    """A command the console cannot create: `status` is the HTTP answer, `field` the input at fault."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def needed_role(name: str, args: dict) -> str:
    """Every command needs an operator; `force` ends a citizen's visit, so it needs an administrator."""
    return "admin" if args.get("force") is True else "operator"


# ------------------------------------------------------------------------ the key
def key_path(key_file: Path, var_dir: Path) -> Path:
    return key_file if key_file.is_absolute() else var_dir / key_file


def ensure_key(path: Path) -> Ed25519PrivateKey:
    """The signing key at `path`, made (mode 0600, with its public half beside it) when there is none."""
    if not path.exists():
        private, public = signing.generate_keypair()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private)
        path.with_suffix(".pub").write_bytes(public)
        log.warning("commands.key_created", path=str(path),
                    detail="kiosks obey commands once they trust its public key: backoffice keys export-public")
    return signing.load_private_key(path)


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# ----------------------------------------------------------------- the component
class Commands:
    def __init__(self, engine: Engine, key: Ed25519PrivateKey, publish: Callable[[str, bytes], bool], *,
                 ttl_s: float = 900, resend_s: float = 5.0, clock: Callable[[], float] = time.time):
        self.engine, self.key, self.publish = engine, key, publish
        self.ttl_s, self.resend_s, self.clock = ttl_s, resend_s, clock
        self._waiting: set[str] = set()  # kiosks with unanswered commands, refreshed by every sweep
        self._born: set[str] = set()  # kiosks whose birth arrived and whose first health has not

    # -------------------------------------------------------------- the console
    def create(self, kiosk_id: str, name: str, args, reason, actor: str) -> dict:
        """Check, store and (if the kiosk is online) send a command; a CommandError names the bad input."""
        if name not in NAMES:
            raise CommandError(400, "name", f"unknown command; known: {', '.join(NAMES)}")
        if not isinstance(args, dict):
            raise CommandError(400, "args", "args must be an object")
        try:
            args = check_args(name, args)
        except WireError as exc:
            raise CommandError(400, "args", exc.detail) from None
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise CommandError(400, "reason", "a reason is required")
        if len(reason) > MAX_REASON:
            raise CommandError(400, "reason", f"at most {MAX_REASON} characters")
        now = self.clock()
        with Session(self.engine) as s, s.begin():
            kiosk = s.get(Kiosk, kiosk_id)
            if kiosk is None:
                raise CommandError(404, "kiosk", "no such kiosk")
            row = Command(id=secrets.token_hex(16), kiosk_id=kiosk_id, name=name, args=args, reason=reason,
                          actor=actor[:64], created=now, expires=now + self.ttl_s, state="pending", sends=0)
            s.add(row)
            online, command_id = kiosk.state not in OFFLINE, row.id
        self._waiting.add(kiosk_id)
        log.info("command.created", id=command_id, kiosk=kiosk_id, cmd=name, actor=actor[:64])
        if online:  # stored first: an answer can come back before this call returns
            self._send_waiting(select(Command).where(Command.id == command_id), force=True)
        return self.get(command_id)

    def list(self, kiosk_id: str, limit: int = 50) -> list[dict]:
        with Session(self.engine) as s:
            rows = s.scalars(select(Command).where(Command.kiosk_id == kiosk_id)
                             .order_by(Command.created.desc()).limit(limit))
            return [as_dict(r) for r in rows]

    def timeline(self, kiosk_id: str, since: float, limit: int = 200) -> list[dict]:
        """The kiosk page's timeline entries: each command sent, answered (done, failed, refused) or expired,
        at the time it happened, with who sent it and why."""
        with Session(self.engine) as s:
            rows = s.scalars(select(Command).where(Command.kiosk_id == kiosk_id, Command.created >= since)
                             .order_by(Command.created.desc()).limit(limit)).all()
        out: list[dict] = []
        for r in rows:
            subject = f"{r.name} · {r.actor}: {r.reason}"
            if r.sent_at is not None:
                out.append({"at": r.sent_at, "kind": "command_sent", "subject": subject})
            if r.state in ("done", "failed", "refused") and r.answered_at is not None:
                out.append({"at": r.answered_at, "kind": "command_answered", "subject": f"{r.name}: {r.state}"})
            elif r.state == "expired":
                out.append({"at": r.expires, "kind": "command_expired", "subject": subject})
        return out

    def get(self, command_id: str) -> dict | None:
        with Session(self.engine) as s:
            row = s.get(Command, command_id)
            return as_dict(row) if row else None

    # ----------------------------------------------------------- ingest's thread
    def heard(self, kiosk_id: str, msg) -> None:
        """A birth, state or health stored: after a birth, the first health sends what waited."""
        if isinstance(msg, messages.Birth):
            self._born.add(kiosk_id)
        elif isinstance(msg, messages.Health) and kiosk_id in self._born:
            self._born.discard(kiosk_id)
            if kiosk_id in self._waiting:
                self._send_waiting(select(Command).where(Command.kiosk_id == kiosk_id), force=True)

    def reply(self, kiosk_id: str, msg: messages.Result | messages.Refused | messages.Failed) -> bool:
        """The kiosk's answer; False when it answers nothing this back office sent it (counted by ingest)."""
        if msg.id is None or isinstance(msg, messages.Refused) and msg.refused == "replayed":
            return False
        with Session(self.engine) as s, s.begin():
            row = s.get(Command, msg.id)
            if row is None or row.kiosk_id != kiosk_id or row.state not in (*WAITING, "expired"):
                return False
            if isinstance(msg, messages.Refused) and msg.refused in RETRIED:
                row.result = {"refused": msg.refused, "error": msg.error, "retrying": True}  # shown, still waiting
                return True
            row.state, row.result = _outcome(row.name, msg)
            row.answered_at = self.clock()
            log.info("command.answered", id=row.id, kiosk=kiosk_id, cmd=row.name, state=row.state)
            return True

    # ------------------------------------------------------------------ the sweep
    def sweep(self) -> None:
        """Expire what is overdue; send what waits for a kiosk that is online and is due."""
        now = self.clock()
        with Session(self.engine) as s, s.begin():
            expired = s.execute(update(Command).where(Command.state.in_(WAITING), Command.expires <= now)
                                .values(state="expired").returning(Command.id, Command.kiosk_id)).all()
        for command_id, kiosk_id in expired:
            log.info("command.expired", id=command_id, kiosk=kiosk_id)
        self._send_waiting(select(Command))
        with Session(self.engine) as s:
            self._waiting = set(s.scalars(select(Command.kiosk_id).where(Command.state.in_(WAITING)).distinct()))

    def _send_waiting(self, query, force: bool = False) -> None:
        """Each due command is marked sent before it is published (an answer may overtake the write),
        and only if it still waits: an answer that arrived meanwhile is never overwritten."""
        now = self.clock()
        with Session(self.engine) as s:
            rows = s.execute(query.where(Command.state.in_(WAITING), Command.expires > now)
                             .join(Kiosk, Kiosk.id == Command.kiosk_id).add_columns(Kiosk.state)).all()
            due = [row for row, kiosk_state in rows if kiosk_state not in OFFLINE and (force or self._due(row, now))]
            envelopes = [(row.id, row.sends, row.kiosk_id, self._envelope(row)) for row in due]
        for command_id, sends, kiosk_id, envelope in envelopes:
            with Session(self.engine) as s, s.begin():
                marked = s.execute(update(Command).where(Command.id == command_id, Command.state.in_(WAITING))
                                   .values(state="sent", sends=Command.sends + 1, sent_at=now)).rowcount
            if marked and not self.publish(topics.topic(kiosk_id, topics.CMD), envelope):
                with Session(self.engine) as s, s.begin():  # not handed to the broker: it waits again
                    s.execute(update(Command).where(Command.id == command_id, Command.state == "sent")
                              .values(state="pending" if sends == 0 else "sent", sends=sends))

    def _due(self, row: Command, now: float) -> bool:
        return row.sent_at is None or now - row.sent_at >= min(MAX_RESEND_S, self.resend_s * 2 ** max(0, row.sends - 1))

    def _envelope(self, row: Command) -> bytes:
        return json.dumps(signing.sign(self.key, kiosk=row.kiosk_id, cmd=row.name, args=row.args,
                                       issued_at=int(row.created), expires_at=int(row.expires),
                                       command_id=row.id)).encode()


def _outcome(name: str, msg) -> tuple[str, dict]:
    if isinstance(msg, messages.Refused):
        return "refused", {"refused": msg.refused, "error": msg.error}
    if isinstance(msg, messages.Failed):
        return "failed", {"error": msg.error}
    try:
        SPECS[name].decode_result(msg.result)
    except WireError as exc:
        return "failed", {"error": f"the kiosk's answer does not fit the contract: {exc.at}"}
    return "done", msg.result


def as_dict(row: Command) -> dict:
    return {"id": row.id, "kiosk": row.kiosk_id, "name": row.name, "args": row.args, "reason": row.reason,
            "actor": row.actor, "created": row.created, "expires": row.expires, "state": row.state,
            "sends": row.sends, "sent_at": row.sent_at, "answered_at": row.answered_at, "result": row.result}
