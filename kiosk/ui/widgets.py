"""The few widgets every screen is built from: wrapped text, big buttons, coloured panels.

Every tappable widget carries ``kid`` (kiosk id, e.g. ``option:print``) so
tests and the UI scenario runner can find it and tap it like a finger would.
"""
from __future__ import annotations

import math

from kivy.graphics import ClearBuffers, ClearColor, Color, Rectangle
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.graphics.stencil_instructions import StencilPop, StencilPush, StencilUnUse, StencilUse
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.utils import escape_markup

from kiosk.ui import theme as th

STYLES = {"primary": (th.PRIMARY, th.ON_PRIMARY), "secondary": (th.SECONDARY, th.ON_SECONDARY),
          "muted": (th.MUTED_BG, th.MUTED), "warning": (th.WARN_BG, th.WARN), "field": (th.PAPER, th.INK),
          "focused": (th.PAPER, th.INK)}
# A button's edge: its own dark fill, or its dark text colour round a light fill (≥ 3:1 on paper and footer).
EDGES = {"primary": th.PRIMARY, "secondary": th.ON_SECONDARY, "muted": th.MUTED, "warning": th.WARN,
         "field": th.ON_SECONDARY, "focused": th.PRIMARY}


def drop_stencil(*groups) -> None:
    """Take Kivy's stencil clip out of a widget's canvas groups: push, the area drawn into the stencil, use;
    unuse, the area again, pop. The drawing between stays.

    Each clip draws its area twice more, and the outermost push clears the
    whole stencil buffer: under Mesa's software GL the home screen's seven
    tile icons (Kivy's Image clips itself) took a 1080x1920 frame from 13 to
    34 ms. Only for widgets whose drawing cannot leave their box anyway.
    """
    for group in groups:
        area = False  # the next Rectangle is a clip's area (a BindTexture may come between)
        for ins in list(group.children):
            if isinstance(ins, (StencilPush, StencilUnUse)):
                group.remove(ins)
                area = True
            elif isinstance(ins, (StencilUse, StencilPop)):
                group.remove(ins)
            elif area and isinstance(ins, Rectangle):
                group.remove(ins)
                area = False


def scissor_box(push: ScissorPush, pos, size) -> None:
    """Point a scissor at a widget's box, in whole window pixels (a scissor's box is integers)."""
    push.pos, push.size = (round(pos[0]), round(pos[1])), (round(size[0]), round(size[1]))


class Contained:
    """For Kivy's Image and Video: drawn whole inside the box (``fit_mode="contain"``), so without its clip."""

    def __init__(self, **kw):
        super().__init__(**{"fit_mode": "contain", **kw})
        if self.fit_mode != "contain":
            raise ValueError(f"{type(self).__name__}: only fit_mode 'contain' keeps the picture inside its box")
        drop_stencil(self.canvas)


class Fill:
    """An opaque box painted by clearing it (a scissored clear), not by drawing a rectangle over it.

    Kivy draws a rectangle through its texture shader with blending, which
    Mesa's software rasterizer does at about 6 ns a pixel: the call panel's
    ground alone was 4 ms of every frame, and during a call every frame of
    staff's video redraws it. A clear of the same box took a third of that.
    A clear ignores blending and opacity, so only for opaque colours; and a
    scissor's box is in window coordinates, so only for boxes fixed on
    screen: Kivy moves a scrolling area's content with a transform, which a
    scissor does not follow.
    """

    def __init__(self, group, rgba):
        if len(rgba) == 4 and rgba[3] < 1:
            raise ValueError(f"a fill is opaque, not {rgba}")
        self._box = ScissorPush(pos=(0, 0), size=(0, 0))
        for ins in (self._box, ClearColor(*rgba), ClearBuffers(clear_color=True, clear_depth=False,
                                                               clear_stencil=False), ScissorPop()):
            group.add(ins)

    def place(self, pos, size) -> None:
        scissor_box(self._box, pos, size)


class Panel(BoxLayout):
    """A box with a fill; ``bg=None`` for a screen's root, which the window's own clear paints (paper).

    ``fixed``: the panel never sits in a scrolling area (the bars, the call
    panel), so its fill can be a cheap ``Fill``; otherwise a rectangle.
    """

    def __init__(self, bg=th.PAPER, fixed: bool = False, **kw):
        super().__init__(**kw)
        self._bg = bg
        if bg is None:
            return
        if fixed:
            self._fill = Fill(self.canvas.before, bg)
        else:
            with self.canvas.before:
                Color(*bg)
                self._fill = Rectangle()
        self.bind(pos=self._sync, size=self._sync)
        self._sync()

    def _sync(self, *_):
        if isinstance(self._fill, Fill):
            self._fill.place(self.pos, self.size)
        else:
            self._fill.pos, self._fill.size = self.pos, self.size


class Text(Label):
    """A label that wraps to its width and grows to its text, so nothing is cut off in elderly mode."""

    def __init__(self, text: str, size: float, color=th.INK, bold: bool = False, halign: str = "left", **kw):
        super().__init__(text=text, font_size=size, color=color, font_name=th.FONT, bold=bold,
                         halign=halign, valign="middle", size_hint_y=None, line_height=1.3, **kw)
        self.bind(width=lambda *_: setattr(self, "text_size", (self.width, None)),
                  texture_size=lambda *_: setattr(self, "height", self.texture_size[1] + 8))


class Countdown(Text):
    """Seconds left until an engine deadline, ticked on the UI thread against the same monotonic clock.

    The engine owns the deadline; this only shows it, so the number on
    screen is the real time left however late a redraw comes.
    """

    kid = StringProperty("")

    def __init__(self, kid: str, deadline: float, left: float, words, size: float, color=th.INK, **kw):
        self._words, self.deadline, self._shown = words, deadline, None
        super().__init__("", size, color, **kw)
        self.kid = kid
        self._show(left)

    def tick(self, now: float) -> None:
        self._show(self.deadline - now)

    def _show(self, left: float) -> None:
        seconds = max(0, math.ceil(left))
        if seconds != self._shown:  # a new texture only when the number changes
            self._shown = seconds
            self.text = self._words(seconds)


class TapButton(Button):
    """A big button with a visible edge, readable when disabled too.

    Light buttons on light ground had no edge a low-sighted eye could find
    (1.0:1 against the footer), and Kivy's disabled look (a grey image and
    30 % white text) overrode the theme: "暂停服务：打印机缺纸" measured
    1.16:1. So every button draws a border in its text colour (at least 3:1
    against paper and the footer) and a disabled one takes the muted pair.
    ``grow``: the button is as tall as its wrapped text needs (never less
    than ``height``, so that a layout pass at a narrow width does not leave
    it tall); bars of fixed height (the footer) pass False. This is the one
    rule for every button that grows, the ending screens' included.
    """

    kid = StringProperty("")

    def __init__(self, text: str, kid: str, on_tap, theme: th.Theme, style: str = "primary", height=None,
                 grow: bool = True, **kw):
        self._style = STYLES[style] + (EDGES[style],)
        bg, fg, edge_colour = self._style
        base = theme.target if height is None else height
        super().__init__(text=text, font_size=theme.body, font_name=th.FONT, bold=True, color=fg,
                         disabled_color=th.MUTED, background_normal="", background_down="",
                         background_disabled_normal="", background_disabled_down="", background_color=bg,
                         size_hint_y=None, height=base, halign="center", valign="middle", **kw)
        self.kid = kid
        self._on_tap = on_tap
        edge = max(2, round(2 * theme.scale))
        with self.canvas.after:
            self._edge_color = Color(*edge_colour)
            self._edges = [Rectangle() for _ in range(4)]
        self._edge = edge
        self.bind(pos=self._frame, size=self._frame, disabled=self._paint)
        self.bind(size=lambda *_: setattr(self, "text_size", (self.width - 24, None)))
        if grow:
            self.bind(texture_size=lambda *_: setattr(self, "height", max(base, self.texture_size[1] + 2 * edge + 16)))
        self.bind(on_release=lambda *_: self._on_tap())
        self._paint()

    def _paint(self, *_):
        bg, _fg, edge = (th.MUTED_BG, th.MUTED, th.MUTED) if self.disabled else self._style
        self.background_color = bg
        self._edge_color.rgba = edge

    def _frame(self, *_):
        x, y, w, h, e = self.x, self.y, self.width, self.height, self._edge
        for rect, pos, size in zip(self._edges, ((x, y), (x, y + h - e), (x, y), (x + w - e, y)),
                                   ((w, e), (w, e), (e, h), (e, h))):
            rect.pos, rect.size = pos, size


class FieldBox(TapButton):
    """A form field: a white box with an edge, its value, a placeholder when empty, a cursor when focused.

    A solid bar with no hint left older citizens guessing what to type and
    where it would go; the placeholder (muted, 7:1 on white) says it, and
    the cursor shows which field the keyboard types into.
    """

    CARET = "[color=0B4F8A]|[/color]"

    def __init__(self, value: str, placeholder: str, kid: str, on_tap, theme: th.Theme, focused: bool, **kw):
        self._placeholder, self._focused = placeholder, focused
        super().__init__("", kid, on_tap, theme, "focused" if focused else "field", markup=True, **kw)
        self.halign = "left"
        if focused:
            self._edge = max(4, round(4 * theme.scale))  # the field being typed into stands out
        self.value = value

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        self._value = value
        shown = escape_markup(value) if value else ""
        caret = self.CARET if self._focused else ""
        hint = "" if value else f"[color=545454]{escape_markup(self._placeholder)}[/color]"
        self.text = shown + caret + hint if (shown or caret or hint) else " "


def walk(widget):
    yield widget
    for child in widget.children:
        yield from walk(child)


def find(root, kid: str):
    return next((w for w in walk(root) if getattr(w, "kid", None) == kid), None)
