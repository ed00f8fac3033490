"""What the out-of-service screen says: why, until when, whose machine this is, and where else to go.

Both languages at once: the screen has no language switch (nothing on it
is meant to be touched but the technician's corner), and a visitor who
reads no Chinese must still learn where the next kiosk is. The reasons
are the kiosk's own (maintenance, a fault, remote maintenance) and the
devices' (from the home screen's availability); the identity card is
kiosk.toml [identity], public by design.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Bilingual = tuple[str, str]  # (zh-CN, en)

WHY: dict[str, Bilingual] = {
    "maintenance": ("设备维护中", "A technician is servicing this kiosk"),
    "remote_maintenance": ("设备远程维护中", "This kiosk is being serviced remotely"),
    "repeated failures": ("设备故障，已通知维护人员", "A fault: the maintainer has been told"),
    "": ("设备暂停服务", "This kiosk is not in service"),
}
DEVICE: dict[str, Bilingual] = {
    "paper_out": ("打印机缺纸", "printer out of paper"), "jam": ("卡纸", "paper jam"),
    "cover_open": ("机盖未关", "cover open"), "offline": ("设备未连接", "device not connected"),
    "not_configured": ("设备未配置", "device not installed"), "closed": ("不在办理时间", "outside service hours"),
}
LABELS: dict[str, Bilingual] = {
    "name": ("设备名称", "Kiosk"), "hall": ("所在大厅", "Hall"), "address": ("地址", "Address"),
    "model": ("型号", "Model"), "asset_number": ("资产编号", "Asset no."), "maintainer": ("维护单位", "Maintained by"),
    "maintainer_phone": ("维护电话", "Maintainer's phone"),
}
TITLE: Bilingual = ("本机暂停服务", "This kiosk is out of service")
MAINTENANCE_TITLE: Bilingual = ("本机正在维护", "This kiosk is under maintenance")


@dataclass(frozen=True)
class OutOfServiceView:
    title: Bilingual
    reasons: tuple[Bilingual, ...]  # the first is the kiosk's own; then what the devices say, each once
    back: Bilingual | None  # when service is expected back; None when nobody knows
    identity: tuple[tuple[str, str, str], ...]  # (label zh-CN, label en, value) for each field with a value
    nearest: Bilingual | None  # where to go instead

    def all_text(self) -> str:
        parts = [*self.title, *(p for r in self.reasons for p in r), *(self.back or ()), *(self.nearest or ())]
        parts += [p for row in self.identity for p in row]
        return "\n".join(p for p in parts if p)


def out_of_service_view(reason: str, identity: Mapping[str, str], back_at: str = "",
                        down: Mapping[str, tuple[str, ...]] | None = None) -> OutOfServiceView:
    """`down` maps unavailable items to their availability reasons ("document_printer:paper_out", "closed")."""
    reasons = [WHY.get(reason, WHY[""])]
    for codes in (down or {}).values():
        for code in codes:
            for part in (code.split(":", 1)[1].split(",") if ":" in code else [code]):
                words = DEVICE.get(part or "not_configured", ("设备故障", "device fault"))
                if words not in reasons:
                    reasons.append(words)
    back = (f"预计 {back_at} 恢复服务", f"Expected back in service at {back_at}") if back_at else None
    rows = tuple((*LABELS[k], identity[k]) for k in LABELS if identity.get(k))
    nearest = identity.get("nearest", "")
    where = (f"请前往：{nearest}", f"Please go to: {nearest}") if nearest else (
        "请使用其他自助终端或到人工窗口办理", "Please use another kiosk or a staffed counter")
    title = MAINTENANCE_TITLE if "maintenance" in reason else TITLE
    return OutOfServiceView(title, tuple(reasons), back, rows, where)
