"""The JSON API, /api/v1. The fleet's and a kiosk's endpoints are in backoffice.pages.fleet."""
from __future__ import annotations

from aiohttp import web

from backoffice import freshness
from backoffice.auth import public
from backoffice.keys import INGEST


@public  # a worker's own health, for load balancers and monitors: counts and link states, nothing of a kiosk
async def ingest_status(request: web.Request) -> web.Response:
    return web.json_response({**request.app[INGEST].status(), **freshness.status(request.app)})


def setup(application: web.Application) -> None:
    application.router.add_get("/api/v1/ingest", ingest_status)
