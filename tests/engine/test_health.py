"""The health snapshot: current facts only, no personal data."""
import json
from pathlib import Path

from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.health import Counters, kiosk_state, snapshot
from kiosk.scenario.runner import make_devices

FLOWS = Path(__file__).resolve().parents[2] / "flows"


async def test_snapshot_reports_devices_items_system_and_state():
    reg = FlowRegistry(FLOWS)
    reg.reload()
    devices = make_devices()
    for d in devices.values():
        await d.open()
    c = KioskController(reg, devices, None, VirtualClock(), kiosk={"id": "K1"})
    counters = Counters()
    counters.visit("queue-ticket", "completed", {"ticket_dispenser": 1})
    counters.visit("queue-ticket", "failed", {})
    snap = snapshot(c, versions={"runtime": "0.1.0"}, counters=counters)
    assert snap["state"] == "in_service"
    assert snap["counters"]["completions"] == {"queue-ticket": 1} and snap["counters"]["failures"] == {"queue-ticket": 1}
    assert snap["system"]["uptime_s"] >= 0 and snap["system"]["disk_free_mib"] > 0
    devices["document_printer"].inject("paper_out")
    c.refresh_home()
    snap = snapshot(c, versions={}, counters=counters)
    assert snap["state"] == "degraded"
    assert snap["devices"]["document_printer"]["reasons"] == ["paper_out"]
    assert snap["items"]["social-security-certificate"] == {"available": False, "reasons": ["document_printer:paper_out"]}
    assert snap["items"]["queue-ticket"]["available"]
    json.dumps(snap)  # publishable as is


def test_state_rules():
    assert kiosk_state("maintenance", {}, 0, 3) == "maintenance"
    assert kiosk_state("home", {"a": "ok"}, 0, 3) == "out_of_service"
    assert kiosk_state("home", {"a": "offline"}, 3, 3) == "degraded"
    assert kiosk_state("visit", {"a": "warning"}, 3, 3) == "in_service"
