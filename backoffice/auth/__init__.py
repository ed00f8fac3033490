"""Who may do what on the console. Roles are ordered: each includes the ones before it.

`require(role)` wraps a handler; the sign-in middleware (accounts, sessions, CSRF) sets request["user"].
Until an account exists for the request the decorator refuses it.
"""
from __future__ import annotations

import functools

from aiohttp import web

ROLES = ("viewer", "operator", "admin")


def allows(role: str | None, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def require(needed: str):
    def wrap(handler):
        @functools.wraps(handler)
        async def checked(request: web.Request):
            user = request.get("user")
            if user is None:
                if request.path.startswith("/api/"):
                    raise web.HTTPUnauthorized(text='{"error": "sign in or send a token"}',
                                               content_type="application/json")
                raise web.HTTPFound(f"/login?next={request.path_qs}")
            if not allows(user.role, needed):
                raise web.HTTPForbidden(text=f"needs the {needed} role")
            return await handler(request)
        return checked
    return wrap
