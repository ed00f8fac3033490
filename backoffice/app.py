"""The web application: every part adds its routes here, in one list, so the order of middlewares is visible."""
from __future__ import annotations

from aiohttp import web

from backoffice import api, audit_page, commands_http, helpdesk, keys, metrics, openapi, web as pages
from backoffice.alerts import pages as alerts
from backoffice.auth import USER, admin_page, public, signin
from backoffice.config import Config
from backoffice.pages import fleet
from backoffice.pipeline import Pipeline
from backoffice.stats import pages as stats
from backoffice.store import FleetStore

# Each module has `setup(app)`, which adds its routes (and middlewares, for auth: signin comes first).
PARTS = (pages, signin, audit_page, admin_page, api, openapi, fleet, alerts, stats, metrics, commands_http, helpdesk)


def build(cfg: Config, store: FleetStore, ingest: Pipeline) -> web.Application:
    application = web.Application(client_max_size=256 * 1024)
    application[keys.CONFIG], application[keys.ENGINE] = cfg, store.engine
    application[keys.STORE], application[keys.INGEST] = store, ingest
    for part in PARTS:
        part.setup(application)
    application.router.add_get("/", _home)
    return application


@public
async def _home(request: web.Request) -> web.Response:
    user = request.get(USER)
    raise web.HTTPFound("/helpdesk" if user is not None and user.role == "agent" else "/fleet")  # agents see no fleet
