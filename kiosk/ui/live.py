"""Binds the kiosk controller to the window: state changes redraw, new steps are read aloud."""
from __future__ import annotations

from kiosk.ui.screens import Chrome, home_screen, out_of_service_screen, step_screen


class LiveUi:
    def __init__(self, controller, window):
        self.c, self.win = controller, window
        self._scheduled = False
        self.chrome = Chrome(self.c.act, self.c.set_locale, self.c.set_elderly, self._toggle_voice,
                             lambda: self.win.speaker.enabled)
        controller.on_change = self.changed
        self.changed(controller.state)

    def _toggle_voice(self) -> None:
        self.win.speaker.toggle()
        self.changed(self.c.state)

    def changed(self, state) -> None:
        """Redraw now, on the loop thread we share with Kivy; one change inside another is coalesced."""
        if self._scheduled:
            self._dirty = True
            return
        self._scheduled = True
        try:
            self._dirty = True
            while self._dirty:
                self._dirty = False
                self.draw()
        finally:
            self._scheduled = False

    def draw(self) -> None:
        s = self.c.state
        theme = self.win.theme
        if s.mode == "out_of_service":
            self.win.render(out_of_service_screen(s.locale, theme))
        elif s.mode == "visit" and s.view is not None:
            self.win.form_values.clear() if s.view.kind != "form" else None
            self.win.render(step_screen(s.view, theme, self.chrome, self.win.form_values))
            self.win.speaker.say(s.view.speak, s.view.locale, key=(s.view.session, s.view.step, s.view.locale))
        else:
            self.win.form_values.clear()
            self.win.speaker.forget()
            self.win.render(home_screen(s, theme, self.chrome, self.c.start))
