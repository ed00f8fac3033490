"""Help-desk figures computed from the event log, never kept as counters: recomputing is the audit trail.

Definitions (docs/operations.md, Video help desk): offered = calls that entered the queue; answered = calls
connected at least once; ASA = mean wait from entering to the first connect; service level = answered
within `service_level_s` / offered; abandon rate = calls the citizen left while queued / offered (a call
ended by booking a callback is not abandoned); AHT = mean of first connect to the last wrap-up's end (talk,
transfers and wrap-up); RONA = rings not answered in time; callbacks within target = done callbacks closed
by their target time / done callbacks; quality = per call, the mean of the peers' samples.
"""
from __future__ import annotations

import dataclasses
import time
from statistics import fmean

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backoffice.models import HelpAgent, HelpCall, HelpEvent
from wire.signaling import AGENT_STATUSES

WINDOW_S = 24 * 3600  # what /metrics' averages and ratios cover


@dataclasses.dataclass(frozen=True)
class Quality:
    samples: int
    rtt_ms: float
    loss: float
    fps: float


@dataclasses.dataclass(frozen=True)
class Figures:
    offered: int
    answered: int
    answered_within: int
    abandoned: int
    rona: int
    transfers: int
    callbacks_requested: int
    callbacks_done: int
    callbacks_within_target: int
    asa_s: float | None
    service_level: float | None
    abandon_rate: float | None
    aht_s: float | None
    quality: dict[str, Quality]


def compute(events, service_level_s: float) -> Figures:
    """`events`: objects with at, call_id, kind and data (rows of helpdesk_events), in any order."""
    events = sorted(events, key=lambda e: e.at)
    count = {}
    for e in events:
        count[e.kind] = count.get(e.kind, 0) + 1
    waits = [e.data["wait_s"] for e in events if e.kind == "connect" and e.data.get("first")]
    abandoned = sum(1 for e in events if e.kind == "abandon" and e.data.get("reason") != "callback_booked")
    first_connect: dict[str, float] = {}
    last_wrapup: dict[str, float] = {}
    samples: dict[str, list] = {}
    for e in events:
        if e.kind == "connect" and e.call_id not in first_connect:
            first_connect[e.call_id] = e.at
        elif e.kind == "wrapup" and e.call_id:
            last_wrapup[e.call_id] = e.at
        elif e.kind == "quality":
            samples.setdefault(e.call_id, []).append(e.data)
    handles = [last_wrapup[c] - at for c, at in first_connect.items() if c in last_wrapup]
    done = [e for e in events if e.kind == "callback_done" and e.data.get("state") == "done"]
    offered = count.get("enter_queue", 0)
    within = sum(1 for w in waits if w <= service_level_s)
    return Figures(
        offered=offered, answered=len(waits), answered_within=within, abandoned=abandoned,
        rona=count.get("no_answer", 0), transfers=count.get("transfer", 0),
        callbacks_requested=count.get("callback_requested", 0), callbacks_done=len(done),
        callbacks_within_target=sum(1 for e in done if e.data.get("within_target")),
        asa_s=fmean(waits) if waits else None,
        service_level=within / offered if offered else None,
        abandon_rate=abandoned / offered if offered else None,
        aht_s=fmean(handles) if handles else None,
        quality={c: Quality(len(s), fmean(x["rtt_ms"] for x in s), fmean(x["loss"] for x in s),
                            fmean(x["fps"] for x in s)) for c, s in samples.items()})


def figures(engine: Engine, service_level_s: float, since: float) -> Figures:
    with Session(engine) as s:
        rows = list(s.scalars(select(HelpEvent).where(HelpEvent.at >= since)))
    return compute(rows, service_level_s)


def helpdesk_metrics(engine: Engine, service_level_s: float = 20, now: float | None = None) -> list[str]:
    """Prometheus text lines for /metrics: aggregates over the last 24 h and the queue now; no per-call,
    per-kiosk or per-agent series (low cardinality; the console's /helpdesk page has the detail)."""
    now = time.time() if now is None else now
    f = figures(engine, service_level_s, now - WINDOW_S)
    with Session(engine) as s:
        waiting = s.scalar(select(func.count()).select_from(HelpCall).where(HelpCall.state == "waiting")) or 0
        oldest = s.scalar(select(func.min(HelpCall.entered_at)).where(HelpCall.state.in_(("waiting", "ringing"))))
        states = dict(s.execute(select(HelpAgent.state, func.count()).group_by(HelpAgent.state)).all())
    out = []

    def metric(name: str, kind: str, text: str, values: list[tuple[str, float | None]]) -> None:
        out.append(f"# HELP backoffice_helpdesk_{name} {text}")
        out.append(f"# TYPE backoffice_helpdesk_{name} {kind}")
        out.extend(f"backoffice_helpdesk_{name}{labels} {value:g}" for labels, value in values if value is not None)

    for name, value, text in (
            ("calls_offered", f.offered, "Calls that entered the queue, last 24 h."),
            ("calls_answered", f.answered, "Calls connected to an agent, last 24 h."),
            ("calls_abandoned", f.abandoned, "Calls the citizen left while queued, last 24 h."),
            ("rona", f.rona, "Rings not answered in time (agent set not ready), last 24 h."),
            ("transfers", f.transfers, "Transfers, last 24 h."),
            ("callbacks_requested", f.callbacks_requested, "Callbacks booked, last 24 h."),
            ("callbacks_done", f.callbacks_done, "Callbacks made, last 24 h."),
            ("callbacks_within_target", f.callbacks_within_target, "Callbacks made by their target, last 24 h.")):
        metric(name, "gauge", text, [("", value)])
    metric("asa_seconds", "gauge", "Average speed of answer, last 24 h.", [("", f.asa_s)])
    metric("service_level_ratio", "gauge", f"Answered within {service_level_s:g} s / offered, last 24 h.",
           [("", f.service_level)])
    metric("abandon_ratio", "gauge", "Abandoned / offered, last 24 h.", [("", f.abandon_rate)])
    metric("aht_seconds", "gauge", "Average handling time (talk and wrap-up), last 24 h.", [("", f.aht_s)])
    q = list(f.quality.values())
    metric("call_rtt_ms", "gauge", "Mean of per-call WebRTC round-trip time, last 24 h.",
           [("", fmean(x.rtt_ms for x in q) if q else None)])
    metric("call_loss_ratio", "gauge", "Mean of per-call packet loss, last 24 h.",
           [("", fmean(x.loss for x in q) if q else None)])
    metric("call_fps", "gauge", "Mean of per-call frames per second, last 24 h.",
           [("", fmean(x.fps for x in q) if q else None)])
    metric("calls_waiting", "gauge", "Calls waiting now.", [("", waiting)])
    metric("longest_wait_seconds", "gauge", "The longest current wait.", [("", now - oldest if oldest else 0)])
    metric("agents", "gauge", "Agents by state now.",
           [(f'{{state="{st}"}}', states.get(st, 0)) for st in AGENT_STATUSES])
    return out
