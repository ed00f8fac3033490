"""A fleet with a realistic mix of states, written through the store as ingest would (tests, screenshots).

Names and places are made up; no citizen appears anywhere (a fleet report carries none).
"""
from __future__ import annotations

import time

from backoffice.store import FleetStore
from wire import messages

REGIONS = {"东城区": ["东城政务服务中心", "和平里社区服务站"], "西城区": ["西城政务服务中心", "金融街24小时自助区"],
           "朝阳区": ["朝阳政务服务中心", "望京社区服务站", "建国门银行网点"]}
ITEMS = ("social_security", "queue", "pension")
# per kiosk index i % 20: what is wrong with it
MIX = {3: "paper_low", 7: "paper_out", 11: "offline", 13: "lost", 15: "out_of_service", 17: "maintenance",
       19: "reader_fault"}


def identity(i: int, region: str, hall: str) -> dict[str, str]:
    return {"name": f"{hall} {i % 9 + 1}号机", "model": "GZ-2000", "region": region, "hall": hall,
            "address": f"{region}示例路{i % 97 + 1}号", "maintainer": "示例运维有限公司",
            "maintainer_phone": "010-5555-0100", "asset_number": f"ZC-{i:06d}"}


def health(trouble: str, at: float, seq: int, uptime: float, visits: int = 0, runtime: str = "1.4.2",
           mem: float = 900.0, latency: float | None = 120.0, visit: dict | None = None) -> messages.Health:
    printer = {"paper_low": ("warning", ["paper_low"]), "paper_out": ("error", ["paper_out"])}.get(trouble, ("ok", []))
    reader = ("offline", ["no_reply"]) if trouble == "reader_fault" else ("ok", [])
    mode = {"out_of_service": "out_of_service", "maintenance": "maintenance"}.get(trouble, "visit" if visit else "home")
    state = {"out_of_service": "out_of_service", "maintenance": "maintenance", "paper_out": "degraded",
             "reader_fault": "degraded", "paper_low": "in_service"}.get(trouble, "in_service")
    items = {item: messages.ItemHealth(not (trouble == "paper_out" and item == "queue"),
                                       ["ticket_dispenser:paper_out"] if trouble == "paper_out" and item == "queue"
                                       else []) for item in ITEMS}
    system = {"uptime_s": uptime, "mem_available_mib": mem, "rss_mib": 180.0 + visits % 40, "disk_free_mib": 9000}
    if latency is not None:
        system["backend_latency_ms"] = latency
    return messages.Health(
        state=state, mode=mode, maintenance_pending=False,
        devices={"receipt_printer": messages.DeviceHealth(printer[0], printer[1], ""),
                 "ticket_dispenser": messages.DeviceHealth(*printer, ""),
                 "id_reader": messages.DeviceHealth(reader[0], reader[1], "")},
        items=items, system=system, versions={"runtime": runtime, "flows": "3f9a1c2b7d4e"},
        counters=messages.VisitCounts(visits, {"social_security": visits // 2, "queue": visits - visits // 2}, {}, {}),
        journal=messages.JournalFlags(True), session_seq=seq, at=at, visit=visit or {})


def seed(store: FleetStore, n: int = 60, now: float | None = None, history_for: tuple[str, ...] = ()) -> list[str]:
    """`n` kiosks K-00001... over the regions and halls; the ids in `history_for` get 24 hours of samples."""
    now = time.time() if now is None else now
    clock, ids = store.clock, []
    place = [(r, h) for r, halls in REGIONS.items() for h in halls]
    try:
        for i in range(1, n + 1):
            kiosk_id = f"K-{i:05d}"
            ids.append(kiosk_id)
            region, hall = place[i % len(place)]
            trouble = MIX.get(i % 20, "")
            runtime = "1.4.1" if i % 5 == 0 else "1.4.2"
            seen = now - 3 * 3600 if trouble == "offline" else now - (i % 30)
            if kiosk_id in history_for:
                for k in range(24 * 12):  # every 5 minutes for a day, a restart in the middle
                    at = seen - 86400 + k * 300
                    store.clock = lambda at=at: at
                    up = (k % 144) * 300 + 60
                    store.health(kiosk_id, health("paper_low" if 100 < k < 200 else "", at, 1, up, visits=k % 144 * 3,
                                                  runtime=runtime, mem=800 + 100 * ((k // 12) % 3),
                                                  latency=100 + (k % 24) * 5))
            store.clock = lambda seen=seen: seen
            versions = {"runtime": runtime, "flows": "3f9a1c2b7d4e"}
            store.birth(kiosk_id, messages.Birth(kiosk_id, f"boot-{i}", 2, versions, ["ping"], 1, True, seen,
                                                 identity(i, region, hall), 60.0))
            state = {"lost": "lost", "out_of_service": "out_of_service", "maintenance": "maintenance"}.get(
                trouble, "in_service")
            store.state(kiosk_id, messages.State("in_service", 2, seen - 1))
            visit = {"item": "social_security", "step": "read_id_card"} if i % 20 == 1 else None
            store.health(kiosk_id, health(trouble, seen, 2, 4000.0 + i, visits=40 + i % 17, runtime=runtime,
                                          visit=visit))
            if state != "in_service":
                store.state(kiosk_id, messages.State(state, 2, seen + 0.5))
            if trouble in ("paper_out", "reader_fault"):
                device = "receipt_printer" if trouble == "paper_out" else "id_reader"
                reason = "paper_out" if trouble == "paper_out" else "no_reply"
                store.event(kiosk_id, messages.DeviceChange(device, "error", [reason], {}, 2, seen - 600))
                store.event(kiosk_id, messages.DeviceChange(device, "ok", [], {}, 2, seen - 1200))
    finally:
        store.clock = clock
    return ids
