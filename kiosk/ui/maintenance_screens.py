"""The technician's screens: the PIN pad and the maintenance panel (device status, test prints, reload)."""
from __future__ import annotations

from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.ui import theme as th
from kiosk.ui.widgets import Panel, TapButton, Text


def hidden_corner(on_tap, size: float = 120) -> Button:
    """An invisible target in the top-left corner; five taps within 3 s open the PIN pad."""
    b = Button(text="", size_hint=(None, None), size=(size, size), background_normal="", background_down="",
               background_color=(0, 0, 0, 0))
    b.kid = "hidden:corner"
    b.bind(on_release=lambda *_: on_tap())
    return b


def pin_screen(buffer: list[str], error: bool, t: th.Theme, press, cancel) -> Panel:
    root = Panel(orientation="vertical", padding=3 * t.gap, spacing=2 * t.gap)
    root.add_widget(Text("维护模式 / Maintenance", t.title, bold=True))
    root.add_widget(Text("●" * len(buffer) or " ", t.title, halign="center"))
    if error:
        root.add_widget(Text("PIN 不正确 / Wrong PIN", t.body, th.DANGER))
    pad = GridLayout(cols=3, spacing=t.gap, size_hint_y=None, height=4 * t.target + 3 * t.gap)
    for key in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "OK"]:
        kid = {"back": "pin:back", "OK": "pin:ok"}.get(key, f"pin:{key}")
        label = "← 删除" if key == "back" else key  # no font has a glyph for ⌫ (U+232B): it showed as a box
        pad.add_widget(TapButton(label, kid, lambda k=key: press(k), t, "secondary" if key != "OK" else "primary"))
    root.add_widget(pad)
    root.add_widget(TapButton("取消 / Cancel", "pin:cancel", cancel, t, "muted"))
    root.add_widget(Widget())
    return root


def maintenance_screen(info: dict, t: th.Theme, action) -> Panel:
    root = Panel(orientation="vertical", padding=3 * t.gap, spacing=t.gap)
    root.add_widget(Text("维护模式 / Maintenance", t.title, bold=True))
    root.add_widget(Text(f"flows: {info.get('flows', 0)}  bundle: {info.get('bundle', '-')}", t.small, th.MUTED))
    for line in identity_lines(info.get("identity") or {}):
        root.add_widget(Text(line, t.small, th.INK))
    for role, st in info.get("devices", {}).items():
        colour = th.INK if st["state"] in ("ok", "warning") else th.DANGER
        root.add_widget(Text(f"{role}: {st['state']} {' '.join(st['reasons'])}", t.body, colour))
    if info.get("last"):
        root.add_widget(Text(info["last"], t.body, th.WARN))
    for label, kid in [("打印测试页：凭条 / Test receipt", "test_print:receipt_printer"),
                       ("打印测试页：A4 / Test A4", "test_print:document_printer"),
                       ("重新加载事项 / Reload flows", "reload"),
                       ("暂停服务 / Take out of service", "out_of_service"),
                       ("退出维护 / Leave maintenance", "leave")]:
        root.add_widget(TapButton(label, f"maint:{kid}", lambda k=kid: action(k), t,
                                  "primary" if kid == "leave" else "secondary"))
    root.add_widget(Widget())
    return root


def identity_lines(card: dict) -> list[str]:
    """The device's identity card (设备身份证), as printed on its label: what the technician reads out on the phone."""
    if not card:
        return []
    first = " · ".join(v for v in (card.get("name"), card.get("model")) if v)
    lines = [first] if first else []
    if card.get("asset_number"):
        lines.append(f"资产编号 / Asset: {card['asset_number']}")
    where = " ".join(v for v in (card.get("region"), card.get("hall"), card.get("address")) if v)
    if where:
        lines.append(where)
    who = " ".join(v for v in (card.get("maintainer"), card.get("maintainer_phone")) if v)
    if who:
        lines.append(f"维护单位 / Maintainer: {who}")
    return lines
