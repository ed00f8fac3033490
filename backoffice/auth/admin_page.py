"""/accounts: the administrator's view of who can use the console, and the few changes that need no password.

Accounts are created and given passwords from the server's shell (`backoffice users`), where a password
never crosses the network; here an administrator sees every account and token and can disable, enable or
unlock an account and revoke a token at once, each audited under their own name.
"""
from __future__ import annotations

import asyncio
import time

from aiohttp import web

from backoffice.auth import USER, require
from backoffice.auth.accounts import AccountError
from backoffice.keys import AUTH
from backoffice.web import i18n, render

ACTIONS = ("disable", "enable", "unlock")


@require("admin")
async def page(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    accounts, tokens = await asyncio.gather(asyncio.to_thread(auth.accounts.list), asyncio.to_thread(auth.tokens.list))
    now = time.time()
    return render(request, "accounts.html", accounts=accounts, tokens=tokens, now=now,
                  when=lambda at: time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "—")


@require("admin")
async def change_account(request: web.Request) -> web.Response:
    auth, user = request.app[AUTH], request[USER]
    name, action = request.match_info["name"], request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    if name == user.name and action == "disable":
        raise web.HTTPBadRequest(text="you cannot disable your own account here")
    change = {"disable": lambda: auth.accounts.set_disabled(name, True, actor=user.name),
              "enable": lambda: auth.accounts.set_disabled(name, False, actor=user.name),
              "unlock": lambda: auth.accounts.unlock(name, actor=user.name)}[action]
    try:
        await asyncio.to_thread(change)
    except AccountError as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    raise web.HTTPFound("/accounts")


@require("admin")
async def revoke_token(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    try:
        await asyncio.to_thread(auth.tokens.revoke, request.match_info["name"], actor=request[USER].name)
    except AccountError as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    raise web.HTTPFound("/accounts")


def setup(app: web.Application) -> None:
    app.router.add_get("/accounts", page)
    app.router.add_post("/accounts/{name}/{action}", change_account)
    app.router.add_post("/tokens/{name}/revoke", revoke_token)


i18n.add({
    "nav.accounts": {"zh-CN": "账户", "en": "Accounts"},
    "accounts.title": {"zh-CN": "账户与令牌", "en": "Accounts and tokens"},
    "accounts.hint": {"zh-CN": "新建账户和设置密码请在服务器上使用 backoffice users 命令。",
                      "en": "Create accounts and set passwords on the server with `backoffice users`."},
    "accounts.name": {"zh-CN": "名称", "en": "Name"},
    "accounts.role": {"zh-CN": "角色", "en": "Role"},
    "accounts.state": {"zh-CN": "状态", "en": "State"},
    "accounts.last_login": {"zh-CN": "最近登录", "en": "Last sign-in"},
    "accounts.active": {"zh-CN": "正常", "en": "Active"},
    "accounts.disabled": {"zh-CN": "已停用", "en": "Disabled"},
    "accounts.locked": {"zh-CN": "已锁定", "en": "Locked"},
    "accounts.default_password": {"zh-CN": "默认密码", "en": "Default password"},
    "accounts.disable": {"zh-CN": "停用", "en": "Disable"},
    "accounts.enable": {"zh-CN": "启用", "en": "Enable"},
    "accounts.unlock": {"zh-CN": "解锁", "en": "Unlock"},
    "accounts.tokens": {"zh-CN": "API 令牌", "en": "API tokens"},
    "accounts.prefix": {"zh-CN": "前缀", "en": "Prefix"},
    "accounts.expires": {"zh-CN": "到期", "en": "Expires"},
    "accounts.last_used": {"zh-CN": "最近使用", "en": "Last used"},
    "accounts.revoke": {"zh-CN": "吊销", "en": "Revoke"},
    "accounts.none": {"zh-CN": "无", "en": "None"},
})
