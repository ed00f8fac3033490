"""The fleet page, its live feed, a kiosk's own page, and their JSON API (/api/v1/kiosks...).

Registers, in one place: the routes, the fleet view that keeps the derived rows current (backoffice.fleetview),
and the history job (downsampling and retention, backoffice.history), both started and stopped with the app.
"""
from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

from aiohttp import web

from backoffice import charts, commands_http, fleetstate, freshness, history
from backoffice.auth import require
from backoffice.fleetview import FleetView, matches
from backoffice.keys import COMMANDS, CONFIG, ENGINE, FLEET, STORE
from backoffice.web import i18n, render
from backoffice.pages.fleet_texts import DEVICE_KEYS, REASON_KEYS, STATE_KEYS, device_name, reason_text

KEEPALIVE_S = 15  # a comment line this often keeps proxies from closing an idle stream
PAGE = 100  # rows per page, as in the page's script
BATCH_S = 0.25  # at most four messages a second per page: a busy fleet's reports travel in batches
RANGES = {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400, "90d": 90 * 86400}
IDENTITY = ("name", "model", "region", "hall", "address", "maintainer", "maintainer_phone", "asset_number")


def rules(app: web.Application) -> fleetstate.Rules:
    cfg = app[CONFIG].fleet
    return fleetstate.Rules(health_interval_s=cfg.health_interval_s, grace_percent=cfg.grace_percent)


def client_texts(lang: str) -> dict:
    """The texts the page's script needs, in the page's language."""
    keys = [*STATE_KEYS, *REASON_KEYS, *DEVICE_KEYS, "fleet.ago_s", "fleet.ago_min", "fleet.ago_h", "fleet.ago_d", "fleet.never", "fleet.showing", "fleet.live",
            "fleet.reconnecting", "paper.ok", "paper.low", "paper.out", "fleet.none_match"]
    return {k: i18n.text(k, lang) for k in keys}


# ------------------------------------------------------------------ pages
@require("viewer")
async def fleet_page(request: web.Request) -> web.Response:
    """The rows travel as JSON for the script; the first page of the filtered rows is also in the HTML, so
    the page reads (and pages, and filters by its form) without script too."""
    view = request.app[FLEET]
    lang = i18n.locale_of(request)
    shown = sorted(_filtered(request), key=lambda r: (r["region"], r["hall"], r["id"]))
    try:
        number = max(0, int(request.query.get("page", "1")) - 1)
    except ValueError:
        number = 0
    return render(request, "fleet.html", fleet_size=len(view.rows), data_json=_script_safe(view.snapshot_json(_compact)),
                  texts=client_texts(lang),
                  states=fleetstate.STATES, rows=shown[number * PAGE:(number + 1) * PAGE], total=len(shown),
                  page=number + 1, pages=max(1, -(-len(shown) // PAGE)), reason_text=reason_text,
                  counts=fleetstate.counts([r["state"] for r in view.rows.values()]), when=_when,
                  query_without_page=urlencode([(k, v) for k, v in request.query.items() if k != "page"]))


@require("viewer")
async def fleet_data(request: web.Request) -> web.Response:
    return web.Response(text=request.app[FLEET].snapshot_json(_compact), content_type="application/json")


@require("viewer")
async def fleet_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: `rows` with the rows changed after `since`, `resync` when that is too far back."""
    view = request.app[FLEET]
    try:
        version = int(request.query.get("since", view.version))
    except ValueError:
        raise web.HTTPBadRequest(text="since: not an integer") from None
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                       "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    try:
        await resp.write(b": hello\n\n")
        while not view.closing:
            new, rows = await view.wait(version, KEEPALIVE_S)
            if view.closing:
                break
            if rows is None:
                body = json.dumps({"version": new})
                await resp.write(f"event: resync\ndata: {body}\n\n".encode())
            elif rows:
                body = json.dumps({"version": new, "now": view.clock(), "rows": rows}, separators=(",", ":"))
                await resp.write(f"event: rows\ndata: {body}\n\n".encode())
                await asyncio.sleep(BATCH_S)  # rate limit, so that what arrives meanwhile goes in one message
            else:
                await resp.write(b": keepalive\n\n")
            version = new
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return resp


@require("viewer")
async def kiosk_page(request: web.Request) -> web.Response:
    kiosk_id = request.match_info["kiosk_id"]
    detail = await _detail(request, kiosk_id)
    lang = i18n.locale_of(request)
    span_key = request.query.get("range", "24h")
    span = RANGES.get(span_key, RANGES["24h"])
    now = time.time()
    rows = await asyncio.to_thread(history.samples, request.app[ENGINE], kiosk_id, now - span, now)
    timeline = await _timeline(request, kiosk_id, now - RANGES["90d"])
    commands = await asyncio.to_thread(request.app[COMMANDS].list, kiosk_id)
    return render(request, "kiosk.html", **commands_http.context(request, kiosk_id, commands), k=detail, identity_fields=IDENTITY, range=span_key, ranges=list(RANGES),
                  charts=_charts(rows, now - span, now, lang), timeline=timeline, reason_text=reason_text, device_name=device_name,
                  when=_when, version=request.app[FLEET].version, texts=client_texts(lang))


# ------------------------------------------------------------------ API
def _filtered(request: web.Request) -> list[dict]:
    """The rows that pass the filters in the query (the fleet page's form, the API's parameters)."""
    view, q = request.app[FLEET], request.query
    try:
        offline_min = float(q["offline_min"]) if q.get("offline_min") else None
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "offline_min: not a number"}),
                                 content_type="application/json") from None
    states = tuple(s for s in q.get("state", "").split(",") if s)
    unknown = [s for s in states if s not in fleetstate.STATES]
    if unknown:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"state: unknown {unknown[0][:30]!r}"}),
                                 content_type="application/json")
    now = view.clock()
    return [r for r in view.rows.values() if matches(
        r, now, states=states, region=q.get("region", ""), hall=q.get("hall", ""), paper=q.get("paper", ""),
        offline_min=offline_min, version=q.get("version", ""), item=q.get("item", ""), q=q.get("q", ""))]


@require("viewer")
async def api_kiosks(request: web.Request) -> web.Response:
    """The fleet with `freshness`: while the database is unreachable the rows are the last ones known, so the
    answer is 503 (with them) rather than a 200 that another system would take for current."""
    view = request.app[FLEET]
    rows = sorted(_filtered(request), key=lambda r: r["id"])
    fresh = freshness.status(request.app)
    return web.json_response({"now": view.clock(), "kiosks": rows, "freshness": fresh,
                              "counts": fleetstate.counts([r["state"] for r in view.rows.values()])},
                             status=503 if fresh["reason"] == "database_unreachable" else 200)


@require("viewer")
async def api_kiosk(request: web.Request) -> web.Response:
    return web.json_response(await _detail(request, request.match_info["kiosk_id"]))


@require("viewer")
async def api_history(request: web.Request) -> web.Response:
    now = time.time()
    try:
        since = float(request.query.get("since", now - RANGES["24h"]))
        until = float(request.query.get("until", now))
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "since/until: not a number"}),
                                 content_type="application/json") from None
    kiosk_id = request.match_info["kiosk_id"]
    await _detail(request, kiosk_id)  # 404 for an unknown kiosk
    rows = await asyncio.to_thread(history.samples, request.app[ENGINE], kiosk_id, since, until)
    return web.json_response({"kiosk_id": kiosk_id, "since": since, "until": until, "samples": rows})


@require("viewer")
async def api_events(request: web.Request) -> web.Response:
    kiosk_id = request.match_info["kiosk_id"]
    await _detail(request, kiosk_id)
    try:
        since = float(request.query.get("since", 0))
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "since: not a number"}),
                                 content_type="application/json") from None
    return web.json_response({"kiosk_id": kiosk_id, "timeline": await _timeline(request, kiosk_id, since)})


# ------------------------------------------------------------------ helpers
def _compact(value) -> str:
    """UTF-8 as is (a Chinese name is 3 bytes, not a 6-byte escape) and no spaces: 10,000 rows are megabytes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _script_safe(text: str) -> str:
    """JSON text safe inside <script type="application/json">: no `<`, `>` or `&` that could end the element."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "—"


async def _detail(request: web.Request, kiosk_id: str) -> dict:
    found = await asyncio.to_thread(request.app[STORE].kiosks, [kiosk_id])
    if not found:
        if request.path.startswith("/api/"):
            raise web.HTTPNotFound(text=json.dumps({"error": "no such kiosk"}), content_type="application/json")
        raise web.HTTPNotFound(text="no such kiosk")
    kiosk = found[0]
    derived = fleetstate.derive(kiosk, request.app[FLEET].clock(), rules(request.app))
    health = kiosk.get("health") or {}
    visit = health.get("visit") if isinstance(health.get("visit"), dict) else None
    return {"id": kiosk["id"], "region": kiosk["region"], "hall": kiosk["hall"],
            "identity": {k: str(v) for k, v in (kiosk.get("identity") or {}).items()},
            **derived.as_dict(), "retained_state": kiosk["state"], "last_seen": kiosk["last_seen"],
            "session_seq": kiosk["session_seq"], "versions": health.get("versions") or kiosk.get("versions") or {},
            "mode": health.get("mode"), "visit": {k: visit.get(k) for k in ("item", "step")} if visit else None,
            "devices": health.get("devices") or {}, "items": health.get("items") or {},
            "system": health.get("system") or {}, "health_at": kiosk["health_at"]}


async def _timeline(request: web.Request, kiosk_id: str, since: float) -> list[dict]:
    """Faults and recoveries (device events), restarts and reconnects (births), maintenance and other state
    changes, and commands (sent, answered, expired), newest first."""
    engine = request.app[ENGINE]
    changes = await asyncio.to_thread(history.changes, engine, kiosk_id, since)
    devices = await asyncio.to_thread(history.device_events, engine, kiosk_id, since)
    out: list[dict] = []
    boots = [c for c in reversed(changes) if c["kind"] == "birth"]
    previous_boot = {id(c): (boots[i - 1]["value"] if i else None) for i, c in enumerate(boots)}
    for c in changes:
        if c["kind"] == "birth":
            restarted = previous_boot.get(id(c)) not in (None, c["value"])
            versions = sorted((c["detail"].get("versions") or {}).items())
            out.append({"at": c["at"], "kind": "restart" if restarted else "connect",
                        "subject": ", ".join(f"{k} {v}" for k, v in versions)})
        else:
            kind = {"maintenance": "maintenance_on", "out_of_service": "out_of_service", "lost": "lost",
                    "disconnected": "disconnected"}.get(c["value"], "state")
            out.append({"at": c["at"], "kind": kind, "subject": c["value"]})
    for e in devices:
        p = e["payload"]
        kind = "recovery" if p.get("state") == "ok" else "fault"
        out.append({"at": e["at"], "kind": kind, "subject": f"{p.get('device', '')}: {p.get('state', '')}"
                    + (f" ({', '.join(map(str, p.get('reasons') or []))})" if p.get("reasons") else "")})
    if COMMANDS in request.app:
        out += await asyncio.to_thread(request.app[COMMANDS].timeline, kiosk_id, since)
    # maintenance ends when a state after it is anything else
    ordered = sorted(out, key=lambda e: e["at"])
    in_maintenance = False
    for e in ordered:
        if e["kind"] == "maintenance_on":
            in_maintenance = True
        elif e["kind"] == "state" and in_maintenance:
            e["kind"], in_maintenance = "maintenance_off", False
    return sorted(ordered, key=lambda e: e["at"], reverse=True)


def _charts(rows: list[dict], t0: float, t1: float, lang: str) -> list:
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    none = t("chart.no_data")
    roles = sorted({role for r in rows for role in r["paper"]})
    paper = [charts.Series(role, [(r["at"], r["paper"].get(role)) for r in rows]) for role in roles]
    memory = [charts.Series(t("chart.mem_available"), [(r["at"], r["mem_available_mib"]) for r in rows]),
              charts.Series(t("chart.rss"), [(r["at"], r["rss_mib"]) for r in rows])]
    n = 24 if t1 - t0 <= 86400 else 28
    restarts = [charts.Series(t("chart.restarts"), charts.buckets(rows, t0, t1, n, lambda r: r["restarts"]))]
    items = sorted({i for r in rows for i in r["items"]})
    visits = [charts.Series(item, charts.buckets(rows, t0, t1, n, lambda r, i=item: r["items"].get(i, 0)))
              for item in items]
    latency = [charts.Series(t("chart.latency"), [(r["at"], r["latency_ms"]) for r in rows])]
    levels = {0.0: t("paper.out"), 1.0: t("paper.low"), 2.0: t("paper.ok")}
    return [
        charts.chart(t("chart.paper"), paper, t0, t1, y_max=2.2, y_labels=levels, test_id="chart-paper", empty=none),
        charts.chart(t("chart.memory"), memory, t0, t1, unit=" MiB", test_id="chart-memory", empty=none),
        charts.chart(t("chart.restarts"), restarts, t0, t1, kind="bar", test_id="chart-restarts", empty=none),
        charts.chart(t("chart.visits"), visits, t0, t1, kind="bar", test_id="chart-visits", empty=none),
        charts.chart(t("chart.latency"), latency, t0, t1, unit=" ms", test_id="chart-latency", empty=none),
    ]


# ------------------------------------------------------------------ lifecycle
async def _running(app: web.Application):
    """The fleet view and the history job live as long as the app."""
    view = app[FLEET]
    await view.start()
    h = app[CONFIG].history
    job = asyncio.create_task(history.run_forever(app[ENGINE], h.compact_every_s, h.full_days, h.hourly_days,
                                                  time.time), name="backoffice-history")
    yield
    job.cancel()
    await view.stop()


async def _closing(app: web.Application) -> None:
    """Before the server waits for open requests: end the live streams, or shutting down would wait for them."""
    await app[FLEET].close_streams()


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/fleet", fleet_page)
    r.add_get("/fleet/data.json", fleet_data)
    r.add_get("/fleet/events", fleet_events)
    r.add_get("/kiosks/{kiosk_id}", kiosk_page)
    r.add_get("/api/v1/kiosks", api_kiosks)
    r.add_get("/api/v1/kiosks/{kiosk_id}", api_kiosk)
    r.add_get("/api/v1/kiosks/{kiosk_id}/history", api_history)
    r.add_get("/api/v1/kiosks/{kiosk_id}/events", api_events)
    app[FLEET] = FleetView(app[STORE], rules(app), app[CONFIG].fleet.poll_s)
    app.cleanup_ctx.append(_running)
    app.on_shutdown.append(_closing)
