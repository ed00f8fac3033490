"""Console accounts: adding them, changing their passwords, and checking a sign-in with lockout.

The lockout lives in the database (failed_logins, locked_until), so it holds across restarts and across
every worker of one back office. Each change and each sign-in is written to the audit log here, where it
happens, so no caller can forget it. Blocking: call from a thread in async code.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.auth import ROLES
from backoffice.auth import passwords
from backoffice.config import AuthConfig
from backoffice.models import User, WebSession

NAME_MAX = 64


@dataclass(frozen=True)
class Principal:
    """Who is making a request: what `require(role)` reads from request[backoffice.auth.USER]."""
    name: str
    role: str
    via: str = "session"  # or "token"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    disabled: bool
    locked_until: float | None
    default_password: bool
    created_at: float
    last_login_at: float | None


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in. `reason` is for the audit log and tests; the page shows one generic text."""
    user: Principal | None
    reason: str  # ok, bad, locked, lockout, disabled, default


class AccountError(ValueError):
    pass


class StartRefused(Exception):
    """`serve` must not start: in production an account still has a known default password."""


def check_name(name: str) -> str:
    if not name or len(name) > NAME_MAX or not name.isprintable() or name != name.strip():
        raise AccountError(f"an account name is 1 to {NAME_MAX} printable characters, no outer spaces")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role


class Accounts:
    def __init__(self, engine: Engine, cfg: AuthConfig, clock: Callable[[], float] = time.time):
        self.engine, self.cfg, self.clock = engine, cfg, clock

    def add(self, name: str, role: str, password: str, *, actor: str, policy: bool = True) -> None:
        check_name(name), check_role(role)
        if policy:
            passwords.check_policy(name, password, self.cfg.min_password_length)
        now = self.clock()
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(User.id).where(User.name == name)) is not None:
                raise AccountError(f"account {name!r} exists")
            s.add(User(name=name, role=role, password_hash=passwords.hash_password(password),
                       default_password=passwords.is_default(name, password), disabled=False, failed_logins=0,
                       created_at=now, password_changed_at=now))
        audit.record(self.engine, actor, "user.add", name, {"role": role})

    def set_password(self, name: str, password: str, *, actor: str) -> None:
        """A new password also unlocks the account and ends its sessions: whoever had it is signed out."""
        passwords.check_policy(name, password, self.cfg.min_password_length)
        self._change(name, actor, "user.passwd", {}, password_hash=passwords.hash_password(password),
                     default_password=False, failed_logins=0, locked_until=None,
                     password_changed_at=self.clock())

    def set_disabled(self, name: str, disabled: bool, *, actor: str) -> None:
        self._change(name, actor, "user.disable" if disabled else "user.enable", {}, disabled=disabled)

    def unlock(self, name: str, *, actor: str) -> None:
        self._change(name, actor, "user.unlock", {}, failed_logins=0, locked_until=None)

    def set_role(self, name: str, role: str, *, actor: str) -> None:
        self._change(name, actor, "user.role", {"role": check_role(role)}, role=role)

    def _change(self, name: str, actor: str, action: str, detail: dict, **values) -> None:
        with Session(self.engine) as s, s.begin():
            user_id = s.scalar(select(User.id).where(User.name == name))
            if user_id is None:
                raise AccountError(f"no account {name!r}")
            s.execute(update(User).where(User.id == user_id).values(**values))
            s.execute(delete(WebSession).where(WebSession.user_id == user_id))
        audit.record(self.engine, actor, action, name, detail)

    def list(self) -> list[Account]:
        with Session(self.engine) as s:
            return [Account(u.name, u.role, u.disabled, u.locked_until, u.default_password, u.created_at,
                            u.last_login_at) for u in s.scalars(select(User).order_by(User.name))]

    def with_default_password(self) -> list[str]:
        """Enabled accounts whose password is a known default: production refuses to serve while any exist."""
        with Session(self.engine) as s:
            return list(s.scalars(select(User.name).where(User.default_password.is_(True),
                                                          User.disabled.is_(False)).order_by(User.name)))

    def sign_in(self, name: str, password: str, *, address: str) -> SignIn:
        """Check a sign-in. The argon2 check runs outside any transaction (it takes a tenth of a second);
        the failure count is then bumped atomically, so concurrent attempts cannot undercount."""
        now = self.clock()
        with Session(self.engine) as s:
            user = s.scalar(select(User).where(User.name == name[:NAME_MAX]))
            s.expunge_all()
        matches = passwords.verify(user.password_hash if user else None, password)
        who, where = name[:NAME_MAX], {"address": address}
        if user is None:
            return self._refused(who, "bad", where)
        if user.locked_until is not None and user.locked_until > now:
            return self._refused(who, "locked", where)
        if not matches:
            return self._failed(user, where, now)
        if user.disabled:
            return self._refused(who, "disabled", where)
        if self.cfg.mode == "production" and (user.default_password or passwords.is_default(name, password)):
            return self._refused(who, "default", where)
        values: dict = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if passwords.needs_rehash(user.password_hash):
            values["password_hash"] = passwords.hash_password(password)
        with Session(self.engine) as s, s.begin():
            s.execute(update(User).where(User.id == user.id).values(**values))
        audit.record(self.engine, who, "login.success", who, where)
        return SignIn(Principal(user.name, user.role), "ok")

    def _failed(self, user: User, where: dict, now: float) -> SignIn:
        with Session(self.engine) as s, s.begin():
            s.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
            count = s.scalar(select(User.failed_logins).where(User.id == user.id))
            if count >= self.cfg.lockout_failures:
                until = now + self.cfg.lockout_minutes * 60
                s.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=until))
        if count >= self.cfg.lockout_failures:
            audit.record(self.engine, user.name, "login.lockout", user.name,
                         {**where, "failures": count, "minutes": self.cfg.lockout_minutes})
            return SignIn(None, "lockout")
        return self._refused(user.name, "bad", where)

    def _refused(self, who: str, reason: str, where: dict) -> SignIn:
        audit.record(self.engine, who, "login.failure", who, {**where, "reason": reason})
        return SignIn(None, reason)
