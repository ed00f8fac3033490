"""The fleet and kiosk pages' texts in both languages; reason codes (backoffice.fleetstate) have one each."""
from __future__ import annotations

from backoffice.web import i18n

STATES = {
    "in_service": ("服务中", "In service"), "degraded": ("部分故障", "Degraded"), "starting": ("启动中", "Starting"),
    "maintenance": ("维护中", "Maintenance"), "out_of_service": ("暂停服务", "Out of service"),
    "offline": ("离线", "Offline"), "lost": ("连接中断", "Connection lost"), "disconnected": ("已关机", "Shut down"),
    "unknown": ("未知", "Unknown"),
}
REASONS = {  # {s}: the device (its name, from DEVICES) or the item the reason is about
    "never_heard": ("从未收到上报", "never reported"), "will": ("连接意外中断（遗嘱消息）", "connection lost (Will)"),
    "clean_stop": ("正常关机", "shut down cleanly"), "silent": ("心跳超时", "no heartbeat within the interval"),
    "out_of_service": ("终端暂停服务", "the kiosk is out of service"), "maintenance": ("维护模式", "maintenance mode"),
    "maintenance_pending": ("等待进入维护", "maintenance pending"),
    "paper_low": ("{s}纸将尽", "{s}: paper low"), "paper_out": ("{s}缺纸", "{s}: paper out"),
    "printer_fault": ("{s}故障", "{s}: printer fault"), "reader_fault": ("{s}故障", "{s}: reader fault"),
    "device_fault": ("{s}故障", "{s}: device fault"),
    "item_unavailable": ("事项不可用：{s}", "item unavailable: {s}"),
}
# The device roles of the kiosk's device contracts (devices/contracts.py `device_class`, the keys of a health
# report's `devices`), named as the hall's staff name them. The back office may not import devices/, so the
# names live here with the console's other texts; a role a newer kiosk reports and this list lacks shows its id.
DEVICES = {
    "id_reader": ("身份证读卡器", "ID card reader"), "receipt_printer": ("凭条打印机", "Receipt printer"),
    "document_printer": ("A4 打印机", "A4 document printer"), "code_scanner": ("扫码器", "Code scanner"),
    "ticket_dispenser": ("取号机", "Queue ticket dispenser"), "help_panel": ("求助面板", "Help panel"),
}
STATE_KEYS = [f"state.{s}" for s in STATES]
REASON_KEYS = [f"reason.{r}" for r in REASONS]
DEVICE_KEYS = [f"device.{d}" for d in DEVICES]

i18n.add({f"state.{k}": {"zh-CN": zh, "en": en} for k, (zh, en) in STATES.items()})
i18n.add({f"reason.{k}": {"zh-CN": zh, "en": en} for k, (zh, en) in REASONS.items()})
i18n.add({f"device.{k}": {"zh-CN": zh, "en": en} for k, (zh, en) in DEVICES.items()})
i18n.add({
    "fleet.title": {"zh-CN": "设备总览", "en": "Fleet"},
    "fleet.total": {"zh-CN": "全部", "en": "All"},
    "fleet.search": {"zh-CN": "搜索编号、名称、大厅、地址", "en": "Search id, name, hall, address"},
    "fleet.region": {"zh-CN": "区域", "en": "Region"},
    "fleet.hall": {"zh-CN": "大厅", "en": "Hall"},
    "fleet.any": {"zh-CN": "不限", "en": "Any"},
    "fleet.paper": {"zh-CN": "纸张", "en": "Paper"},
    "fleet.paper_any": {"zh-CN": "纸将尽或缺纸", "en": "Low or out"},
    "fleet.offline_min": {"zh-CN": "离线超过（分钟）", "en": "Offline longer than (min)"},
    "fleet.version": {"zh-CN": "版本", "en": "Version"},
    "fleet.item": {"zh-CN": "不可用事项", "en": "Item unavailable"},
    "fleet.item_any": {"zh-CN": "任一事项", "en": "Any item"},
    "fleet.clear": {"zh-CN": "清除筛选", "en": "Clear filters"},
    "fleet.col.state": {"zh-CN": "状态", "en": "State"},
    "fleet.col.id": {"zh-CN": "编号", "en": "Id"},
    "fleet.col.name": {"zh-CN": "名称", "en": "Name"},
    "fleet.col.place": {"zh-CN": "区域 / 大厅", "en": "Region / hall"},
    "fleet.col.seen": {"zh-CN": "最后上报", "en": "Last report"},
    "fleet.col.reasons": {"zh-CN": "原因", "en": "Reasons"},
    "fleet.ago_s": {"zh-CN": "{n} 秒前", "en": "{n} s ago"},
    "fleet.ago_min": {"zh-CN": "{n} 分钟前", "en": "{n} min ago"},
    "fleet.ago_h": {"zh-CN": "{n} 小时前", "en": "{n} h ago"},
    "fleet.ago_d": {"zh-CN": "{n} 天前", "en": "{n} days ago"},
    "fleet.never": {"zh-CN": "从未", "en": "never"},
    "fleet.showing": {"zh-CN": "第 {a}–{b} 台，共 {n} 台", "en": "{a}–{b} of {n}"},
    "fleet.none_match": {"zh-CN": "没有符合条件的设备", "en": "No kiosk matches"},
    "fleet.live": {"zh-CN": "实时", "en": "Live"},
    "fleet.reconnecting": {"zh-CN": "正在重新连接…", "en": "Reconnecting…"},
    "fleet.prev": {"zh-CN": "上一页", "en": "Previous"},
    "fleet.next": {"zh-CN": "下一页", "en": "Next"},
    "fleet.apply": {"zh-CN": "筛选", "en": "Apply"},
    "paper.ok": {"zh-CN": "正常", "en": "OK"},
    "paper.low": {"zh-CN": "纸将尽", "en": "Low"},
    "paper.out": {"zh-CN": "缺纸", "en": "Out"},
    "kiosk.identity": {"zh-CN": "设备身份证", "en": "Identity card"},
    "kiosk.id.name": {"zh-CN": "名称", "en": "Name"},
    "kiosk.id.model": {"zh-CN": "型号", "en": "Model"},
    "kiosk.id.region": {"zh-CN": "区域", "en": "Region"},
    "kiosk.id.hall": {"zh-CN": "大厅", "en": "Hall"},
    "kiosk.id.address": {"zh-CN": "地址", "en": "Address"},
    "kiosk.id.maintainer": {"zh-CN": "维护单位", "en": "Maintained by"},
    "kiosk.id.maintainer_phone": {"zh-CN": "维护电话", "en": "Maintainer's phone"},
    "kiosk.id.asset_number": {"zh-CN": "资产编号", "en": "Asset number"},
    "kiosk.state": {"zh-CN": "当前状态", "en": "Current state"},
    "kiosk.reasons": {"zh-CN": "原因", "en": "Why"},
    "kiosk.last_seen": {"zh-CN": "最后上报", "en": "Last report"},
    "kiosk.limit": {"zh-CN": "超过 {n} 秒无上报视为离线", "en": "offline after {n} s without a report"},
    "kiosk.versions": {"zh-CN": "版本", "en": "Versions"},
    "kiosk.flows_hash": {"zh-CN": "流程包哈希", "en": "Flow bundle hash"},
    "kiosk.visit": {"zh-CN": "当前办理", "en": "Current visit"},
    "kiosk.mode": {"zh-CN": "模式", "en": "Mode"},
    "kiosk.visit_none": {"zh-CN": "无人办理", "en": "No visit"},
    "kiosk.devices": {"zh-CN": "外设", "en": "Devices"},
    "kiosk.history": {"zh-CN": "健康历史", "en": "Health history"},
    "kiosk.timeline": {"zh-CN": "事件时间线", "en": "Timeline"},
    "kiosk.timeline_empty": {"zh-CN": "暂无事件", "en": "Nothing yet"},
    "kiosk.commands": {"zh-CN": "远程命令", "en": "Commands"},
    "kiosk.back": {"zh-CN": "返回设备总览", "en": "Back to the fleet"},
    "tl.restart": {"zh-CN": "重启", "en": "Restart"},
    "tl.connect": {"zh-CN": "连接", "en": "Connected"},
    "tl.fault": {"zh-CN": "故障", "en": "Fault"},
    "tl.recovery": {"zh-CN": "恢复", "en": "Recovered"},
    "tl.maintenance_on": {"zh-CN": "进入维护", "en": "Maintenance on"},
    "tl.maintenance_off": {"zh-CN": "结束维护", "en": "Maintenance off"},
    "tl.out_of_service": {"zh-CN": "暂停服务", "en": "Out of service"},
    "tl.lost": {"zh-CN": "连接中断", "en": "Connection lost"},
    "tl.disconnected": {"zh-CN": "关机", "en": "Shut down"},
    "tl.state": {"zh-CN": "状态", "en": "State"},
    "tl.command_sent": {"zh-CN": "发送指令", "en": "Command sent"},
    "tl.command_answered": {"zh-CN": "指令结果", "en": "Command answered"},
    "tl.command_expired": {"zh-CN": "指令过期", "en": "Command expired"},
    "chart.paper": {"zh-CN": "纸张余量", "en": "Paper level"},
    "chart.memory": {"zh-CN": "内存（MiB）", "en": "Memory (MiB)"},
    "chart.mem_available": {"zh-CN": "可用内存", "en": "available"},
    "chart.rss": {"zh-CN": "进程占用", "en": "process RSS"},
    "chart.restarts": {"zh-CN": "重启次数", "en": "Restarts"},
    "chart.visits": {"zh-CN": "各事项办理量", "en": "Visits per item"},
    "chart.latency": {"zh-CN": "后台接口延迟（毫秒）", "en": "Backend latency (ms)"},
    "chart.no_data": {"zh-CN": "无数据", "en": "no data"},
})


def device_name(role: str, lang: str) -> str:
    """`receipt_printer` as staff call it (凭条打印机, Receipt printer); an unknown role shows itself."""
    return i18n.text(f"device.{role}", lang) if role in DEVICES else role


def reason_text(code: str, lang: str) -> str:
    """`paper_out:receipt_printer` as a sentence (凭条打印机缺纸); an unknown code shows itself."""
    name, _, subject = code.partition(":")
    key = f"reason.{name}"
    return i18n.text(key, lang, s=device_name(subject, lang)) if "{s}" in i18n.text(key, lang) else i18n.text(key, lang)
