"""Whether the fleet data the console shows is current, for every page and the API to say so.

When the broker or the database does not answer, the states in the store are the last ones known, not the
fleet's: a kiosk shown `in_service` may have been lost an hour ago. Pages call `status(app)` and show it
beside the data instead of presenting old states as current.
"""
from __future__ import annotations

import time

from aiohttp import web

from backoffice.keys import INGEST
from backoffice.web import i18n

REASONS = ("database_unreachable", "broker_unreachable")


def status(app: web.Application) -> dict:
    """{stale, reason, since, detail}: `reason` one of REASONS ("" when current); `since` (Unix seconds) when
    the data became stale, or when it became current again; `detail` the error's kind, never its text."""
    ingest = app[INGEST]
    for link, reason in ((ingest.database, "database_unreachable"), (ingest.broker, "broker_unreachable")):
        if not link.up:
            return {"stale": True, "reason": reason, "since": link.since, "detail": link.detail}
    return {"stale": False, "reason": "", "since": max(ingest.database.since, ingest.broker.since), "detail": ""}


def banner(request: web.Request, lang: str) -> str:
    """The line every page shows above its data while that data is stale; "" while it is current."""
    if INGEST not in request.app:
        return ""
    now = status(request.app)
    if not now["stale"]:
        return ""
    return i18n.text(f"stale.{now['reason']}", lang, since=time.strftime("%Y-%m-%d %H:%M:%S",
                                                                          time.localtime(now["since"])))


i18n.add({
    "stale.database_unreachable": {
        "zh-CN": "数据库无法访问（自 {since} 起）：页面显示的是最后已知的状态，不是设备当前的状态。",
        "en": "The database is unreachable (since {since}): this page shows the last known states, "
              "not the kiosks' current ones."},
    "stale.broker_unreachable": {
        "zh-CN": "与设备消息服务器的连接已中断（自 {since} 起）：页面显示的是最后已知的状态，不是设备当前的状态。",
        "en": "The connection to the kiosks' message broker is down (since {since}): this page shows the last "
              "known states, not the kiosks' current ones."},
})
