"""The few widgets every screen is built from: wrapped text, big buttons, coloured panels.

Every tappable widget carries ``kid`` (kiosk id, e.g. ``option:print``) so
tests and the UI scenario runner can find it and tap it like a finger would.
"""
from __future__ import annotations

import math

from kivy.graphics import Color, Rectangle
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.ui import theme as th

STYLES = {"primary": (th.PRIMARY, th.ON_PRIMARY), "secondary": (th.SECONDARY, th.ON_SECONDARY),
          "muted": (th.MUTED_BG, th.MUTED), "warning": (th.WARN_BG, th.WARN)}


class Panel(BoxLayout):
    def __init__(self, bg=th.PAPER, **kw):
        super().__init__(**kw)
        with self.canvas.before:
            self._color = Color(*bg)
            self._rect = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=self._sync, size=self._sync)

    def _sync(self, *_):
        self._rect.pos, self._rect.size = self.pos, self.size


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
    kid = StringProperty("")

    def __init__(self, text: str, kid: str, on_tap, theme: th.Theme, style: str = "primary", height=None, **kw):
        bg, fg = STYLES[style]
        super().__init__(text=text, font_size=theme.body, font_name=th.FONT, bold=True, color=fg,
                         background_normal="", background_down="", background_color=bg,
                         size_hint_y=None, height=height or theme.target, halign="center", valign="middle", **kw)
        self.kid = kid
        self._on_tap = on_tap
        self.bind(size=lambda *_: setattr(self, "text_size", (self.width - 24, None)))
        self.bind(on_release=lambda *_: self._on_tap())


def walk(widget):
    yield widget
    for child in widget.children:
        yield from walk(child)


def find(root, kid: str):
    return next((w for w in walk(root) if getattr(w, "kid", None) == kid), None)
