"""The demo accounts (`mode = "demo"`): one per role, with passwords printed by `make demo` and documented.

Their passwords are known defaults, so in production they never sign in and `serve` refuses to start while
one of them is enabled.
"""
from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from backoffice.auth.accounts import Accounts
from backoffice.config import AuthConfig
from backoffice.models import User

DEMO_ACCOUNTS = (("viewer", "viewer", "viewer-demo"), ("operator", "operator", "operator-demo"),
                 ("admin", "admin", "admin-demo"))  # (name, role, password)


def ensure_demo_accounts(engine: Engine) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing (an existing one keeps its password); returns all of them
    as (name, role, password), for the demo to print."""
    accounts = Accounts(engine, AuthConfig(mode="demo"))
    with Session(engine) as s:
        present = set(s.scalars(select(User.name)))
    for name, role, password in DEMO_ACCOUNTS:
        if name not in present:
            accounts.add(name, role, password, actor="demo", policy=False)
    return list(DEMO_ACCOUNTS)
