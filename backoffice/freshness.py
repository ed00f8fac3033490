"""Whether the fleet data the console shows is current, for every page and the API to say so.

When the broker or the database does not answer, the states in the store are the last ones known, not the
fleet's: a kiosk shown `in_service` may have been lost an hour ago. Pages call `status(app)` and show it
beside the data instead of presenting old states as current.
"""
from __future__ import annotations

from aiohttp import web

from backoffice.keys import INGEST

REASONS = ("database_unreachable", "broker_unreachable")


def status(app: web.Application) -> dict:
    """{stale, reason, since, detail}: `reason` one of REASONS ("" when current); `since` (Unix seconds) when
    the data became stale, or when it became current again; `detail` the error's kind, never its text."""
    ingest = app[INGEST]
    for link, reason in ((ingest.database, "database_unreachable"), (ingest.broker, "broker_unreachable")):
        if not link.up:
            return {"stale": True, "reason": reason, "since": link.since, "detail": link.detail}
    return {"stale": False, "reason": "", "since": max(ingest.database.since, ingest.broker.since), "detail": ""}
