"""Commands on the web: the API (/api/v1/kiosks/{id}/commands), the console's form and list, and the part's life.

Who may send what is decided in one place (backoffice.commands.needed_role): every command needs an
operator, and `force` (which ends a citizen's visit) an administrator. A reason is required. Each command
created is written to the audit log with its actor, kiosk, name, arguments and reason.
"""
from __future__ import annotations

import asyncio
import contextlib
import json

import structlog
from aiohttp import web

from backoffice import audit
from backoffice.auth import USER, allows, require
from backoffice.commands import CommandError, Commands, ensure_key, key_path, needed_role
from backoffice.keys import COMMANDS, CONFIG, ENGINE, INGEST
from backoffice.web import i18n, render
from wire.commands import NAMES

log = structlog.get_logger("backoffice.commands")
SWEEP_S = 1.0
FORCEABLE = ("restart", "maintenance_on")  # the commands whose contract has a `force` argument

i18n.add({
    "commands.title": {"zh-CN": "远程指令", "en": "Commands"},
    "commands.send": {"zh-CN": "发送指令", "en": "Send command"},
    "commands.name": {"zh-CN": "指令", "en": "Command"},
    "commands.reason": {"zh-CN": "原因（必填）", "en": "Reason (required)"},
    "commands.force": {"zh-CN": "立即执行（中断正在办理的业务，需管理员）",
                       "en": "Now (ends a citizen's visit; administrators only)"},
    "commands.none": {"zh-CN": "尚无指令", "en": "No commands yet"},
    "commands.created": {"zh-CN": "时间", "en": "Created"},
    "commands.actor": {"zh-CN": "操作人", "en": "By"},
    "commands.state": {"zh-CN": "状态", "en": "State"},
    "commands.result": {"zh-CN": "结果", "en": "Result"},
    "commands.cmd.ping": {"zh-CN": "连通测试 (ping)", "en": "Ping"},
    "commands.cmd.restart": {"zh-CN": "重启", "en": "Restart"},
    "commands.cmd.reload_flows": {"zh-CN": "重新加载事项", "en": "Reload flows"},
    "commands.cmd.maintenance_on": {"zh-CN": "进入维护", "en": "Maintenance on"},
    "commands.cmd.maintenance_off": {"zh-CN": "退出维护", "en": "Maintenance off"},
    "commands.state.pending": {"zh-CN": "等待设备上线", "en": "Waiting for the kiosk"},
    "commands.state.sent": {"zh-CN": "已发送", "en": "Sent"},
    "commands.state.done": {"zh-CN": "已完成", "en": "Done"},
    "commands.state.failed": {"zh-CN": "执行失败", "en": "Failed"},
    "commands.state.refused": {"zh-CN": "被设备拒绝", "en": "Refused by the kiosk"},
    "commands.state.expired": {"zh-CN": "已过期", "en": "Expired"},
})


# ------------------------------------------------------------------------------ API
@require("viewer")
async def api_list(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(request.app[COMMANDS].list, request.match_info["kiosk"])
    return web.json_response({"commands": rows})


@require("operator")
async def api_create(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "body", "not JSON")
    if not isinstance(body, dict):
        return _error(400, "body", "must be an object")
    try:
        row = await _create(request, body.get("name"), body.get("args", {}), body.get("reason"))
    except CommandError as exc:
        return _error(exc.status, exc.field, exc.message)
    return web.json_response(row, status=201)


def _error(status: int, field: str, message: str) -> web.Response:
    return web.json_response({"error": message, "field": field}, status=status)


async def _create(request: web.Request, name, args, reason) -> dict:
    """Permission first (by what the command would do), then the command, then the audit entry."""
    user = request[USER]
    if isinstance(args, dict) and not allows(user.role, needed_role(str(name), args)):
        raise CommandError(403, "args", "force needs the admin role")
    row = await asyncio.to_thread(request.app[COMMANDS].create, request.match_info["kiosk"], name, args, reason,
                                  user.name)
    await asyncio.to_thread(audit.record, request.app[ENGINE], user.name, "command.create", row["kiosk"],
                            {"id": row["id"], "name": row["name"], "args": row["args"], "reason": row["reason"]})
    return row


# ---------------------------------------------------------------------------- pages
def context(request: web.Request, kiosk_id: str, rows: list[dict], error: str | None = None) -> dict:
    """What kiosk_commands.html needs, for any page that includes it (the kiosk's own page does)."""
    return {"kiosk_id": kiosk_id, "commands": rows, "command_names": NAMES, "forceable": FORCEABLE,
            "command_error": error, "back": request.path}


@require("viewer")
async def page(request: web.Request) -> web.Response:
    kiosk_id = request.match_info["kiosk"]
    rows = await asyncio.to_thread(request.app[COMMANDS].list, kiosk_id)
    return render(request, "kiosk_commands_page.html", **context(request, kiosk_id, rows))


@require("operator")
async def page_create(request: web.Request) -> web.Response:
    """The form's POST (the CSRF check is the sign-in middleware's); back to the page it came from."""
    form = await request.post()
    kiosk_id = request.match_info["kiosk"]
    args = {"force": True} if form.get("force") == "on" and form.get("name") in FORCEABLE else {}
    try:
        await _create(request, form.get("name"), args, form.get("reason"))
    except CommandError as exc:
        rows = await asyncio.to_thread(request.app[COMMANDS].list, kiosk_id)
        return render(request, "kiosk_commands_page.html", status=exc.status,
                      **context(request, kiosk_id, rows, exc.message))
    back = str(form.get("back", ""))
    if not (back.startswith(f"/kiosks/{kiosk_id}") and "//" not in back):  # never a redirect off the console
        back = f"/kiosks/{kiosk_id}/commands"
    raise web.HTTPSeeOther(back)


# ----------------------------------------------------------------------- lifecycle
async def _sweep(book: Commands) -> None:
    while True:
        try:
            await asyncio.to_thread(book.sweep)
        except Exception:  # a database hiccup must not end the sweeps; the next one tries again
            log.exception("commands.sweep_failed")
        await asyncio.sleep(SWEEP_S)


_TASKS = web.AppKey("commands_tasks", list)


def setup(app: web.Application) -> None:
    """The key is read (or made) here, once: a back office that cannot sign says so before it serves."""
    cfg = app[CONFIG].commands
    book = Commands(app[ENGINE], ensure_key(key_path(cfg.key_file, app[CONFIG].var_dir)), app[INGEST].publish,
                    ttl_s=cfg.ttl_s, resend_s=cfg.resend_s)
    app[COMMANDS], app[_TASKS] = book, []
    app[INGEST].listeners.append(book)

    async def start(app: web.Application) -> None:
        app[_TASKS].append(asyncio.create_task(_sweep(book), name="backoffice-commands"))

    async def stop(app: web.Application) -> None:
        for task in app[_TASKS]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if book in app[INGEST].listeners:
            app[INGEST].listeners.remove(book)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_get("/api/v1/kiosks/{kiosk}/commands", api_list)
    app.router.add_post("/api/v1/kiosks/{kiosk}/commands", api_create)
    app.router.add_get("/kiosks/{kiosk}/commands", page)
    app.router.add_post("/kiosks/{kiosk}/commands", page_create)
