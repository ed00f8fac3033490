"""The out-of-service screen: why, until when, whose machine, and where else to go, in both languages.

Nothing on it is for a citizen to touch (only the technician's hidden
corner), so there is no language switch: every line is shown in Chinese
with its English beneath, from kiosk.out_of_service.
"""
from __future__ import annotations

from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.out_of_service import OutOfServiceView
from kiosk.ui import theme as th
from kiosk.ui.widgets import Panel, Text


def _pair(box, pair, t: th.Theme, size: float, color=th.INK, bold: bool = False, halign: str = "center") -> None:
    zh, en = pair
    box.add_widget(Text(zh, size, color, bold=bold, halign=halign))
    box.add_widget(Text(en, size * 0.8, color, halign=halign))


def out_of_service_screen(view: OutOfServiceView, t: th.Theme) -> Panel:
    root = Panel(orientation="vertical", padding=3 * t.gap, spacing=t.gap)
    root.add_widget(Widget(size_hint_y=0.3))
    _pair(root, view.title, t, t.title * 1.2, bold=True)
    why = Panel(bg=th.WARN_BG, orientation="vertical", size_hint_y=None, padding=t.gap, spacing=t.gap / 2)
    why.bind(minimum_height=why.setter("height"))
    for reason in view.reasons:
        _pair(why, reason, t, t.body, th.WARN, bold=True)
    if view.back:
        _pair(why, view.back, t, t.body, th.WARN)
    root.add_widget(why)
    if view.nearest:
        where = Panel(bg=th.SECONDARY, orientation="vertical", size_hint_y=None, padding=t.gap)
        where.bind(minimum_height=where.setter("height"))
        _pair(where, view.nearest, t, t.body, th.ON_SECONDARY, bold=True)
        root.add_widget(where)
    phone = next((value for zh, en, value in view.identity if en == "Maintainer's phone"), "")
    if phone:  # the one number a citizen may need here, large
        root.add_widget(Text(f"报修电话 Maintainer's phone: {phone}", t.body, bold=True, halign="center"))
    if view.identity:
        card = GridLayout(cols=2, spacing=(2 * t.gap, t.gap / 2), size_hint_y=None)
        card.bind(minimum_height=card.setter("height"))
        for zh, en, value in view.identity:
            card.add_widget(Text(f"{zh} {en}", t.small, th.MUTED))
            card.add_widget(Text(value, t.small, bold=True))
        root.add_widget(card)
    root.add_widget(Widget(size_hint_y=0.3))
    return root
