"""The console's help-desk pages: /helpdesk (queue, agents, figures) and /helpdesk/callbacks (tasks),
and the figures as JSON at /api/v1/helpdesk/metrics. Agents and administrators; the API for viewers too,
as its figures are aggregates with no citizen in them."""
from __future__ import annotations

import asyncio
import time

from aiohttp import web

from backoffice.auth import USER, require
from backoffice.helpdesk import metrics
from backoffice.helpdesk.callbacks import CallbackError, Callbacks
from backoffice.helpdesk.keys import HUB
from backoffice.keys import CONFIG, ENGINE
from backoffice.web import i18n, render

CALLBACKS = web.AppKey("helpdesk_callbacks", Callbacks)


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "-"


@require("agent")
async def desk_page(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG].helpdesk
    snap = await asyncio.to_thread(request.app[HUB].desk.snapshot)
    figures = await asyncio.to_thread(metrics.figures, request.app[ENGINE], cfg.service_level_s,
                                      time.time() - metrics.WINDOW_S)
    return render(request, "helpdesk.html", snap=snap, f=figures, service_level_s=cfg.service_level_s)


@require("agent")
async def callbacks_page(request: web.Request) -> web.Response:
    tasks = await asyncio.to_thread(request.app[CALLBACKS].list)
    return render(request, "helpdesk_callbacks.html", tasks=tasks, now=time.time(), when=_when,
                  revealed=None, revealed_id=None)


def _task_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPBadRequest(text="id: a whole number") from None


@require("agent")
async def open_callback(request: web.Request) -> web.Response:
    """POST (CSRF-checked): the number in clear, on this response only; never in a URL or a log."""
    task_id, cb = _task_id(request), request.app[CALLBACKS]
    try:
        phone = await asyncio.to_thread(cb.open, task_id, request[USER].name)
    except CallbackError as err:
        raise web.HTTPConflict(text=str(err)) from None
    tasks = await asyncio.to_thread(cb.list)
    response = render(request, "helpdesk_callbacks.html", tasks=tasks, now=time.time(), when=_when,
                      revealed=phone, revealed_id=task_id)
    response.headers["Cache-Control"] = "no-store"
    return response


@require("agent")
async def close_callback(request: web.Request) -> web.Response:
    state = str((await request.post()).get("state", ""))
    try:
        await asyncio.to_thread(request.app[CALLBACKS].close, _task_id(request), request[USER].name, state)
    except CallbackError as err:
        raise web.HTTPConflict(text=str(err)) from None
    raise web.HTTPSeeOther("/helpdesk/callbacks")


@require("viewer")
async def metrics_api(request: web.Request) -> web.Response:
    cfg = request.app[CONFIG].helpdesk
    f = await asyncio.to_thread(metrics.figures, request.app[ENGINE], cfg.service_level_s,
                                time.time() - metrics.WINDOW_S)
    body = {k: v for k, v in f.__dict__.items() if k != "quality"}
    body["quality"] = {call: q.__dict__ for call, q in f.quality.items()}
    body["service_level_s"] = cfg.service_level_s
    return web.json_response(body)


def setup(app: web.Application) -> None:
    app.router.add_get("/helpdesk", desk_page)
    app.router.add_get("/helpdesk/callbacks", callbacks_page)
    app.router.add_post("/helpdesk/callbacks/{id}/open", open_callback)
    app.router.add_post("/helpdesk/callbacks/{id}/close", close_callback)
    app.router.add_get("/api/v1/helpdesk/metrics", metrics_api)


i18n.add({
    "nav.helpdesk": {"zh-CN": "视频求助", "en": "Help desk"},
    "helpdesk.title": {"zh-CN": "视频求助服务台", "en": "Video help desk"},
    "helpdesk.queue": {"zh-CN": "排队中的呼叫", "en": "Calls in the queue"},
    "helpdesk.agents": {"zh-CN": "坐席", "en": "Agents"},
    "helpdesk.figures": {"zh-CN": "近 24 小时指标", "en": "Last 24 hours"},
    "helpdesk.kiosk": {"zh-CN": "终端", "en": "Kiosk"},
    "helpdesk.item": {"zh-CN": "事项", "en": "Item"},
    "helpdesk.skill": {"zh-CN": "技能队列", "en": "Queue"},
    "helpdesk.state": {"zh-CN": "状态", "en": "State"},
    "helpdesk.waited": {"zh-CN": "等待（秒）", "en": "Waited (s)"},
    "helpdesk.agent": {"zh-CN": "坐席", "en": "Agent"},
    "helpdesk.idle": {"zh-CN": "持续（秒）", "en": "For (s)"},
    "helpdesk.none_waiting": {"zh-CN": "没有排队的呼叫。", "en": "No call is waiting."},
    "helpdesk.none_on_duty": {"zh-CN": "没有在岗坐席。", "en": "No agent is on duty."},
    "helpdesk.offered": {"zh-CN": "呼入", "en": "Offered"},
    "helpdesk.answered": {"zh-CN": "接通", "en": "Answered"},
    "helpdesk.asa": {"zh-CN": "平均应答时间（秒）", "en": "Average speed of answer (s)"},
    "helpdesk.service_level": {"zh-CN": "服务水平（{s} 秒内接通）", "en": "Service level (answered within {s} s)"},
    "helpdesk.abandon_rate": {"zh-CN": "放弃率", "en": "Abandon rate"},
    "helpdesk.aht": {"zh-CN": "平均处理时长（秒）", "en": "Average handling time (s)"},
    "helpdesk.rona": {"zh-CN": "振铃未接（RONA）", "en": "Rang, no answer (RONA)"},
    "helpdesk.callbacks_target": {"zh-CN": "按时完成的回拨", "en": "Callbacks done within target"},
    "helpdesk.quality": {"zh-CN": "通话质量（往返时延 ms / 丢包 / 帧率）", "en": "Call quality (RTT ms / loss / fps)"},
    "helpdesk.callbacks": {"zh-CN": "回拨任务", "en": "Callbacks"},
    "helpdesk.phone": {"zh-CN": "电话", "en": "Phone"},
    "helpdesk.created": {"zh-CN": "登记时间", "en": "Booked"},
    "helpdesk.target": {"zh-CN": "目标时间", "en": "Target"},
    "helpdesk.assigned": {"zh-CN": "处理人", "en": "Agent"},
    "helpdesk.open": {"zh-CN": "查看号码", "en": "Show number"},
    "helpdesk.done": {"zh-CN": "已回拨", "en": "Done"},
    "helpdesk.failed": {"zh-CN": "未能联系", "en": "Failed"},
    "helpdesk.overdue": {"zh-CN": "已超时", "en": "overdue"},
    "helpdesk.no_callbacks": {"zh-CN": "没有回拨任务。", "en": "No callbacks."},
    "helpdesk.revealed": {"zh-CN": "回拨号码（仅本次显示）：", "en": "Number to call (shown this once):"},
})
