"""Who may do what on the console. The ladder roles are ordered: each includes the ones before it.

`agent` (the help desk's staff, #13) stands beside the ladder, not on it: an agent answers citizens' calls
and works callbacks, and may not read the fleet nor send commands; an administrator holds it too, to
supervise. `@require("agent")` admits agents and administrators; `@require("viewer")` does not admit agents.

`require(role)` wraps a handler; the sign-in middleware (backoffice.auth.signin: sessions, API tokens, CSRF)
sets request[USER] (and request[CSRF] for a session). A request with no user is sent to /login (pages) or answered 401 (/api/).
`public` marks a handler that deliberately needs no account; a test checks that every route is one or the
other, so a forgotten check cannot ship. A new role is one entry in ROLES (and its texts); nothing else
names the roles.
"""
from __future__ import annotations

import functools
from typing import Protocol

from aiohttp import web

LADDER = ("viewer", "operator", "admin")
BESIDE = {"agent": ("agent", "admin")}  # a role beside the ladder -> the roles that hold it
ROLES = (*LADDER, *BESIDE)
MARK = "__backoffice_role__"  # the role a handler requires; None for public handlers


class Caller(Protocol):
    """Who is making a request (backoffice.auth.accounts.Principal), as require() and the pages read it."""
    name: str
    role: str
    via: str  # "session" or "token"


# What the sign-in middleware puts on a request: typed keys, so aiohttp (3.14 warns on plain strings) and a type
# checker both know them. They live here, beside require(), and not in backoffice.keys: that module imports the
# auth service, which would import this package back.
USER: web.RequestKey[Caller] = web.RequestKey("user")
CSRF = web.RequestKey("csrf", str)  # the session's CSRF token; absent for an API token


def allows(role: str | None, needed: str) -> bool:
    if needed in BESIDE:
        return role in BESIDE[needed]
    return role in LADDER and LADDER.index(role) >= LADDER.index(needed)


def require(needed: str):
    if needed not in ROLES:
        raise ValueError(f"unknown role {needed!r}")

    def wrap(handler):
        @functools.wraps(handler)
        async def checked(request: web.Request):
            user = request.get(USER)
            if user is None:
                if request.path.startswith("/api/"):
                    raise web.HTTPUnauthorized(text='{"error": "sign in or send a token"}',
                                               content_type="application/json",
                                               headers={"WWW-Authenticate": 'Bearer realm="backoffice"'})
                raise web.HTTPFound(f"/login?next={request.path_qs}")
            if not allows(user.role, needed):
                raise web.HTTPForbidden(text=f"needs the {needed} role")
            return await handler(request)
        setattr(checked, MARK, needed)
        return checked
    return wrap


def public(handler):
    """For handlers anyone may reach (the sign-in page, the API's description): said out loud, not forgotten."""
    setattr(handler, MARK, None)
    return handler
