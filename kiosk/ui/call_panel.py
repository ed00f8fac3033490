"""The video-help call over the top of any screen: what the call is doing, staff's picture, the citizen's own
small picture, and big mute and end buttons. The step stays below it, usable.

Pictures come from the help panel's deques of one (devices/help_panel), filled
on the same asyncio loop Kivy runs on; they are blitted here from a Kivy Clock
interval, so a texture is only ever touched on the UI loop (kivy#5933), and
only the newest frame is drawn (a late screen skips frames, never queues them).
One panel lives as long as the call: redraws of the step re-attach it, so the
textures and their interval survive every state change.
"""
from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from devices.records import CallState
from kiosk.ui import theme as th
from kiosk.ui.texts import ui
from kiosk.ui.widgets import Panel, TapButton, Text

DRAW_HZ = 30  # twice the camera's 15 fps: a new frame waits at most half a frame to be drawn
PREVIEW_ALONE_S = 0.5  # staff's picture this long unchanged: the preview is drawn on its own ticks


class VideoView(Widget):
    """Blits the newest Picture of a deque into one texture, made once per picture size."""

    kid = StringProperty("")

    def __init__(self, kid: str, source, **kw):
        super().__init__(**kw)
        self.kid, self.source = kid, source
        self.frames_drawn = 0
        self._seq = None
        self._texture: Texture | None = None
        with self.canvas:
            Color(0, 0, 0, 1)
            self._back = Rectangle(pos=self.pos, size=self.size)
            Color(1, 1, 1, 1)
            self._rect = Rectangle(pos=self.pos, size=(0, 0))
        self.bind(pos=self._place, size=self._place)

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
        self._back.pos, self._back.size = self.pos, self.size
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
        super().__init__(bg=th.SECONDARY, orientation="horizontal", size_hint_y=None, height=theme.target * 6.5,
                         padding=theme.gap, spacing=theme.gap)
        self.theme, self.act = theme, act
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

    def update(self, call: CallState, locale: str) -> None:
        """Words and buttons for the call's state; rebuilt only when what they say changes."""
        key = (call, locale)
        if key == self._key:
            return
        self._key = key
        t = self.theme
        self.side.clear_widgets()
        if self.local.parent is not None:
            self.local.parent.remove_widget(self.local)
        state = Text(status_text(call, locale), t.body, th.ON_SECONDARY, bold=True)
        state.kid = "call:state"
        self.side.add_widget(state)
        if not call.video and call.phase != "ended":
            self.side.add_widget(Text(ui("call:audio_only", locale), t.small, th.ON_SECONDARY))
        if call.video and call.phase in ("connected", "reconnecting"):
            self.side.add_widget(self.local)
        self.side.add_widget(Widget())
        if call.phase in ("connecting", "connected", "reconnecting"):
            self.side.add_widget(TapButton(ui("call:unmute" if call.muted else "call:mute", locale), "call:mute",
                                           lambda: self.act("call_mute"), t, "primary"))
        if call.phase != "ended":
            word = "call:leave" if call.phase == "waiting" else "call:end"
            self.side.add_widget(TapButton(ui(word, locale), "call:end", lambda: self.act("call_end"), t, "warning"))

    def stop(self) -> None:
        self._ticker.cancel()


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
