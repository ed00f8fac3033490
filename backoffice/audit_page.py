"""The /audit page: the audit log, newest first, filtered by who and what; for operators and administrators."""
from __future__ import annotations

import asyncio
import time

from aiohttp import web

from backoffice.audit import PAGE, entries
from backoffice.auth import require
from backoffice.keys import ENGINE
from backoffice.web import i18n, render


@require("operator")
async def page(request: web.Request) -> web.Response:
    actor, action = request.query.get("actor", "")[:120], request.query.get("action", "")[:60]
    try:
        before = int(request.query["before"]) if request.query.get("before") else None
    except ValueError:
        raise web.HTTPBadRequest(text="before: a whole number") from None
    rows = await asyncio.to_thread(entries, request.app[ENGINE], actor=actor, action=action, before=before)
    older = rows[-1].id if len(rows) == PAGE else None
    return render(request, "audit.html", rows=rows, actor=actor, action=action, older=older,
                  when=lambda at: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)))


def setup(app: web.Application) -> None:
    app.router.add_get("/audit", page)


i18n.add({
    "nav.audit": {"zh-CN": "审计日志", "en": "Audit log"},
    "audit.title": {"zh-CN": "审计日志", "en": "Audit log"},
    "audit.at": {"zh-CN": "时间", "en": "When"},
    "audit.actor": {"zh-CN": "操作人", "en": "Who"},
    "audit.action": {"zh-CN": "操作", "en": "Action"},
    "audit.target": {"zh-CN": "对象", "en": "Target"},
    "audit.detail": {"zh-CN": "详情", "en": "Detail"},
    "audit.filter": {"zh-CN": "筛选", "en": "Filter"},
    "audit.older": {"zh-CN": "更早的记录", "en": "Older entries"},
    "audit.none": {"zh-CN": "没有符合条件的记录。", "en": "No entries match."},
})
