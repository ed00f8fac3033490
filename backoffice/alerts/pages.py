"""The alerts' web part: the /alerts page (live by polling one cheap version query), acknowledgement and
maintenance windows for operators, and /api/v1/alerts. Every change an operator makes is audited."""
from __future__ import annotations

import asyncio
import datetime as dt
import time

from aiohttp import web

from backoffice import audit
from backoffice.alerts.rules import RULES
from backoffice.alerts.service import AlertService
from backoffice.alerts.store import STATUSES, AlertError
from backoffice.auth import USER, allows, require
from backoffice.keys import ALERTS, CONFIG, ENGINE, INGEST
from backoffice.web import i18n, render

POLL_MS = 500  # the page asks for changes this often; an unchanged answer is a 304 of a few bytes


def setup(app: web.Application) -> None:
    app[ALERTS] = AlertService(app[CONFIG].alerts, app[ENGINE])
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)
    app.router.add_get("/alerts", page)
    app.router.add_get("/alerts/rows", rows)
    app.router.add_post("/alerts/{id:\\d{1,9}}/ack", ack_form)
    app.router.add_post("/alerts/windows", window_form)
    app.router.add_post("/alerts/windows/{id:\\d{1,9}}/delete", window_delete_form)
    app.router.add_get("/api/v1/alerts", api_list)
    app.router.add_post("/api/v1/alerts/{id:\\d{1,9}}/ack", api_ack)
    app.router.add_get("/api/v1/maintenance-windows", api_windows)
    app.router.add_post("/api/v1/maintenance-windows", api_add_window)


async def _start(app: web.Application) -> None:
    await app[ALERTS].start(app[INGEST])


async def _stop(app: web.Application) -> None:
    await app[ALERTS].stop()


def _filters(request: web.Request) -> dict:
    q = request.query
    return {"status": q.get("status") if q.get("status") in STATUSES else None,
            "rule": q.get("rule") if q.get("rule") in RULES else None,
            "hall": q.get("hall") or None}


@require("viewer")
async def page(request: web.Request) -> web.Response:
    service = request.app[ALERTS]
    filters = _filters(request)
    alerts, halls, windows, version = await asyncio.gather(
        asyncio.to_thread(service.store.alerts, **filters), asyncio.to_thread(service.store.halls),
        asyncio.to_thread(service.store.windows), asyncio.to_thread(service.store.version))
    return render(request, "alerts.html", alerts=alerts, halls=halls, windows=windows, filters=filters,
                  rules=list(RULES), statuses=STATUSES, when=when, version=version, poll_ms=POLL_MS,
                  can_act=allows(request[USER].role, "operator"))


@require("viewer")
async def rows(request: web.Request) -> web.Response:
    """The table's rows alone; 304 while no alert has changed, so an open page costs one indexed query."""
    service = request.app[ALERTS]
    version = await asyncio.to_thread(service.store.version)
    tag = f'W/"{version}-{i18n.locale_of(request)}-{request[USER].role}"'
    if request.headers.get("If-None-Match") == tag:
        return web.Response(status=304, headers={"ETag": tag})
    alerts = await asyncio.to_thread(service.store.alerts, **_filters(request))
    response = render(request, "alerts_rows.html", alerts=alerts, when=when,
                      can_act=allows(request[USER].role, "operator"))
    response.headers["ETag"], response.headers["Cache-Control"] = tag, "no-cache"
    return response


async def _acknowledge(request: web.Request) -> dict:
    service, user = request.app[ALERTS], request[USER]
    alert_id = int(request.match_info["id"])
    try:
        alert = await asyncio.to_thread(service.store.acknowledge, alert_id, user.name)
    except AlertError as exc:
        raise web.HTTPConflict(text=str(exc)) from None
    if alert["kind"] == "event":
        service.evaluator.forget(alert["kiosk_id"], alert["rule"])
    await asyncio.to_thread(audit.record, request.app[ENGINE], user.name, "alert.acknowledge",
                            target=f"alert/{alert_id}", detail={"kiosk": alert["kiosk_id"], "rule": alert["rule"]})
    return alert


@require("operator")
async def ack_form(request: web.Request) -> web.Response:
    await _acknowledge(request)
    raise web.HTTPSeeOther(_back(request))


@require("operator")
async def api_ack(request: web.Request) -> web.Response:
    return web.json_response({"alert": await _acknowledge(request)})


@require("viewer")
async def api_list(request: web.Request) -> web.Response:
    q = request.query
    try:
        limit = min(max(int(q.get("limit", 500)), 1), 5000)
    except ValueError:
        raise web.HTTPBadRequest(text="limit: must be an integer") from None
    alerts = await asyncio.to_thread(request.app[ALERTS].store.alerts, **_filters(request),
                                     kiosk_id=q.get("kiosk") or None, limit=limit)
    return web.json_response({"alerts": alerts})


# -- maintenance windows ---------------------------------------------------------------------------------------
async def _add_window(request: web.Request, kiosk_id, hall, starts_at: float, ends_at: float, reason: str) -> dict:
    user = request[USER]
    try:
        window = await asyncio.to_thread(request.app[ALERTS].store.add_window, kiosk_id=kiosk_id, hall=hall,
                                         starts_at=starts_at, ends_at=ends_at, reason=reason, user=user.name)
    except AlertError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    await asyncio.to_thread(audit.record, request.app[ENGINE], user.name, "maintenance_window.add",
                            target=f"maintenance_window/{window['id']}",
                            detail={k: window[k] for k in ("kiosk_id", "hall", "starts_at", "ends_at")})
    return window


@require("operator")
async def window_form(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        starts = _local_time(_text(form, "starts")) if _text(form, "starts") else time.time()
        ends = _local_time(_text(form, "ends"))
    except ValueError:
        raise web.HTTPBadRequest(text="starts, ends: a date and time such as 2025-05-01T08:30") from None
    await _add_window(request, _text(form, "kiosk") or None, _text(form, "hall") or None, starts, ends,
                      _text(form, "reason"))
    raise web.HTTPSeeOther("/alerts")


@require("operator")
async def window_delete_form(request: web.Request) -> web.Response:
    window_id = int(request.match_info["id"])
    if await asyncio.to_thread(request.app[ALERTS].store.delete_window, window_id):
        await asyncio.to_thread(audit.record, request.app[ENGINE], request[USER].name, "maintenance_window.delete",
                                target=f"maintenance_window/{window_id}")
    raise web.HTTPSeeOther("/alerts")


@require("viewer")
async def api_windows(request: web.Request) -> web.Response:
    return web.json_response({"windows": await asyncio.to_thread(request.app[ALERTS].store.windows)})


@require("operator")
async def api_add_window(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        starts, ends = float(body.get("starts_at", time.time())), float(body["ends_at"])
        kiosk_id, hall, reason = body.get("kiosk_id"), body.get("hall"), str(body.get("reason", ""))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise web.HTTPBadRequest(text='a JSON object {"kiosk_id" or "hall", "starts_at", "ends_at", "reason"} '
                                      "with times in Unix seconds") from None
    if not isinstance(kiosk_id, (str, type(None))) or not isinstance(hall, (str, type(None))):
        raise web.HTTPBadRequest(text="kiosk_id, hall: strings")
    window = await _add_window(request, kiosk_id, hall, starts, ends, reason)
    return web.json_response({"window": window}, status=201)


# -- helpers -------------------------------------------------------------------------------------------------------
def when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


def _text(form, name: str) -> str:
    """A form field as text; a file upload or a missing field is empty."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _local_time(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()  # naive: the server's local time, as the page shows


def _back(request: web.Request) -> str:
    """Back to the filtered list the operator came from, never to another site."""
    ref = request.headers.get("Referer", "")
    path = ref.split("://", 1)[-1].split("/", 1)[-1] if "://" in ref else ""
    return "/" + path if path.startswith("alerts") else "/alerts"


i18n.add({
    "nav.alerts": {"zh-CN": "告警", "en": "Alerts"},
    "alerts.title": {"zh-CN": "告警", "en": "Alerts"},
    "alerts.status": {"zh-CN": "状态", "en": "Status"},
    "alerts.all": {"zh-CN": "全部", "en": "All"},
    "alerts.hall": {"zh-CN": "网点", "en": "Hall"},
    "alerts.kiosk": {"zh-CN": "设备", "en": "Kiosk"},
    "alerts.rule": {"zh-CN": "规则", "en": "Rule"},
    "alerts.severity": {"zh-CN": "级别", "en": "Severity"},
    "alerts.detail": {"zh-CN": "详情", "en": "Detail"},
    "alerts.raised": {"zh-CN": "发生时间", "en": "Raised"},
    "alerts.changed": {"zh-CN": "最近变化", "en": "Changed"},
    "alerts.by": {"zh-CN": "确认人", "en": "Acknowledged by"},
    "alerts.filter": {"zh-CN": "筛选", "en": "Filter"},
    "alerts.ack": {"zh-CN": "确认", "en": "Acknowledge"},
    "alerts.none": {"zh-CN": "没有符合条件的告警", "en": "No alerts match"},
    "alerts.windows": {"zh-CN": "维护时段（期间不告警）", "en": "Maintenance windows (no alerts raised)"},
    "alerts.window_add": {"zh-CN": "添加维护时段", "en": "Add a window"},
    "alerts.starts": {"zh-CN": "开始（空为现在）", "en": "Starts (empty: now)"},
    "alerts.window_starts": {"zh-CN": "开始", "en": "Starts"},
    "alerts.ends": {"zh-CN": "结束", "en": "Ends"},
    "alerts.reason": {"zh-CN": "原因", "en": "Reason"},
    "alerts.by_whom": {"zh-CN": "设置人", "en": "Set by"},
    "alerts.delete": {"zh-CN": "删除", "en": "Delete"},
    "alerts.no_windows": {"zh-CN": "没有维护时段", "en": "No maintenance windows"},
    "detail.devices": {"zh-CN": "{v}", "en": "{v}"},
    "detail.births": {"zh-CN": "启动 {v} 次", "en": "{v} starts"},
    "detail.minutes": {"zh-CN": "{v} 分钟内", "en": "within {v} min"},
    "detail.free_mib": {"zh-CN": "剩余 {v} MiB", "en": "{v} MiB free"},
    "status.open": {"zh-CN": "未处理", "en": "Open"},
    "status.acknowledged": {"zh-CN": "已确认", "en": "Acknowledged"},
    "status.cleared": {"zh-CN": "已恢复", "en": "Cleared"},
    "severity.warning": {"zh-CN": "警告", "en": "Warning"},
    "severity.critical": {"zh-CN": "严重", "en": "Critical"},
    "rule.offline": {"zh-CN": "离线", "en": "Offline"},
    "rule.paper_low": {"zh-CN": "纸将尽", "en": "Paper low"},
    "rule.paper_out": {"zh-CN": "缺纸", "en": "Paper out"},
    "rule.printer_error": {"zh-CN": "打印机故障", "en": "Printer error"},
    "rule.reader_error": {"zh-CN": "读卡器故障", "en": "Reader error"},
    "rule.out_of_service": {"zh-CN": "暂停服务", "en": "Out of service"},
    "rule.clock_unsynchronized": {"zh-CN": "时钟未同步", "en": "Clock unsynchronised"},
    "rule.disk_low": {"zh-CN": "磁盘空间不足", "en": "Disk low"},
    "rule.state_not_persistent": {"zh-CN": "数据未持久保存", "en": "State not persistent"},
    "rule.restart_loop": {"zh-CN": "反复重启", "en": "Restart loop"},
})
