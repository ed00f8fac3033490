"""API tokens for other systems: named, with a role, shown once at creation, kept only as a hash, revocable.

A token is 32 random bytes (`bo_` + URL-safe base64): far beyond guessing, so a fast SHA-256 at rest is
enough, and a lookup by hash costs one indexed read per API call.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from backoffice import audit
from backoffice.auth.accounts import AccountError, Principal, check_name, check_role
from backoffice.auth.sessions import TOUCH_EVERY, digest
from backoffice.models import ApiToken

PREFIX = "bo_"


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: str
    prefix: str
    created_at: float
    created_by: str
    expires_at: float | None
    last_used_at: float | None


class Tokens:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time):
        self.engine, self.clock = engine, clock

    def issue(self, name: str, role: str, *, actor: str, days: float | None = None) -> str:
        """The new token: the only time it exists in clear."""
        check_name(name), check_role(role)
        token, now = PREFIX + secrets.token_urlsafe(32), self.clock()
        with Session(self.engine) as s, s.begin():
            if s.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
                raise AccountError(f"token {name!r} exists: revoke it first or choose another name")
            s.add(ApiToken(name=name, role=role, token_hash=digest(token), prefix=token[:10], created_at=now,
                           created_by=actor[:120], expires_at=now + days * 86400 if days else None))
        audit.record(self.engine, actor, "token.add", name, {"role": role, "days": days})
        return token

    def resolve(self, token: str) -> Principal | None:
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        now = self.clock()
        with Session(self.engine) as s:
            row = s.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
            s.expunge_all()
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            with Session(self.engine) as s, s.begin():
                s.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        return Principal(f"token:{row.name}", row.role, via="token")

    def revoke(self, name: str, *, actor: str) -> None:
        with Session(self.engine) as s, s.begin():
            if not s.execute(delete(ApiToken).where(ApiToken.name == name)).rowcount:
                raise AccountError(f"no token {name!r}")
        audit.record(self.engine, actor, "token.revoke", name)

    def list(self) -> list[TokenInfo]:
        with Session(self.engine) as s:
            return [TokenInfo(t.name, t.role, t.prefix, t.created_at, t.created_by, t.expires_at, t.last_used_at)
                    for t in s.scalars(select(ApiToken).order_by(ApiToken.name))]
