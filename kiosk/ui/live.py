"""Binds the kiosk controller to the window: state changes redraw, new steps are read aloud."""
from __future__ import annotations

from kivy.clock import Clock

from kiosk.ui.call_panel import CallPanel
from kiosk.ui.maintenance_screens import hidden_corner, maintenance_screen, pin_screen
from kiosk.ui.out_of_service_screen import out_of_service_screen as why_out_of_service
from kiosk.ui.screens import Chrome, out_of_service_screen, step_screen
from kiosk.ui.widgets import Countdown, walk

TICK_S = 0.25  # countdowns show whole seconds; four looks a second keep each change within a quarter of it


class LiveUi:
    def __init__(self, controller, window):
        self.c, self.win = controller, window
        self._scheduled = False
        self.pin: list[str] = []
        self._form_step = None
        self.chrome = Chrome(self.c.act, self.c.set_locale, self.c.set_elderly, self._toggle_voice,
                             lambda: self.win.speaker.enabled, lambda: self.changed(self.c.state))
        self.countdowns: list[Countdown] = []
        self._voice_before: bool | None = None  # the voice setting before elderly mode turned it on
        # The home screen (kiosk.ui.home.HomeScreen), kept between visits: coming home re-shows the same
        # widgets (no new textures, no garbage) and a search narrows its tiles in place.
        self._home = None
        self.call_panel: CallPanel | None = None  # lives as long as the call, re-attached to each new screen
        self.unsubscribe = controller.subscribe(self.changed)
        self.changed(controller.state)
        self._ticker = Clock.schedule_interval(lambda _dt: self.tick(), TICK_S)

    def tick(self) -> None:
        """Count the shown deadlines down on the UI thread, against the engine's monotonic clock."""
        now = self.c.clock.monotonic()
        for countdown in self.countdowns:
            countdown.tick(now)
        if self._home is not None and self._home.parent is not None:
            self._home.clock.tick_wall(self.c.clock.wallclock())

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

    def _elderly_voice(self, elderly: bool) -> None:
        """Elderly mode reads aloud by default (MIIT: voice reading); leaving it restores the citizen's setting."""
        speaker = self.win.speaker
        if elderly and self._voice_before is None:
            self._voice_before = speaker.enabled
            if not speaker.enabled:
                speaker.toggle()
        elif not elderly and self._voice_before is not None:
            if speaker.enabled != self._voice_before:
                speaker.toggle()
            self._voice_before = None

    def draw(self) -> None:
        s = self.c.state
        self._elderly_voice(s.elderly)
        self.countdowns = []
        theme = self.win.theme
        if s.mode == "pin":
            self.win.render(pin_screen(self.pin, s.pin_error, theme, self._pin_key, self._pin_cancel))
        elif s.mode == "maintenance":
            self.pin.clear()
            self.win.render(maintenance_screen(s.maintenance, theme, self.c.maintenance_action))
        elif s.mode in ("out_of_service", "remote_maintenance"):
            self.pin.clear()
            title = "under_maintenance" if s.mode == "remote_maintenance" else "out_of_service"
            screen = why_out_of_service(s.out_of_service, theme) if s.out_of_service is not None \
                else out_of_service_screen(s.locale, theme, title)
            screen.add_widget(hidden_corner(self.c.corner_tap), index=len(screen.children))
            self.win.render(screen)
        elif s.mode == "visit" and s.view is not None:
            typing = s.view.kind in ("form", "callback")
            if not typing or s.view.step != self._form_step:
                self.win.form_values.clear()  # a new form starts empty; the same form keeps what was typed
            self._form_step = s.view.step if typing else None
            screen = step_screen(s.view, theme, self.chrome, self.win.form_values)
            self.countdowns = [w for w in walk(screen) if isinstance(w, Countdown)]
            self.tick()
            self.win.render(screen)
            self.win.speaker.say(s.view.speak, s.view.locale, key=(s.view.session, s.view.step, s.view.locale))
        elif s.home is not None:
            self.win.form_values.clear()
            self.win.speaker.forget()
            self._draw_home(s, theme)
        self._attach_call(s)

    def _draw_home(self, s, theme) -> None:
        """A new home screen, or only new tiles while the citizen types a search (the keyboard keeps its state)."""
        from kiosk.ui.home import HomeActions, HomeScreen

        v, home = s.home, self._home
        key = (v.locale, s.elderly, v.searching, bool(v.identity), v.help, v.calling, self.win.speaker.enabled)
        if home is not None and home.key == key:
            home.show(v)
            if home.parent is not self.win.screen:
                home.clock.tick_wall(self.c.clock.wallclock())
                self.win.render(home)
            return
        actions = HomeActions(self.c.start, self.c.home_ui, self.c.home_help)
        self._home = HomeScreen(v, theme.for_view(s.elderly), self.chrome, actions, self.c.clock.wallclock(),
                                corner=hidden_corner(self.c.corner_tap), elderly=s.elderly)
        self._home.key = key
        self.win.render(self._home)

    def _attach_call(self, s) -> None:
        """The call over the top of the home screen or the step, whichever is drawn, while the call lasts."""
        if s.call is None or s.mode not in ("home", "visit"):
            if self.call_panel is not None:
                self.call_panel.stop()
                self.call_panel = None
            return
        if self.call_panel is None:
            self.call_panel = CallPanel(self.c.devices["help_panel"], self.win.theme, self.c.act)
        if self.call_panel.parent is not None:
            self.call_panel.parent.remove_widget(self.call_panel)
        self.call_panel.update(s.call, s.locale, s.callback, s.elderly)
        screen = self.win.screen.children[0] if self.win.screen.children else None
        if screen is not None:
            screen.add_widget(self.call_panel, index=len(screen.children))

    def _pin_key(self, key: str) -> None:
        """The PIN lives only here, on screen as dots, and is dropped once checked."""
        if key == "back":
            self.pin[-1:] = []
        elif key == "OK":
            pin, self.pin[:] = "".join(self.pin), []
            self.c.submit_pin(pin)
            return
        elif len(self.pin) < 12:
            self.pin.append(key)
        self.changed(self.c.state)

    def _pin_cancel(self) -> None:
        self.pin.clear()
        self.c.go_home()
