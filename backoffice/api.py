"""The JSON API, /api/v1. Every route here is described in openapi.yaml (a test checks it)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from backoffice.auth import require
from backoffice.keys import INGEST, STORE


@require("viewer")
async def kiosks(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(request.app[STORE].kiosks)
    return web.json_response({"kiosks": rows})


@require("viewer")
async def ingest_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[INGEST].status())


def setup(application: web.Application) -> None:
    application.router.add_get("/api/v1/kiosks", kiosks)
    application.router.add_get("/api/v1/ingest", ingest_status)
