"""The JSON API, /api/v1. The fleet's and a kiosk's endpoints are in backoffice.pages.fleet."""
from __future__ import annotations

from aiohttp import web

from backoffice.auth import require
from backoffice.keys import INGEST


@require("viewer")
async def ingest_status(request: web.Request) -> web.Response:
    return web.json_response(request.app[INGEST].status())


def setup(application: web.Application) -> None:
    application.router.add_get("/api/v1/ingest", ingest_status)
