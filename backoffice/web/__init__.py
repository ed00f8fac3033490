"""Server-rendered console pages: one Jinja2 environment, one `render`, the shared layout in base.html.

Pages are plain HTML that works without script; script only adds live updates (server-sent events) and
client-side filtering. Every template gets `t` (the request's language), `lang`, `user`, `csrf` and
`stale` (freshness.banner: why the data shown is not current, or "").
"""
from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from backoffice import freshness
from backoffice.auth import CSRF, USER, allows
from backoffice.web import i18n

STATIC = Path(__file__).parent / "static"
_env = jinja2.Environment(loader=jinja2.PackageLoader("backoffice.web", "templates"),
                          autoescape=jinja2.select_autoescape(default=True), undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)
_env.globals["allows"] = allows  # templates show a link only to roles that may follow it


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    lang = i18n.locale_of(request)
    page = _env.get_template(template).render(
        t=lambda key, **values: i18n.text(key, lang, **values), lang=lang, user=request.get(USER),
        csrf=request.get(CSRF, ""), path=request.path, stale=freshness.banner(request, lang), **context)
    response = web.Response(text=page, status=status, content_type="text/html", charset="utf-8")
    if request.query.get("lang") in i18n.LOCALES:
        response.set_cookie("lang", request.query["lang"], max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


def setup(app: web.Application) -> None:
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
