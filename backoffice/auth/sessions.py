"""Server-side sessions: the cookie carries a random token, the table its hash, the user and a CSRF token.

A session ends when unused for `session_idle_minutes`, `session_max_hours` after sign-in, at sign-out,
and when its account's password, role or disabled flag changes (accounts.py deletes its rows). The role is
read from the account on every request, so a change applies at once.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from backoffice.auth.accounts import Principal
from backoffice.config import AuthConfig
from backoffice.models import User, WebSession

TOUCH_EVERY = 60  # seconds: last_seen is written at most this often, not on every request


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Current:
    user: Principal
    csrf: str


class Sessions:
    def __init__(self, engine: Engine, cfg: AuthConfig, clock: Callable[[], float] = time.time):
        self.engine, self.cfg, self.clock = engine, cfg, clock

    def create(self, name: str, address: str) -> str:
        """A new session for a signed-in account; the returned token goes in the cookie and nowhere else."""
        token, now = secrets.token_urlsafe(32), self.clock()
        with Session(self.engine) as s, s.begin():
            user_id = s.scalar(select(User.id).where(User.name == name))
            s.add(WebSession(id=digest(token), user_id=user_id, csrf=secrets.token_urlsafe(32), created_at=now,
                             last_seen=now, address=address[:64]))
        return token

    def resolve(self, token: str) -> Current | None:
        now = self.clock()
        with Session(self.engine) as s:
            row = s.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                            .where(WebSession.id == digest(token))).first()
        if row is None:
            return None
        sess, user = row
        if (user.disabled or now - sess.last_seen > self.cfg.session_idle_minutes * 60
                or now - sess.created_at > self.cfg.session_max_hours * 3600):
            self.end(token)
            return None
        if now - sess.last_seen > TOUCH_EVERY:
            with Session(self.engine) as s, s.begin():
                s.execute(update(WebSession).where(WebSession.id == sess.id).values(last_seen=now))
        return Current(Principal(user.name, user.role), sess.csrf)

    def end(self, token: str) -> None:
        with Session(self.engine) as s, s.begin():
            s.execute(delete(WebSession).where(WebSession.id == digest(token)))

    def purge(self) -> int:
        """Drop expired sessions (their cookies would be refused anyway); returns how many."""
        now = self.clock()
        with Session(self.engine) as s, s.begin():
            return s.execute(delete(WebSession).where(
                (WebSession.last_seen < now - self.cfg.session_idle_minutes * 60)
                | (WebSession.created_at < now - self.cfg.session_max_hours * 3600))).rowcount
