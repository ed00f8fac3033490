"""A scrolling area for step content: nothing ever runs into the header or the footer.

Content taller than its area scrolls, and says so twice: the scroll bar is
always drawn while there is more than fits (Kivy fades it out after a
scroll; an older citizen never saw it appear), and a "more below" row under
the area, which a tap also scrolls by one screen for citizens who do not
know to swipe. Header and footer stay where they are, outside the area.
"""
from __future__ import annotations

from functools import partial

from kivy.clock import Clock
from kivy.effects.scroll import ScrollEffect
from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

from kiosk.ui import theme as th
from kiosk.ui.texts import ui
from kiosk.ui.widgets import TapButton, drop_stencil, scissor_box


class ClippedScrollView(ScrollView):
    """Kivy's ScrollView clipped by a scissor instead of the stencil buffer.

    Kivy draws a ScrollView's whole area into the stencil before its content
    and again after it: two passes of most of the screen on every frame,
    which under software GL cost about as much as the content itself. Every
    scrolling area here is an upright rectangle in window coordinates (no
    screen is rotated or scaled), which a scissor clips for nothing.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        drop_stencil(self.canvas.before, self.canvas.after)
        self._clip = ScissorPush()
        self.canvas.before.add(self._clip)
        self.canvas.after.insert(0, ScissorPop())
        self.bind(pos=self._clip_to, size=self._clip_to)
        self._clip_to()

    def _clip_to(self, *_):
        scissor_box(self._clip, self.pos, self.size)


class Scroller(ClippedScrollView):
    """A step's scrolling area, except that a tap inside it is released at once.

    Kivy holds a quick tap's release back for 200 ms (to tell a tap from the
    start of a swipe it has already decided about); a kiosk's tap must be
    drawn within 50 ms. A swipe still scrolls; a press held past
    ``scroll_timeout`` reaches the button as Kivy does it.
    """

    def on_scroll_stop(self, touch, check_children=True):
        uid = self._get_uid()
        ud = touch.ud.get(uid)
        if ud is None or ud.get("mode") != "unknown" or self._get_uid("svavoid") in touch.ud:
            return super().on_scroll_stop(touch, check_children)
        self._touch = None
        if check_children:
            touch.push()
            touch.apply_transform_2d(self.to_local)
            handled = self.dispatch_children("on_scroll_stop", touch)
            touch.pop()
            if handled:
                return True
        if self.do_scroll_y and self.effect_y is not None:
            self.effect_y.stop(touch.y)
        if not ud["user_stopped"]:
            self.simulate_touch_down(touch)
        ud["mode"] = "tapped"
        Clock.schedule_once(partial(self._do_touch_up, touch), 0)  # next tick, before the next frame: not 200 ms
        return True


class ScrollArea(BoxLayout):
    """``content`` (a vertical layout with ``size_hint_y=None``) in a scroller with its cue below.

    ``stretch``: the content is at least as tall as the area, so spacers in
    it (low reach: controls at the bottom) still work when nothing scrolls.
    ``memory``: a dict kept across redraws of one screen (a form's values);
    the scroll position is kept there, so tapping a field does not jump back.
    """

    def __init__(self, content, theme: th.Theme, locale: str, memory: dict | None = None, **kw):
        super().__init__(orientation="vertical", **kw)
        self.theme, self.locale, self.content, self.memory = theme, locale, content, memory
        bar = max(12.0, 8 * theme.scale)
        self.scroller = Scroller(do_scroll_x=False, bar_width=bar, bar_margin=2, bar_color=th.PRIMARY,
                                 bar_inactive_color=th.PRIMARY, scroll_type=["bars", "content"],
                                 effect_cls=ScrollEffect, scroll_distance=24)
        content.padding = (0, 0, bar + 2 * 2, 0)  # the bar never covers a word or a button
        self.scroller.add_widget(content)
        if memory is not None and "_scroll" in memory:
            self.scroller.scroll_y = memory["_scroll"]
        self.cue = TapButton(ui("more_below", locale), "scroll:more", self.page_down, theme, "secondary",
                             height=0, grow=False)
        self.cue.opacity, self.cue.disabled = 0, True
        self.add_widget(self.scroller)
        self.add_widget(self.cue)
        content.bind(minimum_height=self._fit, height=self._update)
        self.bind(height=self._fit)
        self.scroller.bind(height=self._fit, scroll_y=self._update)

    @property
    def overflows(self) -> bool:
        return self.content.minimum_height > self.height + 0.5

    def _fit(self, *_):
        """Content at least the scroller's height; the cue's row only while something is hidden."""
        cue = self.theme.target * 0.75 if self.overflows else 0
        self.cue.height = cue
        self.content.height = max(self.content.minimum_height, self.height - cue)
        self._update()

    def _update(self, *_):
        more = self.overflows
        self.cue.opacity, self.cue.disabled = (1, False) if more else (0, True)
        below = more and self.scroller.scroll_y > 0.001
        self.cue.text = ui("more_below" if below else "back_to_top", self.locale)
        if self.memory is not None:
            self.memory["_scroll"] = self.scroller.scroll_y

    def page_down(self) -> None:
        """One screen further down (or back to the top at the end): scrolling without a swipe."""
        s = self.scroller
        if s.scroll_y <= 0.001:
            s.scroll_y = 1.0
            return
        hidden = self.content.height - s.height
        s.scroll_y = max(0.0, s.scroll_y - 0.8 * s.height / hidden) if hidden > 0 else 0.0


def reveal(widget) -> None:
    """Scroll every scroller around ``widget`` so it is wholly in view (as a citizen would, before a tap)."""
    parent = widget.parent
    while parent is not None and parent.parent is not parent:  # the window is its own parent
        if isinstance(parent, ScrollView):
            parent.scroll_to(widget, padding=parent.height * 0.1, animate=False)
            parent.update_from_scroll()
        parent = parent.parent
