"""The help desk's call-back offer inside the call panel: the offer, the number on the keypad, the booking.

Drawn from the call's state and kiosk.helpcall.CallbackForm (the steps are
decided there; this only sends the citizen's taps on as actions). The words
are big and few, as the offer comes to someone who has already waited: what
is on offer, then three buttons side by side (one column in elderly
portrait). The digits typed live in `typed`, a dict the call panel owns and
empties as soon as the form closes; the field shows them masked once whole,
as the failure-ending's call-back form does (same keypad, same placement).
"""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from devices.records import CallState
from kiosk.ui import layout, theme as th
from kiosk.ui.ending_screens import masked_phone
from kiosk.ui.texts import ui
from kiosk.ui.widgets import TapButton, Text

COLUMNS = ("offer", "failed", "number", "booked")  # the steps that take the whole panel; the others keep the video


def column(t: th.Theme) -> BoxLayout:
    box = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_y=None)
    box.bind(minimum_height=box.setter("height"))
    return box


def offer(box: BoxLayout, call: CallState, form, status: str, locale: str, t: th.Theme, act) -> None:
    """Waiting, and the desk offers a call back: leave a number, keep waiting, or stop waiting."""
    state = Text(status, t.body, th.ON_SECONDARY, bold=True)
    state.kid = "call:state"
    box.add_widget(state)
    words = Text(ui(form.error or "call:callback_offer", locale), t.title, th.ON_SECONDARY if not form.error
                 else th.DANGER, bold=True)
    words.kid = "call:callback_offer"
    box.add_widget(words)
    grid = GridLayout(cols=1 if t.portrait and t.scale > 1 else 3, spacing=t.gap, size_hint_y=None)
    grid.bind(minimum_height=grid.setter("height"))
    grid.add_widget(TapButton(ui("call:callback_leave", locale), "call:callback", lambda: act("call_callback"), t))
    grid.add_widget(TapButton(ui("call:callback_keep_waiting", locale), "call:callback_wait",
                              lambda: act("call_callback_wait"), t, "secondary"))
    grid.add_widget(TapButton(ui("call:leave", locale), "call:end", lambda: act("call_end"), t, "warning"))
    box.add_widget(grid)


def number(box: BoxLayout, form, locale: str, elderly: bool, t: th.Theme, act, typed: dict) -> None:
    """The mobile number on the phone keypad, placed as every digit pad is (kiosk.ui.layout.place_keypad):
    under the words in portrait, beside them in landscape (a full-width pad under them would push the words
    off a 1080-pixel-high screen in elderly mode)."""
    from kiosk.ui.keyboard import OnScreenKeyboard

    words, keys = box, box
    if not t.portrait:
        words, keys = column(t), column(t)
        beside = BoxLayout(orientation="horizontal", spacing=2 * t.gap, size_hint_y=None)
        fit = lambda *_: setattr(beside, "height", max(words.height, keys.height))  # noqa: E731
        words.bind(height=fit)
        keys.bind(height=fit)
        beside.add_widget(words)
        beside.add_widget(keys)
        box.add_widget(beside)
    box = words
    box.add_widget(Text(ui("call:callback_title", locale), t.title, th.ON_SECONDARY, bold=True))
    so_far = typed.get("phone", "")
    shown = TapButton(masked_phone(so_far) or ui("phone_placeholder", locale), "call:callback_phone", lambda: None,
                      t, "secondary")
    box.add_widget(shown)
    if form.error:
        error = Text(ui(form.error, locale), t.body, th.DANGER, bold=True)
        error.kid = "call:callback_error"
        box.add_widget(error)

    def changed(text: str) -> None:
        typed["phone"] = text
        shown.text = masked_phone(text) or ui("phone_placeholder", locale)

    pad = OnScreenKeyboard("phone", changed, elderly, text=so_far, max_length=11, locale=locale)
    layout.place_keypad(pad, t)
    keys.add_widget(pad)
    buttons = GridLayout(cols=2, spacing=t.gap, size_hint_y=None)
    buttons.bind(minimum_height=buttons.setter("height"))
    buttons.add_widget(TapButton(ui("call:callback_send", locale), "call:callback_submit",
                                 lambda: act("call_callback_submit", {"phone": typed.get("phone", "")}), t))
    buttons.add_widget(TapButton(ui("back", locale), "call:callback_back", lambda: act("call_callback_back"), t,
                                 "secondary"))
    box.add_widget(buttons)


def booked(box: BoxLayout, form, locale: str, t: th.Theme, act) -> None:
    """The call is over and a call back booked: by when, in big words, and OK."""
    words = Text("✓  " + ui("call:callback_booked", locale, when=form.when), t.title, th.ON_SECONDARY, bold=True)
    words.kid = "call:state"
    box.add_widget(words)
    box.add_widget(TapButton(ui("call:ok", locale), "call:close", lambda: act("call_close"), t))
