"""Scenarios through the real touch UI: every action is a tap on a drawn widget.

`kiosk flows test --ui --screenshots DIR` runs the same scenario files as the
headless runner, but renders each view in a real Kivy window and performs
actions by touching the buttons a citizen would touch. A button that is not
on screen fails the scenario just like an action the engine refuses. One PNG
is written per screen, for integrators to review every step of a flow.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from kiosk.scenario.runner import Failure

NAV = {"back": "nav:back", "cancel": "nav:cancel", "help": "nav:help", "home": "nav:home"}


class UiDriver:
    """Draws each view in the window, taps for the scenario, and checks every new screen.

    The variant: ``elderly`` draws every view in elderly mode (the layout,
    not the engine's extra time, so a scenario's ``wait:`` keeps its
    meaning); ``locale`` starts every visit in that language (the engine
    words the screens; a scenario's own `text:` expectations, written in
    its language, are then not checked; what must not show still is). ``contrast``: measure the pixels
    of every new screen (kiosk.ui.check_contrast). The overlap check
    (kiosk.ui.check_layout) always runs.
    """

    def __init__(self, window, theme, shots: Path | None, *, elderly: bool = False, locale: str | None = None,
                 contrast: bool = False):
        self.win, self.theme, self.shots = window, theme, shots
        self.elderly, self.locale, self.contrast = elderly, locale, contrast
        self.run = None
        self._pending = None
        self._count = 0
        self._last_drawn = None
        self._media = None
        self.checked = 0  # screens checked, for the summary

    @property
    def variant(self) -> str:
        t = self.theme
        parts = [f"{t.width}x{t.height}", "elderly" if self.elderly else "standard", self.locale or "scenario locale"]
        return " ".join(parts + (["low-reach"] if t.low_reach else []))

    def attach(self, run, flow_id: str, index: int) -> None:
        self.run, self.flow_id, self.index, self._count = run, flow_id, index, 0
        self.win.form_values = {}

    def on_view(self, view) -> None:
        from kivy.clock import Clock

        if self._pending is None:
            Clock.schedule_once(lambda dt: self._draw(), 0)
        self._pending = view

    def _draw(self) -> None:
        from kiosk.ui.screens import Chrome, step_screen

        view, self._pending = self._pending, None
        if view is None:
            return
        if self.elderly and not view.elderly:
            view = replace(view, elderly=True)
        act = self.run.runner.act
        chrome = Chrome(act, lambda loc: act("set_locale", loc), lambda on: act("set_elderly", on),
                        self.win.speaker.toggle, lambda: self.win.speaker.enabled, self._redraw)
        chrome.media = self._media  # one guide video through the visit, not one per screen
        self.win.render(step_screen(view, self.theme, chrome, self.win.form_values))
        self._media = chrome.media
        self._drawn = view

    def _redraw(self) -> None:
        self._pending = self._pending or self._drawn
        self._draw()

    async def settled(self) -> None:
        await self.win.frame()
        view = getattr(self, "_drawn", None)
        if view is None or view is self._last_drawn:
            return
        self._last_drawn = view
        self._count += 1
        found = self.check(view)
        if found:
            raise Failure(self.run.line(), f"step {view.step!r} [{self.variant}]: " + "; ".join(found[:6])
                          + (f" (and {len(found) - 6} more)" if len(found) > 6 else ""))

    def check(self, view) -> list[str]:
        """The overlap check on every new screen; with pixels (screenshots, contrast) the contrast check too."""
        from kiosk.ui import check_contrast, check_layout

        screen = self.win.screen.children[0] if self.win.screen.children else self.win.screen
        size = (self.theme.width, self.theme.height)
        found = check_layout.problems(screen, size)
        self.checked += 1
        if self.shots is None and not self.contrast:
            return found
        img = check_contrast.screen_image(self.win.screen)
        if self.shots is not None:
            folder = self.shots / self.flow_id
            folder.mkdir(parents=True, exist_ok=True)
            img.save(folder / f"{self.index + 1:02d}-{self._count:02d}-{_slug(view.step)}.png")
        if self.contrast:
            found += check_contrast.problems(screen, img, size)
        return found

    async def perform(self, key: str, value, line: int) -> str | None:
        """Tap the widget for a scenario action; returns the engine's refusal, if any."""
        before = len(self.run.runner.rejections)
        try:
            await tap_action(self.win, key, value)
        except LookupError as exc:
            raise Failure(line, str(exc)) from None
        rejected = self.run.runner.rejections[before:]
        return rejected[0].reason if rejected else None


def action_kid(key: str, value) -> str:
    """The button a citizen touches for a scenario action (choose, submit, or an action name)."""
    if key == "submit":
        return "action:submit"
    if key == "choose":
        return f"option:{value}"
    if value in ("set_locale", "set_elderly"):
        return "toggle:locale" if value == "set_locale" else "toggle:elderly"
    return NAV.get(value, f"action:{value}")


async def tap_action(win, key: str, value) -> None:
    """Perform an action with taps only; LookupError names what was not on screen."""
    if key == "submit":
        await type_form(win, dict(value))
    kid = action_kid(key, value)
    if not win.tap(kid):
        shown = ", ".join(k for k in win.kids() if not k.startswith("toggle:"))
        raise LookupError(f"no {kid!r} button on screen (showing: {shown})")


async def type_form(win, values: dict) -> None:
    """Fill the form as a finger would: tap the field, then its keys (or the choice button)."""
    for name, value in values.items():
        text = str(value)
        if win.tap(f"choice:{name}:{text}"):
            await win.frame()
            continue
        if not win.tap(f"field:{name}"):
            raise LookupError(f"no field {name!r} on screen")
        await win.frame()
        if win.tap("key:CLEAR"):  # start from an empty field, as a citizen correcting it would
            await win.frame()
        for ch in text:
            key = ch.upper() if ch.isascii() and ch.isalpha() else ch
            if not win.tap(f"key:{key}"):
                raise LookupError(f"the {name!r} keyboard has no key {ch!r}")
            await win.frame()


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", s.lower())
