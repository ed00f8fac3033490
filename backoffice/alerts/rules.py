"""The alert rules as pure functions of a kiosk's current facts, so each is tested without a database.

Condition rules hold while their fact holds and clear themselves when it is gone (a kiosk heard from again,
paper refilled). Event rules mark something that happened (a restart loop): the fact is over by the time
anyone looks, so an operator acknowledges them.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import re


@dataclasses.dataclass(frozen=True)
class Rule:
    kind: str  # condition | event
    severity: str  # warning | critical


RULES: dict[str, Rule] = {
    "offline": Rule("condition", "critical"),
    "paper_low": Rule("condition", "warning"),
    "paper_out": Rule("condition", "critical"),
    "printer_error": Rule("condition", "critical"),
    "reader_error": Rule("condition", "critical"),
    "out_of_service": Rule("condition", "critical"),
    "clock_unsynchronized": Rule("condition", "warning"),
    "disk_low": Rule("condition", "warning"),
    "state_not_persistent": Rule("condition", "warning"),
    "restart_loop": Rule("event", "critical"),
}
CONDITIONS = tuple(name for name, rule in RULES.items() if rule.kind == "condition")

FAULT_STATES = ("error", "offline")
# Paper has rules of its own; a role an operator stopped or never configured is not a fault.
NOT_FAULTS = {"paper_low", "paper_out", "stopped", "not_configured"}
GONE = ("lost", "disconnected")  # the kiosk's last word: it is not back until it says otherwise
MAINTENANCE_MODES = ("maintenance", "pin", "remote_maintenance")
ROLE = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the back office knows of one kiosk now; `health` is wire Health as a dict, or None."""
    kiosk_id: str
    hall: str | None
    region: str | None
    state: str
    health: dict | None
    last_seen: float | None  # the back office's clock


def in_maintenance(facts: Facts) -> bool:
    """A technician at the machine (PIN, remote maintenance): what they do there raises nothing."""
    mode = (facts.health or {}).get("mode")
    return facts.state == "maintenance" or mode in MAINTENANCE_MODES


def conditions(facts: Facts, cfg, now: float) -> dict[str, dict]:
    """Every condition rule that holds now -> its detail (device roles and figures only)."""
    out: dict[str, dict] = {}
    stopped = facts.state == "disconnected" and not cfg.offline_after_clean_stop
    if facts.last_seen is not None and now - facts.last_seen > cfg.offline_minutes * 60 and not stopped:
        out["offline"] = {"minutes": int(cfg.offline_minutes)}
    health = facts.health or {}
    if facts.state == "out_of_service" or health.get("state") == "out_of_service":
        out["out_of_service"] = {}
    devices = health.get("devices") or {}
    for rule, reason in (("paper_low", "paper_low"), ("paper_out", "paper_out")):
        roles = [role for role, d in devices.items() if reason in (d.get("reasons") or [])]
        if roles:
            out[rule] = {"devices": _roles(roles)}
    for rule, patterns in (("printer_error", cfg.printer_roles), ("reader_error", cfg.reader_roles)):
        roles = [role for role, d in devices.items() if _matches(role, patterns) and _faulty(d)]
        if roles:
            out[rule] = {"devices": _roles(roles)}
    system = health.get("system") or {}
    if system.get("clock_synchronized") is False:  # None: the kiosk cannot tell, which is not a fault
        out["clock_unsynchronized"] = {}
    free = system.get("disk_free_mib")
    if isinstance(free, (int, float)) and not isinstance(free, bool) and free < cfg.disk_low_mib:
        out["disk_low"] = {"free_mib": int(free)}
    if system.get("state_persistent") is False:
        out["state_not_persistent"] = {}
    return {rule: detail for rule, detail in out.items() if rule not in cfg.disabled_rules}


def restart_loop(births_in_window: int, cfg) -> dict | None:
    if "restart_loop" in cfg.disabled_rules or births_in_window < cfg.restart_loop_births:
        return None
    return {"births": births_in_window, "minutes": int(cfg.restart_loop_minutes)}


def _faulty(device: dict) -> bool:
    if device.get("state") not in FAULT_STATES:
        return False
    reasons = set(device.get("reasons") or [])
    return not reasons or bool(reasons - NOT_FAULTS)


def _matches(role: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(role, p) for p in patterns)


def _roles(roles: list[str]) -> list[str]:
    """Roles are keys of a kiosk's report: only plain names go into an alert, anything else is masked."""
    return sorted(r if ROLE.fullmatch(r) else "?" for r in roles)
