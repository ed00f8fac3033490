"""The demo's simulator panel: put a sample card on the reader, run a printer out of paper...

Shown beside the kiosk screen only by `kiosk demo`; it acts on the simulated
twins exactly as hardware events would, so the kiosk cannot tell.
"""
from __future__ import annotations

import asyncio
import json
import urllib.request

from kivy.uix.boxlayout import BoxLayout

from kiosk.ui import theme as th
from kiosk.ui.widgets import Panel, TapButton, Text


def sim_panel(devices: dict, backend_url: str | None, on_device_change) -> BoxLayout:
    t = th.Theme(scale=0.6)
    panel = Panel(bg=th.MUTED_BG, orientation="vertical", padding=t.gap, spacing=t.gap / 2)
    panel.add_widget(Text("模拟设备 / Simulator", t.body, bold=True))

    def card(key):
        from devices.id_reader.sample_cards import SAMPLE_CARDS

        return lambda: devices["id_reader"].insert_card(SAMPLE_CARDS[key])

    def fault(role, name, on):
        def go():
            dev = devices.get(role)
            if dev is not None:
                dev.inject(name) if on else dev.clear(name)
                on_device_change()
        return go

    def backend(body):
        def go():
            if backend_url:
                req = urllib.request.Request(backend_url + "/_control", json.dumps(body).encode(), method="POST")
                asyncio.get_running_loop().run_in_executor(None, lambda: urllib.request.urlopen(req, timeout=2).read())
        return go

    buttons = [
        ("刷卡：张三", "sim:card:zhang_san", card("zhang_san")),
        ("刷卡：李四（长期）", "sim:card:li_si", card("li_si")),
        ("刷卡：王小五（无记录）", "sim:card:wang_xiaowu", card("wang_xiaowu")),
        ("刷卡：读卡失败", "sim:card:bad", lambda: devices["id_reader"].insert_card(None)),
        ("扫码 QR-DEMO-001", "sim:scan", lambda: devices["code_scanner"].scan("QR-DEMO-001")),
        ("A4 缺纸", "sim:a4:out", fault("document_printer", "paper_out", True)),
        ("A4 恢复", "sim:a4:ok", fault("document_printer", "paper_out", False)),
        ("凭条/取号机缺纸", "sim:receipt:out", lambda: (fault("receipt_printer", "paper_out", True)(),
                                                   fault("ticket_dispenser", "paper_out", True)())),
        ("凭条/取号机恢复", "sim:receipt:ok", lambda: (fault("receipt_printer", "paper_out", False)(),
                                                  fault("ticket_dispenser", "paper_out", False)())),
        ("后台变慢 (5 s)", "sim:backend:slow", backend({"latency_ms": 5000})),
        ("后台故障", "sim:backend:down", backend({"fail": "unavailable"})),
        ("后台恢复", "sim:backend:ok", backend({})),
    ]
    for label, kid, fn in buttons:
        panel.add_widget(TapButton(label, kid, fn, t, "secondary"))
    panel.add_widget(BoxLayout())
    return panel
