"""/metrics in Prometheus' text format: the fleet as a few low-cardinality series (kiosks per state and hall,
open alerts per rule, ingest and notification counters, visits per item). Never a series per kiosk: ten
thousand kiosks are the same handful of series as ten; each kiosk's detail stays in the console's own store.

Access: a scrape from elsewhere sends an API token like any other system (`backoffice tokens add prometheus
--role viewer`, then `Authorization: Bearer <token>`); the sign-in middleware resolves it, so a token is
created, expired and revoked in one place. Without a token only loopback clients are answered (a Prometheus
on the same host, or an SSH tunnel). Behind a reverse proxy every client looks local: send a token there.
"""
from __future__ import annotations

import asyncio
import ipaddress
import time

from aiohttp import web
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from backoffice.alerts.rules import RULES
from backoffice.auth import USER, allows, public
from backoffice.helpdesk.metrics import helpdesk_metrics
from backoffice.reports import BAD_REASONS
from backoffice.keys import ALERTS, CONFIG, ENGINE, INGEST
from backoffice.models import Kiosk
from backoffice.stats import facts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Hall names and items come from the kiosks' own reports: however many there are, a scrape stays bounded.
MAX_LABELS = 1000
OTHER = "(other)"


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)


@public  # checked here: an API token with the viewer role, or loopback
async def metrics(request: web.Request) -> web.Response:
    _admit(request)
    app = request.app
    fleet, visits = await asyncio.to_thread(_fleet, app[ENGINE], app[CONFIG].alerts.offline_minutes * 60,
                                            app[CONFIG].stats.timezone)
    open_alerts = await asyncio.to_thread(app[ALERTS].store.open_per_rule)
    ingest = app[INGEST]
    out = Exposition()
    out.family("backoffice_kiosks", "gauge", "Kiosks per state (offline: nothing heard for alerts.offline_minutes).")
    per_state: dict[str, int] = {}
    for (hall, state), n in fleet.items():
        per_state[state] = per_state.get(state, 0) + n
    for state, n in sorted(per_state.items()):
        out.sample("backoffice_kiosks", {"state": state}, n)
    out.family("backoffice_hall_kiosks", "gauge", f"Kiosks per hall and state (beyond {MAX_LABELS} halls: {OTHER}).")
    for (hall, state), n in sorted(_capped(fleet, lambda key: key[0], lambda key: (OTHER, key[1])).items()):
        out.sample("backoffice_hall_kiosks", {"hall": hall, "state": state}, n)
    out.family("backoffice_alerts_open", "gauge", "Active alerts per rule (open, or acknowledged and still holding).")
    for rule in RULES:
        out.sample("backoffice_alerts_open", {"rule": rule}, open_alerts.get(rule, 0))
    out.family("backoffice_ingest_connected", "gauge", "1 while ingest is connected to the broker.")
    out.sample("backoffice_ingest_connected", {}, int(ingest.connected.is_set()))
    out.family("backoffice_ingest_reports_total", "counter", "Reports handled by this worker, by outcome.")
    for result in ("stored", "duplicate", "stale", "ignored", "failed"):
        out.sample("backoffice_ingest_reports_total", {"result": result}, ingest.counts.get(result, 0))
    out.family("backoffice_ingest_bad_reports_total", "counter", "Reports refused by this worker, by reason.")
    for reason in BAD_REASONS:
        out.sample("backoffice_ingest_bad_reports_total", {"reason": reason}, ingest.bad.get(reason, 0))
    out.family("backoffice_alert_notifications_total", "counter", "Alert notifications by channel and outcome.")
    for (channel, result), n in sorted(app[ALERTS].notifier.counts.items()):
        out.sample("backoffice_alert_notifications_total", {"channel": channel, "result": result}, n)
    out.family("backoffice_visits_total", "counter", "Visits the fleet reported, per item.")
    for item, n in sorted(_capped(visits, lambda key: key, lambda key: OTHER).items()):
        out.sample("backoffice_visits_total", {"item": item}, n)
    desk = await asyncio.to_thread(helpdesk_metrics, app[ENGINE], app[CONFIG].helpdesk.service_level_s)
    return web.Response(text=out.text() + "".join(f"{line}\n" for line in desk), headers={"Content-Type": CONTENT_TYPE})


def _admit(request: web.Request) -> None:
    """A caller the middleware knows (an unknown token never gets here: it is refused with 401) needs the
    viewer role; an anonymous one must be on loopback."""
    user = request.get(USER)
    if user is not None:
        if not allows(user.role, "viewer"):
            raise web.HTTPForbidden(text="metrics: needs the viewer role")
        return
    try:
        local = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        local = False
    if not local:
        raise web.HTTPForbidden(text="metrics: loopback only; from elsewhere send an API token "
                                 "(backoffice tokens add prometheus --role viewer)")


def _fleet(engine, offline_s: float, tz: str) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """(hall, state) -> kiosks, where a kiosk not heard from for offline_s counts as offline whatever it said."""
    # A subquery, so GROUP BY names plain columns: PostgreSQL would not match two copies of a bound expression.
    each = select(func.coalesce(Kiosk.hall, "").label("hall"),
                  case((Kiosk.last_seen < time.time() - offline_s, "offline"), else_=Kiosk.state).label("state"))
    each = each.subquery()
    with Session(engine) as s:
        rows = s.execute(select(each.c.hall, each.c.state, func.count()).group_by(each.c.hall, each.c.state)).all()
    facts.sync(engine, tz)
    return {(h, st): n for h, st, n in rows}, facts.visits_per_item(engine)


def _capped(counts: dict, label, folded) -> dict:
    """The MAX_LABELS label values with the most kiosks (or visits) keep their own series; the rest are summed."""
    totals: dict = {}
    for key, n in counts.items():
        totals[label(key)] = totals.get(label(key), 0) + n
    if len(totals) <= MAX_LABELS:
        return counts
    kept = set(sorted(totals, key=lambda v: (-totals[v], v))[:MAX_LABELS])
    out: dict = {}
    for key, n in counts.items():
        key = key if label(key) in kept else folded(key)
        out[key] = out.get(key, 0) + n
    return out


class Exposition:
    """The text format (version 0.0.4): HELP and TYPE once per family, label values escaped."""

    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, labels: dict[str, str], value: float) -> None:
        inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
        self.lines.append(f"{name}{{{inner}}} {value}" if inner else f"{name} {value}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
