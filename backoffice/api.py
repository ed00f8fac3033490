"""The JSON API, /api/v1. No accounts yet, so the server listens on loopback only (config: server.host)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from backoffice.ingest import Ingest
from backoffice.store import FleetStore

STORE = web.AppKey("store", FleetStore)
INGEST = web.AppKey("ingest", Ingest)


async def kiosks(request: web.Request) -> web.Response:
    rows = await asyncio.to_thread(request.app[STORE].kiosks)
    return web.json_response({"kiosks": rows})


async def ingest_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[INGEST].status())


def app(store: FleetStore, ingest: Ingest) -> web.Application:
    application = web.Application()
    application[STORE], application[INGEST] = store, ingest
    application.router.add_get("/api/v1/kiosks", kiosks)
    application.router.add_get("/api/v1/ingest", ingest_status)
    return application
