"""The web application: every part adds its routes here, in one list, so the order of middlewares is visible."""
from __future__ import annotations

from aiohttp import web

from backoffice import api, keys, web as pages
from backoffice.config import Config
from backoffice.pipeline import Pipeline
from backoffice.store import FleetStore

# Each module has `setup(app)`, which adds its routes (and middlewares, for auth).
PARTS = (pages, api)


def build(cfg: Config, store: FleetStore, ingest: Pipeline) -> web.Application:
    application = web.Application(client_max_size=256 * 1024)
    application[keys.CONFIG], application[keys.ENGINE] = cfg, store.engine
    application[keys.STORE], application[keys.INGEST] = store, ingest
    for part in PARTS:
        part.setup(application)
    application.router.add_get("/", _home)
    return application


async def _home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/fleet")
