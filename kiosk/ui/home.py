"""The home screen as the halls arrange it, drawn from kiosk.home.HomeView.

A header with the hall's name, the live date and time and the device number;
a row with search, video help and the device's identity card; the items
under their category headings, each with its icon and a one-line summary, in
a scrolling area; while searching, the on-screen keyboard (pinyin, or Latin
on English screens) narrows the tiles with every key. Typing changes only the
tiles (``HomeScreen.show``), so the keyboard keeps the pinyin being composed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.home import HomeView
from kiosk.ui import theme as th
from kiosk.ui.scroll import ClippedScrollView
from kiosk.ui.texts import reason_text, ui
from kiosk.ui.widgets import Contained, Panel, TapButton, Text

WEEKDAYS = {"zh-CN": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CARD_ROWS = ("name", "hall", "id", "model", "address", "maintainer", "maintainer_phone", "asset_number", "nearest")


def clock_text(now: dt.datetime, locale: str) -> str:
    if locale == "zh-CN":
        return f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS['zh-CN'][now.weekday()]} {now:%H:%M}"
    return f"{WEEKDAYS['en'][now.weekday()]} {now.day} {MONTHS[now.month - 1]} {now.year} {now:%H:%M}"


class WallClock(Text):
    """The date and time in the header; ticked by the window's timer, redrawn only when the minute changes."""

    kid = "home:clock"

    def __init__(self, locale: str, now: dt.datetime, size: float, color):
        self.locale = locale
        super().__init__(clock_text(now, locale), size, color, bold=True, halign="right")

    def tick_wall(self, now: dt.datetime) -> None:
        text = clock_text(now, self.locale)
        if text != self.text:
            self.text = text


@dataclass(frozen=True)
class HomeActions:
    start: Callable[[str], object]  # a tile: start that item
    home_ui: Callable[..., object]  # search (searching, query) and the identity card (identity)
    help: Callable[[], object]  # 视频求助


@dataclass(frozen=True)
class Layout:
    """Choices a hall (or another layout) may change without touching the drawing code."""

    columns: int | None = None  # tiles per row; None: one in elderly mode, two in portrait, three in landscape
    tile_height: float = 1.4  # in targets
    icon: float = 0.85  # icon size in targets


class Icon(Contained, Image):
    """A tile's icon."""


class HomeScreen(Panel):
    def __init__(self, view: HomeView, t: th.Theme, chrome, actions: HomeActions, now: dt.datetime, *,
                 corner: Widget | None = None, layout: Layout = Layout(), elderly: bool = False):
        from kiosk.ui.screens import footer

        super().__init__(bg=None, orientation="vertical")
        self.t, self.actions, self.layout, self.elderly = t, actions, layout, elderly
        self.key: tuple = ()  # set by whoever shows it: what, when it changes, needs a whole new screen
        self._shown: HomeView | None = None
        self.clock = WallClock(view.locale, now, t.body, th.ON_PRIMARY)
        self.add_widget(self._header(view, corner))
        self.content = BoxLayout(orientation="vertical", size_hint_y=None, spacing=t.gap, padding=(0, 0, 20, 0))
        self.content.bind(minimum_height=self.content.setter("height"))
        self.scroll = ClippedScrollView(do_scroll_x=False, bar_width=12, bar_color=th.PRIMARY,
                                        bar_inactive_color=th.MUTED, scroll_type=["bars", "content"],
                                        effect_cls="ScrollEffect")
        self.scroll.kid = "home:scroll"
        self.scroll.add_widget(self.content)
        body = BoxLayout(orientation="vertical", padding=(2 * t.gap, t.gap), spacing=t.gap)
        tools = self._tools(view) if not view.searching else self._search_bar(view)
        keyboard = self._keyboard(view) if view.searching else None
        bottom = footer(t, view.locale, elderly, chrome, None)
        if keyboard is not None and not t.portrait:  # landscape: search bar and results beside the keyboard
            body.orientation = "horizontal"
            left = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_x=0.4)
            left.add_widget(tools)
            left.add_widget(self.scroll)
            right = BoxLayout(orientation="vertical", size_hint_x=0.6)
            right.add_widget(keyboard)
            right.add_widget(Widget())
            body.add_widget(left)
            body.add_widget(right)
            keyboard = None
        elif t.low_reach:  # every control in the lower 55%: the list and the tools just over the footer
            reach = 0.55 * t.height - bottom.height - tools.height - 3 * t.gap - (keyboard.height if keyboard else 0)
            self.scroll.size_hint_y, self.scroll.height = None, max(t.target * 1.5, reach)
            body.add_widget(Widget())
            body.add_widget(self.scroll)
            body.add_widget(tools)
        else:
            body.add_widget(tools)
            body.add_widget(self.scroll)
        self.add_widget(body)
        if keyboard is not None:
            self.add_widget(keyboard)
        self.add_widget(bottom)
        self.show(view)

    # ------------------------------------------------------------ parts
    def _header(self, view: HomeView, corner: Widget | None) -> Panel:
        """Hall and clock, then the kiosk's name and number; in elderly mode the hall alone on the first line
        (at 1.5x it would wrap beside the clock) and no kiosk name (fewer words)."""
        t = self.t
        header = Panel(bg=th.PRIMARY, fixed=True, orientation="vertical", size_hint_y=None, padding=(2 * t.gap, t.gap))
        header.bind(minimum_height=header.setter("height"))
        hall = Text(view.hall or ui("home_title", view.locale), t.title, th.ON_PRIMARY, bold=True)
        hall.kid = "home:hall"
        device = Text(ui("device_no", view.locale, id=view.device) if view.device else " ", t.small, th.ON_PRIMARY,
                      halign="right")
        device.kid = "home:device"
        name = Text(view.kiosk_name if view.kiosk_name != view.hall else " ", t.small, th.ON_PRIMARY)
        if self.elderly:  # the clock at the small size, which is already 36 px here, so that it stays on one line
            self.clock.halign, self.clock.font_size, self.clock.size_hint_x = "left", t.small, 1.8
            rows = [[hall], [self.clock, device]]
        else:
            rows = [[hall, self.clock], [name, device]]
        for widgets in rows:
            row = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=t.gap)
            for w in widgets:
                row.add_widget(w)
            row.bind(minimum_height=row.setter("height"))
            header.add_widget(row)
        if corner is not None:  # the maintenance corner lies over the header: it takes no room from the items
            hall.add_widget(corner)
            header.bind(pos=lambda *_: _pin_top_left(corner, header), size=lambda *_: _pin_top_left(corner, header))
        return header

    def _tools(self, view: HomeView) -> BoxLayout:
        t, loc = self.t, view.locale
        row = GridLayout(rows=1, spacing=t.gap, size_hint_y=None, height=t.target)
        row.bind(minimum_height=row.setter("height"))  # a label that wraps (English, elderly) grows its button
        row.add_widget(TapButton(ui("search", loc), "home:search", lambda: self.actions.home_ui(searching=True), t,
                                 "secondary"))
        row.add_widget(TapButton(ui("help_calling" if view.calling else "help", loc), "home:help", self.actions.help,
                                 t, "warning", disabled=not view.help or view.calling))
        shown = bool(view.identity)
        row.add_widget(TapButton(ui("close" if shown else "about_kiosk", loc), "home:identity",
                                 lambda: self.actions.home_ui(identity=not shown), t,
                                 "primary" if shown else "secondary"))
        return row

    def _search_bar(self, view: HomeView) -> BoxLayout:
        t, loc = self.t, view.locale
        row = BoxLayout(spacing=t.gap, size_hint_y=None, height=t.target)
        self.query = Text(" ", t.body, bold=True)
        self.query.kid = "search:query"
        row.add_widget(self.query)
        row.add_widget(TapButton(ui("search_close", loc), "search:close",
                                 lambda: self.actions.home_ui(searching=False), t, "secondary", size_hint_x=0.45))
        return row

    def _keyboard(self, view: HomeView):
        from kiosk.ui.keyboard import OnScreenKeyboard

        kind = "pinyin" if view.locale == "zh-CN" else "latin"
        # Elderly keys are 100 px; six rows of them do not fit between a landscape screen's header and footer,
        # and the standard 80 px keys are still above the 60 dp the ageing-friendly rules ask for.
        big = self.elderly and self.t.portrait
        kb = OnScreenKeyboard(kind, None, big, text="", max_length=12, locale=view.locale)

        def typed(*_):
            self.actions.home_ui(query=kb.text + kb.buffer)

        kb.bind(text=typed, buffer=typed)
        self.keyboard = kb
        return kb

    # ------------------------------------------------------------ content
    def show(self, view: HomeView) -> None:
        """Redraw the items (or the identity card) for ``view``; header, tools and keyboard stay."""
        if view == self._shown:
            return
        self._shown = view
        t, loc = self.t, view.locale
        self.content.clear_widgets()
        if view.searching:
            shown = view.query or ui("search_hint", loc)
            self.query.text = f"{shown}   {ui('search_found', loc, n=view.matches)}" if view.query else shown
        if view.identity:
            self.content.add_widget(self._identity(view))
            return
        if view.searching and view.query and not view.matches:
            self.content.add_widget(Text(ui("search_none", loc), t.body, th.MUTED))
        cols = self.layout.columns or (1 if self.elderly else (2 if t.portrait else 3))
        for cat in view.categories:
            heading = Text(cat.title, t.body, th.ON_SECONDARY, bold=True)
            heading.kid = f"category:{cat.id}"
            self.content.add_widget(heading)
            grid = GridLayout(cols=cols, spacing=t.gap, size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for tile in cat.tiles:
                grid.add_widget(self._tile(tile, loc))
            self.content.add_widget(grid)
        self.scroll.scroll_y = 1

    def _tile(self, tile, loc: str) -> TapButton:
        """Icon, title, and under it the summary (or why it is unavailable): plain labels, not markup, which
        renders word by word and cost the home screen a third of its start-up under software GL."""
        t = self.t
        line = tile.summary if tile.available else f"{ui('unavailable', loc)}：{reason_text(tile.reasons, loc)}"
        icon = t.target * self.layout.icon if tile.icon else 0
        b = TapButton(tile.title, f"tile:{tile.flow}", lambda f=tile.flow: self.actions.start(f), t,
                      "primary" if tile.available else "muted", height=t.target * self.layout.tile_height,
                      disabled=not tile.available)
        b.halign = "left"
        inset = icon + 3 * t.gap if icon else t.gap
        below = t.small * 1.5 if line else 0
        sub = None
        if line:
            # a disabled tile's summary takes the muted colour (Kivy's default disabled text is 30 % white)
            sub = Label(text=line, font_size=t.small, font_name=th.FONT, color=b.color, halign="left",
                        disabled_color=b.disabled_color,
                        valign="middle", shorten=True, shorten_from="right", size_hint=(None, None))
            sub.kid = f"summary:{tile.flow}"
            b.add_widget(sub)

        def fit(*_):  # Kivy counts the padding inside text_size: the text runs from inset to the right gap
            b.text_size = (b.width, None)
            b.padding = (inset, 0, t.gap, below)
            if sub is not None:
                sub.size = (max(10, b.width - inset - t.gap), below)
                sub.text_size = sub.size
                sub.pos = (b.x + inset, b.y + t.gap / 2)
            if icon:  # from y and height, not center_y: its cached value lagged a tile that grew at y == 0
                pic.pos = (b.x + t.gap, b.y + (b.height - icon) / 2)

        if icon:
            pic = Icon(source=tile.icon, size_hint=(None, None), size=(icon, icon))
            pic.kid = f"icon:{tile.flow}"
            b.add_widget(pic)
        b.bind(size=fit, pos=fit)
        return b

    def _identity(self, view: HomeView) -> Panel:
        t, loc = self.t, view.locale
        card = Panel(bg=th.SECONDARY, orientation="vertical", size_hint_y=None, padding=2 * t.gap, spacing=t.gap)
        card.bind(minimum_height=card.setter("height"))
        card.add_widget(Text(ui("about_kiosk", loc), t.title, th.ON_SECONDARY, bold=True))  # closed by its tool
        grid = GridLayout(cols=2, spacing=(2 * t.gap, t.gap), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for key in CARD_ROWS:
            if view.identity.get(key):
                grid.add_widget(Text(ui(f"card:{key}", loc), t.body, th.ON_SECONDARY, size_hint_x=0.4))
                value = Text(view.identity[key], t.body, th.ON_SECONDARY, bold=True)
                value.kid = f"card:{key}"
                grid.add_widget(value)
        card.add_widget(grid)
        return card


def _pin_top_left(widget: Widget, header: Widget) -> None:
    widget.pos = (header.x, header.top - widget.height)
