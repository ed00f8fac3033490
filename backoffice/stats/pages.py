"""/stats for hall managers (a date range and a hall) and /stats.csv, which opens in Excel as it is: UTF-8
with a byte-order mark, headers in the reader's language, and no cell that Excel would run as a formula."""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from aiohttp import web

from backoffice.auth import require
from backoffice.keys import CONFIG, ENGINE
from backoffice.stats import facts
from backoffice.web import i18n, render

DEFAULT_DAYS = 7
MAX_DAYS = 366
CSV_COLUMNS = ("hall", "day", "flow", "visits", "completed", "failed", "cancelled", "completion_rate",
               "failure_rate", "pages", "tickets")


def setup(app: web.Application) -> None:
    app.router.add_get("/stats", page)
    app.router.add_get("/stats.csv", export)
    app.router.add_get("/api/v1/stats", api)


def _range(request: web.Request) -> tuple[str, str, str | None]:
    """first and last local day (inclusive) and the hall; a bad value is a 400 naming the field."""
    today = dt.datetime.now(ZoneInfo(request.app[CONFIG].stats.timezone)).date()
    q = request.query
    try:
        last = dt.date.fromisoformat(q["to"]) if q.get("to") else today
        first = dt.date.fromisoformat(q["from"]) if q.get("from") else last - dt.timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise web.HTTPBadRequest(text="from, to: dates such as 2025-05-01") from None
    if first > last or (last - first).days >= MAX_DAYS:
        raise web.HTTPBadRequest(text=f"from, to: from on or before to, at most {MAX_DAYS} days")
    return first.isoformat(), last.isoformat(), (q.get("hall") or None)


async def _figures(request: web.Request) -> dict:
    first, last, hall = _range(request)
    engine = request.app[ENGINE]

    def compute() -> dict:
        facts.sync(engine, request.app[CONFIG].stats.timezone)
        st = facts.Statistics(engine, first, last, hall)
        return {"from": first, "to": last, "hall": hall, "totals": st.totals(), "items": st.per_item(), "per_hall": st.per_hall(),
                "days": st.per_day(), "hours": st.per_hour(), "reasons": st.failure_reasons(),
                "halls": facts.halls(engine)}
    return await asyncio.to_thread(compute)


@require("viewer")
async def page(request: web.Request) -> web.Response:
    figures = await _figures(request)
    busiest = max((h["visits"] for h in figures["hours"]), default=0)
    return render(request, "stats.html", f=figures, busiest=busiest, query=request.query_string)


@require("viewer")
async def api(request: web.Request) -> web.Response:
    return web.json_response(await _figures(request))


@require("viewer")
async def export(request: web.Request) -> web.Response:
    first, last, hall = _range(request)
    engine, lang = request.app[ENGINE], i18n.locale_of(request)

    def rows() -> list[dict]:
        facts.sync(engine, request.app[CONFIG].stats.timezone)
        return facts.Statistics(engine, first, last, hall).per_hall_day_item()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([i18n.text(f"stats.col.{c}", lang) for c in CSV_COLUMNS])
    for row in await asyncio.to_thread(rows):
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    name = f"kiosk-stats-{first}-{last}.csv"
    return web.Response(body=b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"), content_type="text/csv",
                        charset="utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cell(value):
    """Rates as percentages; text that a spreadsheet would read as a formula (a hall named "=..." on a kiosk's
    identity card) is quoted with a leading apostrophe."""
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


i18n.add({
    "nav.stats": {"zh-CN": "服务统计", "en": "Statistics"},
    "stats.title": {"zh-CN": "服务统计", "en": "Service statistics"},
    "stats.from": {"zh-CN": "从", "en": "From"},
    "stats.to": {"zh-CN": "到", "en": "To"},
    "stats.all_halls": {"zh-CN": "全部网点", "en": "All halls"},
    "stats.show": {"zh-CN": "查询", "en": "Show"},
    "stats.csv": {"zh-CN": "导出 CSV", "en": "Export CSV"},
    "stats.totals": {"zh-CN": "合计", "en": "Totals"},
    "stats.per_item": {"zh-CN": "按事项", "en": "Per item"},
    "stats.per_hall": {"zh-CN": "按网点", "en": "Per hall"},
    "stats.per_day": {"zh-CN": "按日", "en": "Per day"},
    "stats.per_hour": {"zh-CN": "繁忙时段", "en": "Busiest hours"},
    "stats.reasons": {"zh-CN": "失败原因", "en": "Failure reasons"},
    "stats.none": {"zh-CN": "此期间没有办理记录", "en": "No visits in this period"},
    "stats.hour": {"zh-CN": "时段", "en": "Hour"},
    "stats.result": {"zh-CN": "结果", "en": "Result"},
    "stats.reason": {"zh-CN": "原因", "en": "Reason"},
    "result.failed": {"zh-CN": "失败", "en": "failed"},
    "result.timeout": {"zh-CN": "超时", "en": "timed out"},
    "stats.col.hall": {"zh-CN": "网点", "en": "Hall"},
    "stats.col.day": {"zh-CN": "日期", "en": "Day"},
    "stats.col.flow": {"zh-CN": "事项", "en": "Item"},
    "stats.col.visits": {"zh-CN": "办理次数", "en": "Visits"},
    "stats.col.completed": {"zh-CN": "办结", "en": "Completed"},
    "stats.col.failed": {"zh-CN": "失败", "en": "Failed"},
    "stats.col.cancelled": {"zh-CN": "取消", "en": "Cancelled"},
    "stats.col.completion_rate": {"zh-CN": "办结率", "en": "Completion rate"},
    "stats.col.failure_rate": {"zh-CN": "失败率", "en": "Failure rate"},
    "stats.col.pages": {"zh-CN": "打印页数", "en": "Printed pages"},
    "stats.col.tickets": {"zh-CN": "出票数", "en": "Tickets"},
})
