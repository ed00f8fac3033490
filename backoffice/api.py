"""The JSON API, /api/v1."""
from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from backoffice import freshness
from backoffice.keys import INGEST, STORE


async def kiosks(request: web.Request) -> web.Response:
    """The fleet's current facts and whether they are current (`freshness`); 503 when the database is down."""
    try:
        rows = await asyncio.to_thread(request.app[STORE].kiosks)
    except SQLAlchemyError:
        return web.json_response({"error": "database unreachable", "freshness": freshness.status(request.app)},
                                 status=503)
    return web.json_response({"kiosks": rows, "freshness": freshness.status(request.app)})


async def ingest_status(request: web.Request) -> web.Response:
    return web.json_response({**request.app[INGEST].status(), **freshness.status(request.app)})


def setup(application: web.Application) -> None:
    application.router.add_get("/api/v1/kiosks", kiosks)
    application.router.add_get("/api/v1/ingest", ingest_status)
