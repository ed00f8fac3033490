"""`make demo`'s fleet without the window: the back office and a simulated fleet start as programs, the demo kiosk
(the headless assembly on the demo configuration) joins them as DEMO-01, and its printer running out of paper
reaches the back office's store."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk import config, runtime
from kiosk.demo import fleet as demo_fleet
from kiosk.demo.settings import demo_config, with_fleet
from tests.fleet.mqtt_helpers import MOSQUITTO

pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists() or not demo_fleet.available(),
                                reason="mosquitto or the back office is not installed")
ROOT = Path(__file__).resolve().parents[2]


def store(directory: Path):
    from backoffice import db
    from backoffice.store import FleetStore
    return FleetStore(db.engine(f"sqlite:///{directory / 'backoffice.db'}"))


async def until(fn, timeout: float = 30, what: str = ""):
    import asyncio
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fn()
        if found:
            return found
        await asyncio.sleep(0.1)  # polling another program's store, bounded
    raise AssertionError(f"not within {timeout} s: {what}")


def demo_kiosk(rows: list[dict]) -> dict | None:
    return next((k for k in rows if k["id"] == "DEMO-01"), None)


async def test_the_demo_kiosk_is_one_of_the_fleet_and_its_paper_out_reaches_the_console(tmp_path):
    fleet = demo_fleet.DemoFleet(tmp_path / "backoffice", kiosks=30, halls=3, console_port=0).start()
    k = None
    try:
        banner = fleet.banner()
        assert fleet.console in banner and "admin" in banner and "30 kiosks in 3 halls" in banner
        fleet_store = store(tmp_path / "backoffice")
        await until(lambda: sum(1 for r in fleet_store.kiosks() if r["id"].startswith("SIM-")) == 30,
                    what="the simulated fleet in the store")
        cfg = config.load(ROOT / "etc" / "demo.toml")
        cfg = with_fleet(demo_config(cfg, "http://127.0.0.1:9").model_copy(update={"var_dir": tmp_path / "kiosk"}),
                         *fleet.broker, fleet.public_key)
        k = runtime.build(cfg)
        await runtime.start(k)
        # Its birth, with the identity card (a state the link queued before connecting may come first).
        row = await until(lambda: (r := demo_kiosk(fleet_store.kiosks())) and r["birth_at"] and r,
                          what="DEMO-01's birth in the store")
        assert row["identity"]["maintainer_phone"] == "400-800-1234" and row["identity"]["hall"] == "示例市政务服务中心"
        await until(lambda: (demo_kiosk(fleet_store.kiosks()) or {}).get("health"), what="DEMO-01's health")
        # The simulator panel's "凭条/取号机缺纸": a fault on the simulated twin, as the hardware would report it.
        started = time.monotonic()
        k.devices["receipt_printer"].inject("paper_out")
        k.device_changed()
        health = await until(lambda: _paper_out(demo_kiosk(fleet_store.kiosks())), what="paper out in the store")
        print(f"paper out on DEMO-01 to the back office's store: {time.monotonic() - started:.2f} s")
        assert health["devices"]["receipt_printer"]["state"] == "error"
    finally:
        if k is not None:
            await runtime.stop(k)
        # As after a remote restart, when the demo has re-executed itself: the fleet handed over, then stopped.
        resumed = demo_fleet.DemoFleet.resume(fleet.handover())
        pids = [p.pid for p in resumed.procs]
        resumed.stop()
        fleet.stop()
    assert len(pids) == 2 and all(not Path(f"/proc/{pid}").exists() for pid in pids)  # stopped and reaped
    assert not (tmp_path / "backoffice" / "mosquitto" / "address").exists()  # the broker went with serve


def _paper_out(row: dict | None) -> dict | None:
    health = (row or {}).get("health") or {}
    printer = health.get("devices", {}).get("receipt_printer", {})
    return health if "paper_out" in printer.get("reasons", []) else None
