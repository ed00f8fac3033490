"""The accounts component: accounts, sessions, tokens and the sign-in limits, built once per application.

The clocks are parameters so that tests can move time (a lockout window, a session's expiry) without
sleeping: `clock` is the wall clock for what is stored, `monotonic` for the in-memory rate limits.
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable

from sqlalchemy import Engine

from backoffice.auth.accounts import Accounts
from backoffice.auth.ratelimit import Limiter
from backoffice.auth.sessions import Sessions
from backoffice.auth.tokens import Tokens
from backoffice.config import Config

CONCURRENT_CHECKS = 2


class Auth:
    def __init__(self, engine: Engine, cfg: Config, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic):
        self.engine, self.cfg = engine, cfg.auth
        self.secure_cookies = cfg.server.secure_cookies
        self.trusted_proxies = frozenset(cfg.server.trusted_proxies)
        self.accounts = Accounts(engine, cfg.auth, clock)
        self.sessions = Sessions(engine, cfg.auth, clock)
        self.tokens = Tokens(engine, clock)
        self.per_address = Limiter(cfg.auth.attempts_per_address, monotonic)
        self.per_account = Limiter(cfg.auth.attempts_per_account, monotonic)
        # A password check takes 64 MiB and a core for a tenth of a second or more: a burst of sign-ins
        # queues here instead of starving ingest of CPU and the server of memory.
        self.password_checks = asyncio.Semaphore(CONCURRENT_CHECKS)
