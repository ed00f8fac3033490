"""A kiosk's state as the console shows it, derived only from current facts, so it resolves by itself.

Nothing here is remembered between calls: the same facts and the same `now` give the same answer. The facts
are the row FleetStore keeps (wire/messages.py: the retained state with its Will, the latest birth and the
latest health) and the back office's own clock of when anything last arrived (`last_seen`).

Precedence, worst first: never heard of -> `unknown`; the broker's Will of the current session -> `lost`;
a clean stop -> `disconnected`; silent for longer than the expected interval plus the grace -> `offline`;
then what the kiosk says of itself: `out_of_service`, `maintenance`, `starting`, `degraded` (a peripheral
or an item down), `in_service`. A Will from an older session never reaches these facts: the store drops it
(the Sparkplug bdSeq rule) and a newer birth ends a lost or disconnected state.
"""
from __future__ import annotations

import dataclasses

STATES = ("in_service", "degraded", "starting", "maintenance", "out_of_service", "offline", "lost",
          "disconnected", "unknown")
MAINTENANCE_MODES = ("maintenance", "pin", "remote_maintenance")
PRINTER_HINTS = ("print", "ticket", "receipt", "label")  # device roles that hold paper
READER_HINTS = ("reader", "scanner", "card")
PAPER_REASONS = {"paper_low", "paper_out"}
FAULT_STATES = ("error", "offline")  # devices.status.State values that mean the device cannot work


@dataclasses.dataclass(frozen=True)
class Rules:
    """The back office's side of the judgement: config [fleet]."""
    health_interval_s: float = 60.0
    grace_percent: float = 100.0


@dataclasses.dataclass(frozen=True)
class Derived:
    state: str
    reasons: tuple[str, ...]  # "code" or "code:subject", e.g. "paper_out:receipt_printer"; texts in the pages
    silent_s: float | None  # since anything last arrived, by the back office's clock; None: never
    limit_s: float  # silent for longer than this: offline
    paper: str | None  # worst over the printers: "ok", "low", "out"; None when no printer reported
    unavailable: tuple[str, ...]  # items the kiosk cannot offer now

    def as_dict(self) -> dict:
        return {"state": self.state, "reasons": list(self.reasons), "silent_s": self.silent_s,
                "limit_s": self.limit_s, "paper": self.paper, "unavailable": list(self.unavailable)}


def device_kind(role: str) -> str:
    """printer, reader or other, from the role's name: health names devices by role, not by class."""
    if any(h in role for h in PRINTER_HINTS):
        return "printer"
    if any(h in role for h in READER_HINTS):
        return "reader"
    return "other"


def expected_interval(kiosk: dict, rules: Rules) -> float:
    """The kiosk's own interval when its birth says it, else the configured one."""
    said = kiosk.get("health_interval_s")
    return float(said) if isinstance(said, (int, float)) and not isinstance(said, bool) and said > 0 \
        else rules.health_interval_s


def offline_limit(kiosk: dict, rules: Rules) -> float:
    interval = expected_interval(kiosk, rules)
    return interval * (1 + rules.grace_percent / 100)


def silence(kiosk: dict, now: float) -> float | None:
    """Seconds since anything arrived; a back-office clock that stepped back counts as just heard."""
    seen = kiosk.get("last_seen")
    return None if seen is None else max(0.0, now - seen)


def paper_level(reasons: list[str] | tuple[str, ...]) -> str:
    return "out" if "paper_out" in reasons else "low" if "paper_low" in reasons else "ok"


def peripherals(health: dict | None) -> tuple[str | None, list[str]]:
    """The worst paper level over the printers, and one reason per device that is short of paper or broken."""
    reasons: list[str] = []
    worst: str | None = None
    order = {"ok": 0, "low": 1, "out": 2}
    for role, dev in sorted(((health or {}).get("devices") or {}).items()):
        if not isinstance(dev, dict):
            continue
        kind, dev_reasons = device_kind(role), list(dev.get("reasons") or [])
        if kind == "printer" or PAPER_REASONS & set(dev_reasons):
            level = paper_level(dev_reasons)
            worst = level if worst is None or order[level] > order[worst] else worst
            if level != "ok":
                reasons.append(f"paper_{level}:{role}")
        other = [r for r in dev_reasons if r not in PAPER_REASONS]
        if dev.get("state") in FAULT_STATES and (other or not PAPER_REASONS & set(dev_reasons)):
            reasons.append(f"{kind if kind != 'other' else 'device'}_fault:{role}")
    return worst, reasons


def unavailable_items(health: dict | None) -> list[str]:
    items = (health or {}).get("items") or {}
    return sorted(name for name, item in items.items() if isinstance(item, dict) and not item.get("available", True))


def own_state(kiosk: dict) -> tuple[str, str]:
    """What the kiosk says of itself, from whichever of its retained state and its health is newer."""
    health = kiosk.get("health") or {}
    state = kiosk.get("state") or "unknown"
    if health and (kiosk.get("state_at") is None or (kiosk.get("health_at") or 0) >= kiosk["state_at"]):
        state = health.get("state") or state
    return state, health.get("mode") or ""


def derive(kiosk: dict, now: float, rules: Rules = Rules()) -> Derived:
    silent = silence(kiosk, now)
    limit = offline_limit(kiosk, rules)
    health = kiosk.get("health")
    paper, device_reasons = peripherals(health)
    unavailable = unavailable_items(health)
    reasons = [*device_reasons, *(f"item_unavailable:{i}" for i in unavailable)]

    def done(state: str, *first: str) -> Derived:
        return Derived(state, tuple([*first, *reasons]), silent, limit, paper, tuple(unavailable))

    if silent is None:
        return done("unknown", "never_heard")
    retained = kiosk.get("state")
    if retained == "lost":
        return done("lost", "will")
    if retained == "disconnected":
        return done("disconnected", "clean_stop")
    if silent > limit:
        return done("offline", "silent")
    state, mode = own_state(kiosk)
    if (health or {}).get("maintenance_pending"):
        reasons.insert(0, "maintenance_pending")
    if state == "out_of_service" or mode == "out_of_service":
        return done("out_of_service", "out_of_service")
    if state == "maintenance" or mode in MAINTENANCE_MODES:
        return done("maintenance", "maintenance")
    if state == "starting":
        return done("starting")
    if state == "degraded" or reasons:
        return done("degraded")
    if state in ("in_service",):
        return done("in_service")
    return done("unknown")


def counts(states: list[str]) -> dict[str, int]:
    """Kiosks per state, every state present (zero included) so the page's header never shifts."""
    out = dict.fromkeys(STATES, 0)
    for s in states:
        out[s] = out.get(s, 0) + 1
    return out
