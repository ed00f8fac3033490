"""Screens built from data: a step view, out of service (the home screen is kiosk.ui.home).

Each screen is rebuilt whole from the current view, so what is drawn is a
function of the view alone: nothing of an earlier step (or citizen) can
linger in a widget. Back, cancel, help, elderly mode and the language
switch sit in the footer of every step screen.
"""
from __future__ import annotations

from collections.abc import Callable

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.engine.views import StepView
from kiosk.ui import layout
from kiosk.ui import theme as th
from kiosk.ui.ending_screens import after_screen
from kiosk.ui.scroll import ScrollArea
from kiosk.ui.texts import TEXTS, ui
from kiosk.ui.widgets import Countdown, FieldBox, Panel, TapButton, Text

Act = Callable[..., object]
WAIT_TEXT = {"id_card": "wait_id_card", "code": "wait_code", "printer": "wait_printer", "backend": "wait_backend",
             "staff": "wait_staff"}


class Chrome:
    """Callbacks and toggles shared by every screen."""

    def __init__(self, act: Act, set_locale: Callable[[str], None], set_elderly: Callable[[bool], None],
                 toggle_voice: Callable[[], None], voice_on: Callable[[], bool], redraw: Callable[[], None] = lambda: None):
        self.act, self.set_locale, self.set_elderly = act, set_locale, set_elderly
        self.toggle_voice, self.voice_on, self.redraw = toggle_voice, voice_on, redraw
        self.media = None  # kiosk.ui.media.MediaPlayer, made with the first step that has media


def media_area(view: StepView, t: th.Theme, chrome: Chrome, height: float | None = None):
    """The step's guide video or illustration (kiosk.ui.media), None without; Kivy's video loads only then."""
    if view.media is None:
        return None
    from kiosk.ui.media import MediaPlayer

    if chrome.media is None:
        chrome.media = MediaPlayer()
    return chrome.media.area(view.media, t, height)


def _column(theme: th.Theme, **kw) -> BoxLayout:
    box = BoxLayout(orientation="vertical", spacing=theme.gap, size_hint_y=None, **kw)
    box.bind(minimum_height=box.setter("height"))
    return box


def footer(t: th.Theme, locale: str, elderly: bool, chrome: Chrome, view: StepView | None) -> Panel:
    """One row in every mode, no taller than in standard mode (kiosk.ui.layout): the step gets the room."""
    gap = layout.STANDARD.gap
    panel = Panel(bg=th.SECONDARY, fixed=True, orientation="vertical", size_hint_y=None,
                  height=layout.footer_height(t), padding=gap)
    bar = GridLayout(rows=1, spacing=gap)
    panel.add_widget(bar)
    bt = layout.STANDARD

    def button(text, kid, tap, style="secondary", **kw):
        b = TapButton(text, kid, tap, bt, style, grow=False, **kw)
        b.font_size = layout.footer_font(t)
        bar.add_widget(b)

    if view is not None:  # 首页 ends the whole visit from any step; not while printing or calling
        button(ui("home", locale), "nav:home", lambda: chrome.act("home"), disabled=view.busy)
    if view is not None and view.result == "":
        button(ui("back", locale), "nav:back", lambda: chrome.act("back"), disabled=not view.can_back)
        button(ui("cancel", locale), "nav:cancel", lambda: chrome.act("cancel"), disabled=not view.can_cancel)
        button(ui("help", locale), "nav:help", lambda: chrome.act("help"), "warning")
    other = "en" if locale == "zh-CN" else "zh-CN"
    button(ui("elderly_off" if elderly else "elderly_on", locale), "toggle:elderly",
           lambda: chrome.set_elderly(not elderly))
    button(ui("other_locale", locale), "toggle:locale", lambda: chrome.set_locale(other))
    button(ui("voice_on" if chrome.voice_on() else "voice_off", locale), "toggle:voice", chrome.toggle_voice)
    return panel


def step_screen(view: StepView, t: th.Theme, chrome: Chrome, form_values: dict) -> Panel:
    """Header and footer fixed; the idle banner fixed under the header; everything else scrolls."""
    t = t.for_view(view.elderly)
    loc = view.locale
    root = Panel(bg=None, orientation="vertical")
    header = Panel(bg=th.SECONDARY, fixed=True, orientation="horizontal", size_hint_y=None, height=t.target,
                   padding=(t.gap, 0))
    header.add_widget(Text(view.flow_title, t.small, th.ON_SECONDARY))
    if view.progress[1]:
        header.add_widget(Text(ui("step_of", loc, i=view.progress[0], n=view.progress[1]), t.small, th.ON_SECONDARY,
                               halign="right"))
    root.add_widget(header)
    if view.ending is not None:  # how the visit ended, the ways on, the rating: kiosk/ui/ending_screens.py
        after_screen(root, view, t, chrome, form_values)
        root.add_widget(footer(t, loc, view.elderly, chrome, view))
        return root
    body = BoxLayout(orientation="vertical", padding=(2 * t.gap, t.gap, t.gap, t.gap), spacing=t.gap)
    info = _column(t)
    info.add_widget(Text(view.title, t.title, bold=True))
    text = view.text_short if view.elderly and view.text_short else view.text  # fewer words where the flow has them
    if text:
        info.add_widget(Text(text, t.body))
    if view.items:
        grid = GridLayout(cols=2, spacing=t.gap, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for item in view.items:
            grid.add_widget(Text(item.label, t.body, th.MUTED))
            grid.add_widget(Text(item.value, t.body, bold=True))
        info.add_widget(grid)
    if view.consent:
        info.add_widget(Text(view.consent, t.body, bold=True))
    status = _status_line(view, loc)
    if status:
        info.add_widget(Text(status, t.body, th.WARN))
    if view.timeout_s is not None and view.deadline is not None and not view.result:
        info.add_widget(Countdown("countdown:step", view.deadline, view.timeout_s,
                                  lambda s: ui("time_left", loc, s=s), t.body, th.WARN, bold=True))
    if view.idle_warning_s is not None and view.deadline is not None:
        body.add_widget(_idle_banner(view, t, chrome))
    controls = _column(t)
    _controls(controls, view, t, chrome, form_values)
    media = media_area(view, t, chrome)
    content = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_y=None)
    parts = (info, Widget(), controls) if t.low_reach else (info, controls, Widget())  # low reach: controls low
    for part in ((media,) if media is not None else ()) + parts:
        content.add_widget(part)
    memory = form_values.setdefault("_scroll", {}).setdefault(view.step, {}) if view.kind == "form" else None
    body.add_widget(ScrollArea(content, t, loc, memory))
    root.add_widget(body)
    root.add_widget(footer(t, loc, view.elderly, chrome, view))
    return root


def _status_line(view: StepView, loc: str) -> str:
    if view.extra.get("help_requested"):
        return ui("help_requested", loc)
    if view.attempt > 1:
        return ui("retrying", loc, n=view.attempt)
    if view.result:
        return ""
    key = WAIT_TEXT.get(view.waiting_for)
    return ui(key, loc) if key and (view.busy or view.kind in ("read_id_card", "scan_code", "video_help")) else ""


def _idle_banner(view: StepView, t: th.Theme, chrome: Chrome) -> Panel:
    """Are you still there: a banner above the step, which stays visible and usable (any tap is activity)."""
    loc = view.locale
    banner = Panel(bg=th.WARN_BG, orientation="vertical", size_hint_y=None, padding=t.gap, spacing=t.gap)
    banner.bind(minimum_height=banner.setter("height"))
    banner.add_widget(Text(ui("still_there", loc), t.title, th.WARN, bold=True))
    banner.add_widget(Countdown("countdown:idle", view.deadline, view.idle_warning_s,
                                lambda s: ui("still_there_text", loc, s=s), t.body, th.WARN))
    banner.add_widget(TapButton(ui("continue", loc), "action:extend", lambda: chrome.act("extend"), t))
    return banner


def _controls(box: BoxLayout, view: StepView, t: th.Theme, chrome: Chrome, form_values: dict) -> None:
    loc, act = view.locale, chrome.act
    if view.result:
        box.add_widget(TapButton(ui("done", loc), "action:done", lambda: act("done"), t))
        return
    if view.kind == "notice":
        if view.consent:
            box.add_widget(TapButton(ui("agree", loc), "action:agree", lambda: act("agree"), t))
            box.add_widget(TapButton(ui("decline", loc), "action:decline", lambda: act("decline"), t, "secondary"))
        else:
            box.add_widget(TapButton(ui("ok", loc), "action:ok", lambda: act("ok"), t))
    elif view.kind in ("choice", "show_result"):
        for opt in view.options:
            box.add_widget(TapButton(opt.label, f"option:{opt.id}", lambda o=opt.id: act("choose", o), t,
                                     disabled=not opt.enabled))
        if view.kind == "show_result":
            box.add_widget(TapButton(ui("done", loc), "action:done", lambda: act("done"), t, "secondary"))
    elif view.kind == "form":
        _form(box, view, t, chrome, form_values)


FOCUS = "_focus"  # form_values key of the field being typed into; field names never start with "_"


def _form(box: BoxLayout, view: StepView, t: th.Theme, chrome: Chrome, values: dict) -> None:
    """Each field shows its value; the focused one gets the keyboard its type calls for."""
    loc = view.locale
    focus = values.get(FOCUS) or next((f.name for f in view.fields if not values.get(f.name)), view.fields[0].name)
    values[FOCUS] = focus
    shown: dict[str, Text] = {}
    for f in view.fields:
        box.add_widget(Text(f.label + ("" if f.required else f" ({ui('optional', loc)})"), t.body, bold=True))
        if f.choices:
            for c in f.choices:
                chosen = values.get(f.name) == c.id
                box.add_widget(TapButton(("✓ " if chosen else "") + c.label, f"choice:{f.name}:{c.id}",
                                         lambda n=f.name, v=c.id: _pick(values, n, v, chrome), t,
                                         "primary" if chosen else "secondary"))
        else:
            value = FieldBox(values.get(f.name) or "", _placeholder(f, loc), f"field:{f.name}",
                             lambda n=f.name: _focus(values, n, chrome), t, f.name == focus)
            shown[f.name] = value
            box.add_widget(value)
        if f.error:
            box.add_widget(Text(f.error, t.body, th.DANGER))
    field = next((f for f in view.fields if f.name == focus and not f.choices), None)
    if field is not None and field.keyboard != "none":
        from kiosk.ui.keyboard import OnScreenKeyboard

        kind = {"pinyin": "pinyin", "latin": "latin", "digits": "digits", "phone": "phone",
                "id_number": "id_number"}.get(field.keyboard, "pinyin")
        hint = {"name": "name", "address": "address"}.get(field.type, "text")

        def typed(text, name=field.name):
            values[name] = text
            shown[name].value = text

        pad = kind in ("digits", "phone", "id_number")
        keyboard = OnScreenKeyboard(kind, typed, view.elderly, text=values.get(field.name, ""), field=hint,
                                    max_length=field.max_length, locale=loc)
        if pad:
            layout.place_keypad(keyboard, t)
        box.add_widget(keyboard)
    box.add_widget(TapButton(ui("submit", loc), "action:submit",
                             lambda: chrome.act("submit", {k: v for k, v in values.items() if not k.startswith("_")}), t))


def _placeholder(f, loc: str) -> str:
    """What goes into an empty field: the flow's help for it, else what the field's type expects."""
    if f.help:
        return f.help
    key = f"placeholder:{f.type}"
    return ui(key if key in TEXTS else "placeholder", loc)


def _focus(values: dict, name: str, chrome: Chrome) -> None:
    values[FOCUS] = name
    chrome.redraw()


def _pick(values: dict, name: str, value: str, chrome: Chrome) -> None:
    values[name] = value
    chrome.redraw()


def out_of_service_screen(locale: str, t: th.Theme, title: str = "out_of_service") -> Panel:
    """Also the citizen's view of remote maintenance (title `under_maintenance`): nothing to touch but the corner."""
    root = Panel(orientation="vertical", padding=4 * t.gap, spacing=2 * t.gap)
    root.add_widget(Widget())
    root.add_widget(Text(ui(title, locale), t.title * 1.2, bold=True, halign="center"))
    root.add_widget(Text(ui("out_of_service_text", locale), t.body, halign="center"))
    root.add_widget(Widget())
    return root
