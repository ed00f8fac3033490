"""The video-help call over the top of any screen: what the call is doing, staff's picture, the citizen's own
small picture, and big mute and end buttons. The step stays below it, usable.

Pictures come from the help panel's deques of one (devices/help_panel), filled
on the same asyncio loop Kivy runs on; they are blitted here from a Kivy Clock
interval, so a texture is only ever touched on the UI loop (kivy#5933), and
only the newest frame is drawn (a late screen skips frames, never queues them).
One panel lives as long as the call: redraws of the step re-attach it, so the
textures and their interval survive every state change. While the desk offers
a call back, the offer, its keypad and the booking take the whole panel
(kiosk/ui/callback_form.py), in the citizen's elderly sizes where chosen.
"""
from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from devices.records import CallState
from kiosk.ui import callback_form, theme as th
from kiosk.ui.texts import ui
from kiosk.ui.widgets import Fill, Panel, TapButton, Text

DRAW_HZ = 30  # twice the camera's 15 fps: a new frame waits at most half a frame to be drawn
PREVIEW_ALONE_S = 0.5  # staff's picture this long unchanged: the preview is drawn on its own ticks


class VideoView(Widget):
    """Blits the newest Picture of a deque into one texture, made once per picture size; black around it
    (a ``Fill``: the call panel is fixed on screen, and this is redrawn with every picture)."""

    kid = StringProperty("")

    def __init__(self, kid: str, source, **kw):
        super().__init__(**kw)
        self.kid, self.source = kid, source
        self.frames_drawn = 0
        self._seq = None
        self._texture: Texture | None = None
        self._back = Fill(self.canvas, (0, 0, 0, 1))
        with self.canvas:
            Color(1, 1, 1, 1)
            self._rect = Rectangle(pos=self.pos, size=(0, 0))
        self.bind(pos=self._place, size=self._place)
        self._place()

    def draw(self) -> bool:
        """True when a new picture was blitted (and the window asked to redraw)."""
        if not self.source:
            return False
        pic = self.source[-1]
        if pic.seq == self._seq and self._texture is not None:
            return False
        if self._texture is None or self._texture.size != (pic.width, pic.height):
            self._texture = Texture.create(size=(pic.width, pic.height), colorfmt="rgb")
            self._texture.flip_vertical()  # rows arrive top first; GL counts from the bottom
            self._rect.texture = self._texture
        self._texture.blit_buffer(pic.rgb, colorfmt="rgb", bufferfmt="ubyte")
        self._seq = pic.seq
        self.frames_drawn += 1
        self._place()
        self.canvas.ask_update()
        return True

    def _place(self, *_):
        self._back.place(self.pos, self.size)
        if self._texture is None:
            self._rect.size = (0, 0)
            return
        w, h = self._texture.size
        scale = min(self.width / w, self.height / h) if w and h else 0
        size = (w * scale, h * scale)
        self._rect.size = size
        self._rect.pos = (self.x + (self.width - size[0]) / 2, self.y + (self.height - size[1]) / 2)


class CallPanel(Panel):
    def __init__(self, device, theme: th.Theme, act):
        super().__init__(bg=th.SECONDARY, fixed=True, orientation="horizontal", size_hint_y=None,
                         height=theme.target * 6.5, padding=theme.gap, spacing=theme.gap)
        self.theme, self.act = theme, act
        self.typed: dict[str, str] = {}  # the call-back number being typed; emptied when its form closes
        self.remote = VideoView("call:remote", device.remote_video, size_hint_x=0.55)
        self.local = VideoView("call:local", device.local_video, size_hint=(1, None), height=theme.target * 1.5)
        self.add_widget(self.remote)
        self.side = BoxLayout(orientation="vertical", spacing=theme.gap, size_hint_x=0.45)
        self.add_widget(self.side)
        self._key = None
        self._remote_at = 0.0
        self._ticker = Clock.schedule_interval(lambda _dt: self.draw(), 1 / DRAW_HZ)

    def draw(self) -> None:
        """The citizen's preview rides on the redraws staff's picture causes: every redraw of the window is a
        full-screen flip (76 ms each in software GL on a loaded machine, bench_ui.py --call), and the two
        cameras' unaligned frames would double them. Only when staff's picture stalls is the preview drawn alone."""
        now = Clock.get_boottime()
        if self.remote.draw():
            self._remote_at = now
            self.local.draw()
        elif now - self._remote_at > PREVIEW_ALONE_S:
            self.local.draw()

    def update(self, call: CallState, locale: str, callback=None, elderly: bool = False) -> None:
        """Words and buttons for the call's state; rebuilt only when what they say changes."""
        key = (call, locale, callback, elderly)
        if key == self._key:
            return
        self._key = key
        step = callback.step if callback is not None else ""
        if step != "number":
            self.typed.clear()
        self.side.clear_widgets()
        if self.local.parent is not None:
            self.local.parent.remove_widget(self.local)
        if step in callback_form.COLUMNS:
            self._whole(call, callback, locale, elderly)
            return
        if self.remote.parent is None:  # back from the offer: the video and the side again
            self.clear_widgets()
            self.orientation, self.height = "horizontal", self.theme.target * 6.5
            self.add_widget(self.remote)
            self.add_widget(self.side)
        t = self.theme
        state = Text(status_text(call, locale), t.body, th.ON_SECONDARY, bold=True)
        state.kid = "call:state"
        self.side.add_widget(state)
        if step == "sending":
            self.side.add_widget(Text(ui("call:callback_sending", locale), t.body, th.ON_SECONDARY))
        if not call.video and call.phase != "ended":
            self.side.add_widget(Text(ui("call:audio_only", locale), t.small, th.ON_SECONDARY))
        if call.video and call.phase in ("connected", "reconnecting"):
            self.side.add_widget(self.local)
        self.side.add_widget(Widget())
        if call.phase in ("connecting", "connected", "reconnecting"):
            self.side.add_widget(TapButton(ui("call:unmute" if call.muted else "call:mute", locale), "call:mute",
                                           lambda: self.act("call_mute"), t, "primary"))
        if step == "waiting":  # the citizen chose to wait on: the offer stays one tap away
            self.side.add_widget(TapButton(ui("call:callback_leave", locale), "call:callback",
                                           lambda: self.act("call_callback"), t, "secondary"))
        if call.phase != "ended":
            word = "call:leave" if call.phase == "waiting" else "call:end"
            self.side.add_widget(TapButton(ui(word, locale), "call:end", lambda: self.act("call_end"), t, "warning"))

    def _whole(self, call: CallState, callback, locale: str, elderly: bool) -> None:
        """The offer, the keypad or the booking across the whole panel, as tall as it needs."""
        t = self.theme.for_view(elderly)
        self.clear_widgets()
        self.orientation = "vertical"
        box = callback_form.column(t)
        box.bind(height=lambda *_: setattr(self, "height", box.height + 2 * self.theme.gap))
        if callback.step == "number":
            callback_form.number(box, callback, locale, elderly, t, self.act, self.typed)
        elif callback.step == "booked":
            callback_form.booked(box, callback, locale, t, self.act)
        else:
            callback_form.offer(box, call, callback, status_text(call, locale), locale, t, self.act)
        self.add_widget(box)

    def stop(self) -> None:
        self._ticker.cancel()
        self.typed.clear()


def status_text(call: CallState, locale: str) -> str:
    if call.phase == "waiting":
        minutes = max(1, round(call.estimated_wait_s / 60)) if call.estimated_wait_s else 1
        return ui("call:waiting", locale, n=max(1, call.position), m=minutes)
    if call.phase == "connected":
        return ui("call:connected", locale, agent=call.agent or "")
    if call.phase == "ended":
        return ui("call:unavailable" if call.reason in ("unavailable", "no_answer", "refused") else "call:ended",
                  locale)
    return ui(f"call:{call.phase}", locale)
