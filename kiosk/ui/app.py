"""The Kivy window: draws screens from data and turns taps into actions.

Kivy and asyncio share one loop (``App.async_run``), so engine callbacks and
widget updates run on the same thread and never race. ``KioskWindow`` is
used both by the live kiosk (fed by the controller) and by the UI scenario
runner (fed by a scenario's session), which taps real widgets like a finger.
"""
from __future__ import annotations

import asyncio

from kiosk.ui import env
from kiosk.ui.collector import AFTER_DRAWN_S, Collector
from kiosk.ui.theme import PAPER, Theme
from kiosk.ui.voice import Speaker


class KioskWindow:
    def __init__(self, theme: Theme, speaker: Speaker | None = None, fullscreen: bool = False, side_width: int = 0):
        env.prepare(theme.width + side_width, theme.height, fullscreen)
        from kivy.app import App

        self.theme = theme
        self.speaker = speaker or Speaker(enabled=False)
        self.ready = asyncio.Event()
        window = self

        class _App(App):
            title = "kiosk"

            def build(self):
                from kivy.core.window import Window
                from kivy.uix.boxlayout import BoxLayout

                Window.clearcolor = PAPER  # the ground of every screen, so their roots need no fill (widgets.Panel)
                root = BoxLayout(orientation="horizontal")
                # No fill of its own: the window clears to paper, and every full-screen
                # fill is a rasterizer pass of several ms per frame under software GL.
                window.screen = BoxLayout(size_hint_x=None, width=theme.width)
                window.side = BoxLayout(orientation="vertical")
                root.add_widget(window.screen)
                if side_width:
                    root.add_widget(window.side)
                return root

            def on_start(self):
                from kivy.clock import Clock

                Clock.schedule_once(lambda dt: window.ready.set(), 0)

        self.app = _App()
        self.form_values: dict = {}
        self.task: asyncio.Task | None = None
        self.collector = Collector()  # full garbage collections while nobody is tapping

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.app.async_run(async_lib="asyncio"))
        await asyncio.wait_for(self.ready.wait(), 30)
        from kivy.clock import Clock
        from kivy.core.window import Window

        self._collect_replaced = Clock.create_trigger(lambda _dt: self.collector.collect_replaced(), AFTER_DRAWN_S)
        Window.bind(on_touch_down=self.collector.touched, on_flip=self._drawn)
        Clock.schedule_interval(self.collector.tick, 1.0)  # its first tick, after start-up, freezes

    def _drawn(self, *_args) -> None:
        """After the frame that shows a new screen, the old one's garbage goes (kiosk.ui.collector)."""
        if self.collector.drawn():
            self._collect_replaced()

    async def stop(self) -> None:
        self.collector.stop()
        self.app.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)

    def render(self, widget) -> None:
        """Replace the kiosk screen (not the demo's simulator panel beside it); videos no longer shown pause."""
        from kiosk.ui.widgets import walk

        old = list(self.screen.children)
        self.screen.clear_widgets()
        self.screen.add_widget(widget)
        if old:  # a video decodes on its own threads while it plays (found by kid: no video import here)
            self.collector.screen_replaced()  # the old screen is garbage now, with its textures
            kept = {id(w) for w in walk(widget)}
            for w in (w for screen in old for w in walk(screen)):
                if getattr(w, "kid", "") == "media:video" and id(w) not in kept and w.state == "play":
                    w.state = "pause"  # its MediaPlayer resumes it, or unloads it for another item's video

    async def frame(self, pending_callbacks: bool = True) -> None:
        """Wait until what was rendered has been drawn: the next buffer flip after pending callbacks ran.

        The flip's future is awaited directly, so this returns in the loop
        pass right after the flip: ``asyncio.wait_for`` took two more passes,
        each a Kivy frame, and with a video playing those frames drew video
        frames that bench/bench_ui.py then counted as part of a tap.
        """
        from kivy.clock import Clock
        from kivy.core.window import Window

        loop = asyncio.get_running_loop()
        if pending_callbacks:
            ticked = loop.create_future()
            Clock.schedule_once(lambda dt: ticked.done() or ticked.set_result(None), 0)
            await ticked
        flipped = loop.create_future()

        def on_flip(*_):
            if not flipped.done():
                flipped.set_result(None)
            return False

        Window.bind(on_flip=on_flip)
        Window.canvas.ask_update()
        late = loop.call_later(5, lambda: flipped.done() or flipped.set_exception(TimeoutError("no frame in 5 s")))
        try:
            await flipped
        finally:
            late.cancel()
            Window.unbind(on_flip=on_flip)

    def screenshot(self, path: str) -> None:
        from kiosk.ui.check_contrast import screen_image

        screen_image(self.screen).convert("RGB").save(path)

    def tap(self, kid: str) -> bool:
        """Press and release the widget's centre as a finger would; False if it is not on screen."""
        from kiosk.ui.finger import Finger
        from kiosk.ui.scroll import reveal
        from kiosk.ui.widgets import find

        widget = find(self.app.root, kid)  # the simulator panel's buttons too
        if widget is None or widget.disabled:
            return False
        reveal(widget)  # scrolled out of view: a citizen scrolls to it first
        x, y = widget.to_window(*widget.center)
        Finger(x, y).tap()
        return True

    def kids(self) -> list[str]:
        from kiosk.ui.widgets import walk

        return [w.kid for w in walk(self.app.root) if getattr(w, "kid", "")]
