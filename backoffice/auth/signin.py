"""Signing in and out, and the middleware that says who is asking.

A request is authenticated by `Authorization: Bearer <token>` (API tokens, for other systems; exempt from
CSRF because a browser never adds that header by itself) or by the session cookie. A state-changing request
from a session must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`). The sign-in
form, which has no session yet, is guarded by a double-submit token in a short-lived cookie.

The cookie is HttpOnly, SameSite=Lax (a link from an alert e-mail opens the console signed in; CSRF tokens
guard every change) and Secure over https or with `server.secure_cookies`.
"""
from __future__ import annotations

import asyncio
import hmac
import secrets

import structlog
from aiohttp import web
from sqlalchemy.exc import OperationalError

from backoffice import freshness
from backoffice.audit import record
from backoffice.auth import CSRF, USER, public
from backoffice.auth.accounts import StartRefused
from backoffice.auth.demo import ensure_demo_accounts
from backoffice.auth.service import Auth
from backoffice.keys import AUTH, CONFIG, ENGINE
from backoffice.web import i18n, render

log = structlog.get_logger("backoffice.auth")
COOKIE = "bo_session"
LOGIN_COOKIE = "bo_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@web.middleware
async def authenticate(request: web.Request, handler):
    """Who is asking. While the database is unreachable no one can be told apart: 503 with the data's
    freshness, never a 500 or a sign-in page that cannot work."""
    try:
        return await _authenticate(request, handler)
    except OperationalError:
        return web.json_response({"error": "database unreachable", "freshness": freshness.status(request.app)},
                                 status=503)


async def _authenticate(request: web.Request, handler):
    auth = request.app[AUTH]
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        user = await asyncio.to_thread(auth.tokens.resolve, value.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise web.HTTPUnauthorized(text='{"error": "unknown, expired or revoked token"}',
                                       content_type="application/json",
                                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        request[USER] = user
        return await handler(request)
    token = request.cookies.get(COOKIE)
    current = await asyncio.to_thread(auth.sessions.resolve, token) if token else None
    if current is not None:
        request[USER], request[CSRF] = current.user, current.csrf
        if request.method not in SAFE_METHODS and not await _carries(request, current.csrf):
            log.warning("auth.csrf_refused", path=request.path)
            raise web.HTTPForbidden(text="missing or wrong CSRF token: reload the page and try again")
    return await handler(request)


async def _carries(request: web.Request, expected: str) -> bool:
    """The request's CSRF token (header first; the form field only for form bodies) equals `expected`."""
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in FORM_TYPES:
        given = (await request.post()).get("csrf")  # cached: the handler reads the same form again
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def client_address(request: web.Request) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last address it did not add itself."""
    peer = request.remote or ""
    trusted = request.app[AUTH].trusted_proxies
    if peer not in trusted:
        return peer
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        hop = hop.strip()
        if hop and hop not in trusted:
            return hop[:64]
    return peer


def _local(target: str | None) -> str:
    """Only a path on this console: /login?next=https://evil.example must not send anyone away."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_page(request: web.Request, status: int = 200, error: str = "", name: str = "",
                next_path: str | None = None) -> web.Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", status=status, error=error, nonce=request.get(CSRF) or nonce,
                      next=_local(next_path or request.query.get("next")), name=name)
    response.set_cookie(LOGIN_COOKIE, nonce, path="/login", max_age=3600, httponly=True, samesite="Strict",
                        secure=_secure(request))
    return response


def _secure(request: web.Request) -> bool:
    return request.secure or request.app[AUTH].secure_cookies


@public
async def login_form(request: web.Request) -> web.Response:
    if request.get(USER) is not None and request.get(CSRF):
        raise web.HTTPFound(_local(request.query.get("next")))
    return _login_page(request)


@public
async def login(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    form = await request.post()
    name, password = str(form.get("name", ""))[:64].strip(), str(form.get("password", ""))[:1024]
    next_path = _local(str(form.get("next", "/")))
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if request.get(CSRF) is None and not (nonce and hmac.compare_digest(str(form.get("csrf", "")), nonce)):
        raise web.HTTPForbidden(text="missing or wrong CSRF token: reload the sign-in page and try again")
    address = client_address(request)
    by_address, by_name = auth.per_address.hit(address), auth.per_account.hit(name.casefold())
    if by_address > auth.per_address.per_window or by_name > auth.per_account.per_window:
        if by_address == auth.per_address.per_window + 1 or by_name == auth.per_account.per_window + 1:
            # once per flood, not once per refused attempt: a flood must not fill the audit log
            await asyncio.to_thread(record, auth.engine, name, "login.rate_limited", name,
                                    {"address": address, "by": "address" if by_address > auth.per_address.per_window
                                     else "name"})
        return _login_page(request, 429, "login.too_many", name, next_path)
    async with auth.password_checks:
        result = await asyncio.to_thread(auth.accounts.sign_in, name, password, address=address)
    if result.user is None:
        return _login_page(request, 403, "login.failed", name, next_path)
    if old := request.cookies.get(COOKIE):
        await asyncio.to_thread(auth.sessions.end, old)  # a fresh session at each sign-in: no fixation
    token = await asyncio.to_thread(auth.sessions.create, result.user.name, address)
    await asyncio.to_thread(auth.sessions.purge)
    response = web.HTTPFound(next_path)
    response.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Lax", secure=_secure(request))
    response.del_cookie(LOGIN_COOKIE, path="/login")
    raise response


@public
async def logout(request: web.Request) -> web.Response:
    """CSRF-checked by the middleware like every POST from a session; with no session it only clears."""
    user, token = request.get(USER), request.cookies.get(COOKIE)
    if user is not None and token and user.via == "session":
        auth = request.app[AUTH]
        await asyncio.to_thread(auth.sessions.end, token)
        await asyncio.to_thread(record, auth.engine, user.name, "logout", user.name,
                                {"address": client_address(request)})
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def _on_startup(app: web.Application) -> None:
    """Production refuses to serve while an enabled account has a known default password; demo mode makes
    sure the demo accounts exist."""
    auth = app[AUTH]
    if auth.cfg.mode == "demo":
        await asyncio.to_thread(ensure_demo_accounts, auth.engine)
        if app[CONFIG].server.host not in ("127.0.0.1", "::1", "localhost"):
            log.warning("auth.demo_mode_on_a_network", host=app[CONFIG].server.host,
                        hint="the demo passwords are public: use mode = production")
        return
    weak = await asyncio.to_thread(auth.accounts.with_default_password)
    if weak:
        raise StartRefused(f"production mode, and these accounts have a known default password: {', '.join(weak)}"
                           " (set one with `backoffice users passwd NAME`, or disable the account)")
    if not await asyncio.to_thread(auth.accounts.list):
        log.warning("auth.no_accounts", hint="create one: backoffice users add NAME --role admin")


def setup(app: web.Application) -> None:
    if AUTH not in app:  # a test may have put in its own, with a clock it moves
        app[AUTH] = Auth(app[ENGINE], app[CONFIG])
    app.middlewares.append(authenticate)
    app.on_startup.append(_on_startup)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)


i18n.add({
    "login.title": {"zh-CN": "登录", "en": "Sign in"},
    "login.name": {"zh-CN": "用户名", "en": "Name"},
    "login.password": {"zh-CN": "密码", "en": "Password"},
    "login.submit": {"zh-CN": "登录", "en": "Sign in"},
    "login.failed": {"zh-CN": "登录失败：请检查用户名和密码。连续多次失败后，登录将暂停一段时间。",
                     "en": "Sign-in failed: check the name and password. After repeated failures, sign-in "
                           "pauses for a while."},
    "login.too_many": {"zh-CN": "尝试次数过多，请一分钟后再试。", "en": "Too many attempts: try again in a minute."},
})
