"""What kiosks report, built through wire, for the alert, statistics and metrics tests."""
from __future__ import annotations

from wire import messages

PRINTER = "receipt_printer"


def birth(kiosk_id: str, seq: int = 1, hall: str = "市民中心", region: str = "东城区", at: float = 1000.0, **card):
    return messages.Birth(kiosk_id=kiosk_id, boot_id=f"b{seq}", session_seq=seq, versions={"runtime": "0.1.0"},
                          commands=["ping"], command_envelope=1, commands_enabled=False, at=at,
                          identity={"name": kiosk_id, "hall": hall, "region": region, **card})


def health(seq: int = 1, *, paper: str | None = None, state: str = "in_service", mode: str = "home",
           reader: str = "ok", system: dict | None = None, at: float = 1001.0):
    """A kiosk's health; `paper` is None, "paper_low" or "paper_out" on its receipt printer."""
    printer = messages.DeviceHealth({None: "ok", "paper_low": "warning", "paper_out": "error"}[paper],
                                    [paper] if paper else [], "")
    devices = {PRINTER: printer, "id_reader": messages.DeviceHealth(reader, [] if reader == "ok" else ["no_reply"], "")}
    figures = {"uptime_s": 5, "disk_free_mib": 9000, "clock_synchronized": True, "state_persistent": True}
    return messages.Health(
        state=state, mode=mode, maintenance_pending=False, devices=devices,
        items={"social_security": messages.ItemHealth(paper != "paper_out", [])}, system={**figures, **(system or {})},
        versions={"runtime": "0.1.0"}, counters=messages.VisitCounts(0, {}, {}, {}),
        journal=messages.JournalFlags(True), session_seq=seq, at=at)


def state(value: str, seq: int = 1, at: float = 1002.0):
    return messages.State(state=value, session_seq=seq, at=at)


def visit(flow: str, result: str = "completed", *, reason: str = "", pages: int = 0, at: float, seq: int = 1):
    return messages.Visit(flow=flow, result=result, reason=reason, printed={PRINTER: pages} if pages else {},
                          tickets=0, session_seq=seq, at=at)
