"""The API's description (openapi.yaml), served as JSON at /api/v1/openapi.json.

Read once at setup: a broken document stops the server at start, not a client at run time.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from aiohttp import web

from backoffice.auth import public

DOCUMENT = Path(__file__).with_name("openapi.yaml")
KEY = web.AppKey("openapi", dict)


def load() -> dict:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


@public
async def document(request: web.Request) -> web.Response:
    return web.json_response(request.app[KEY])


def setup(app: web.Application) -> None:
    app[KEY] = load()
    app.router.add_get("/api/v1/openapi.json", document)
