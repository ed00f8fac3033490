"""The screens after a visit: how it ended, the ways on from a failure, the call-back form, the rating.

Drawn from the views kiosk.engine.aftercare and the session's ending make;
each ending has a look of its own (colour and sign) and says it in words
too, since colour must never be the only cue. What is not on offer is a
greyed button that carries its reason on its second line.
"""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.engine.views import StepView
from kiosk.ui import layout, theme as th
from kiosk.ui.scroll import ClippedScrollView
from kiosk.ui.texts import ui
from kiosk.ui.widgets import Countdown, Panel, TapButton, Text

# (background, ink, sign) per look; each pair is at least 4.5:1 (tests/ui/test_endings_ui.py)
SUCCESS_BG, SUCCESS = (0.89, 0.95, 0.90, 1), (0.07, 0.33, 0.13, 1)  # #E3F2E6, #125421
PROBLEM_BG = (0.99, 0.925, 0.925, 1)  # #FDECEC, with th.DANGER
LOOKS = {"success": (SUCCESS_BG, SUCCESS, "✓"), "neutral": (th.SECONDARY, th.ON_SECONDARY, "×"),
         "problem": (PROBLEM_BG, th.DANGER, "!")}
SIGNS = {"timeout": "ⓘ"}
# Kivy dims a disabled button over its colours; what is off must still be read, with its reason (muted pair)
STARS = {5: "★★★★★", 4: "★★★★☆", 3: "★★★☆☆", 2: "★★☆☆☆", 1: "★☆☆☆☆"}


def ending_banner(view: StepView, t: th.Theme, with_title: bool = True) -> Panel:
    """How the visit ended, in its look: sign and title, the thank-you, the reason, what to take."""
    e = view.ending
    bg, ink, sign = LOOKS.get(e.look, LOOKS["neutral"])
    sign = SIGNS.get(e.outcome, sign)
    banner = Panel(bg=bg, orientation="vertical", size_hint_y=None, padding=t.gap, spacing=t.gap / 2)
    banner.bind(minimum_height=banner.setter("height"))
    banner.kid = f"ending:{e.outcome}"
    if with_title:
        banner.add_widget(Text(f"{sign}  {e.title}", t.title, ink, bold=True))
    if e.thanks:
        banner.add_widget(Text(e.thanks, t.body, ink))
    if e.reason:
        banner.add_widget(Text(e.reason, t.body, ink, bold=True))
    for line in e.take_texts:
        banner.add_widget(Text(f"•  {line}", t.body, ink, bold=True))
    return banner


def after_body(view: StepView, t: th.Theme, chrome, form_values: dict) -> tuple[BoxLayout, BoxLayout]:
    """(information, controls) of an after-visit screen, for step_screen's layout (low reach included)."""
    loc, act = view.locale, chrome.act
    info = _column(t)
    controls = _column(t)
    kind = view.kind
    if kind not in ("rating_reasons", "callback", "rated"):  # those keep to their own question
        info.add_widget(ending_banner(view, t))
    if kind in ("rating", "rating_reasons", "callback", "rated"):
        info.add_widget(Text(view.title, t.title, bold=True))
        if view.text:
            info.add_widget(Text(view.text, t.body))
    if view.status:
        info.add_widget(Text(view.status, t.body, th.WARN, bold=True))
    if view.timeout_s is not None and view.deadline is not None and kind != "rated":
        info.add_widget(Countdown("countdown:after", view.deadline, view.timeout_s,
                                  lambda s: ui("time_left", loc, s=s), t.body, th.WARN, bold=True))
    if kind == "ending":
        _offers(controls, view, t, act)
    elif kind == "rating":
        _levels(controls, view, t, act)
    elif kind == "rating_reasons":
        chosen = set(view.extra.get("chosen", ()))
        grid = GridLayout(cols=1 if t.scale > 1 and t.portrait else 2, spacing=t.gap, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for opt in view.options:
            if opt.id.startswith("reason:"):
                picked = opt.id.split(":", 1)[1] in chosen
                grid.add_widget(TapButton(opt.label, f"option:{opt.id}", lambda o=opt.id: act("choose", o), t,
                                          "primary" if picked else "secondary"))
        controls.add_widget(grid)
        row = GridLayout(cols=2, spacing=t.gap, size_hint_y=None, height=t.target)
        row.add_widget(TapButton(_label(view, "submit"), "option:submit", lambda: act("choose", "submit"), t))
        row.add_widget(TapButton(_label(view, "skip"), "option:skip", lambda: act("choose", "skip"), t, "secondary"))
        controls.add_widget(row)
    elif kind == "callback":
        _callback(controls, view, t, chrome, form_values)
    else:  # rated, or a plain ending without the after-visit steps
        controls.add_widget(TapButton(ui("done", loc), "action:done", lambda: act("done"), t))
    return info, controls


def _offers(box: BoxLayout, view: StepView, t: th.Theme, act) -> None:
    """The ways on, in the engine's order; the hotline is always there, the last step is the rating."""
    for opt in view.options:
        if opt.id == "rate":
            box.add_widget(TapButton(opt.label, "option:rate", lambda: act("choose", "rate"), t, "secondary"))
            continue
        lines = opt.label.count("\n") + 1
        style = "primary" if opt.enabled and opt.id != "hotline" else "warning" if opt.id == "hotline" else "muted"
        label = ("☎  " + opt.label) if opt.id == "hotline" else opt.label
        box.add_widget(TapButton(label, f"option:{opt.id}", lambda o=opt.id: act("choose", o), t, style,
                                 height=t.target * (1.0 if lines == 1 else 1.5), disabled=not opt.enabled))


def _levels(box: BoxLayout, view: StepView, t: th.Theme, act) -> None:
    """Five levels, one tap each: a row of five, or in elderly portrait two columns with 跳过 as the sixth cell,
    so that the ending above, the question and every level fit on one screen."""
    levels = [o for o in view.options if o.id.isdigit()]
    two = t.scale > 1 and t.portrait
    grid = GridLayout(cols=2 if two else len(levels), spacing=t.gap, size_hint_y=None)
    grid.bind(minimum_height=grid.setter("height"))
    for opt in levels:
        stars = STARS.get(int(opt.id), "")
        grid.add_widget(TapButton(f"{stars}  {opt.label}" if two else f"{stars}\n{opt.label}",
                                  f"option:{opt.id}", lambda o=opt.id: act("choose", o), t,
                                  "primary" if int(opt.id) >= 3 else "secondary",
                                  height=t.target * (1.0 if two else 1.6)))
    skip = TapButton(_label(view, "skip"), "option:skip", lambda: act("choose", "skip"), t, "secondary")
    if two:
        grid.add_widget(skip)
        box.add_widget(grid)
    else:
        box.add_widget(grid)
        box.add_widget(skip)


def masked_phone(number: str) -> str:
    """A finished number as screens show it: 138****5678; while it is being typed it shows whole."""
    return number[:3] + "****" + number[-4:] if len(number) >= 11 else number


def _callback(box: BoxLayout, view: StepView, t: th.Theme, chrome, values: dict) -> None:
    from kiosk.ui.keyboard import OnScreenKeyboard

    loc = view.locale
    field = view.fields[0]
    box.add_widget(Text(field.label, t.body, bold=True))
    typed_so_far = values.get(field.name, "")
    shown = TapButton(masked_phone(typed_so_far) or ui("phone_placeholder", loc), f"field:{field.name}",
                      lambda: None, t, "secondary")
    box.add_widget(shown)
    if field.error:
        box.add_widget(Text(field.error, t.body, th.DANGER))

    def typed(text, name=field.name):
        values[name] = text
        shown.text = masked_phone(text) or ui("phone_placeholder", loc)

    pad = OnScreenKeyboard("phone", typed, view.elderly, text=typed_so_far, max_length=field.max_length, locale=loc)
    layout.place_keypad(pad, t)
    box.add_widget(pad)
    row = GridLayout(cols=2, spacing=t.gap, size_hint_y=None, height=t.target)
    row.add_widget(TapButton(ui("submit", loc), "action:submit",
                             lambda: chrome.act("submit", {field.name: values.get(field.name, "")}), t))
    row.add_widget(TapButton(ui("back", loc), "action:back", lambda: chrome.act("back"), t, "secondary"))
    box.add_widget(row)


def _label(view: StepView, option_id: str) -> str:
    return next((o.label for o in view.options if o.id == option_id), option_id)


def _column(t: th.Theme) -> BoxLayout:
    box = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_y=None)
    box.bind(minimum_height=box.setter("height"))
    return box


def after_screen(root: Panel, view: StepView, t: th.Theme, chrome, form_values: dict) -> Panel:
    """The body under step_screen's header: information above the controls (portrait), beside them
    (landscape), or every control in the lower half (low reach); long content scrolls, with its bar shown."""
    info, controls = after_body(view, t, chrome, form_values)
    if t.low_reach:
        body = BoxLayout(orientation="vertical", padding=2 * t.gap, spacing=t.gap)
        top = BoxLayout(orientation="vertical", size_hint_y=0.45)
        top.add_widget(_scroll(info, t))
        bottom = BoxLayout(orientation="vertical", size_hint_y=0.55)
        bottom.add_widget(_scroll(controls, t, bottom=True))
        body.add_widget(top)
        body.add_widget(bottom)
    elif t.portrait:
        body = BoxLayout(orientation="vertical", padding=2 * t.gap)
        both = _column(t)
        both.add_widget(info)
        both.add_widget(controls)
        body.add_widget(_scroll(both, t))
    else:  # landscape: what happened on the left, what to do on the right
        body = BoxLayout(orientation="horizontal", padding=2 * t.gap, spacing=2 * t.gap)
        body.add_widget(_scroll(info, t))
        body.add_widget(_scroll(controls, t))
    root.add_widget(body)
    return root


def _scroll(content: BoxLayout, t: th.Theme, bottom: bool = False) -> ClippedScrollView:
    """Scrolls only when the content is taller than the room; the bar stays visible so a citizen sees there is
    more. Content shorter than the room sits at the top (at the bottom for low reach)."""
    view = ClippedScrollView(do_scroll_x=False, bar_width=max(8, t.gap / 2), scroll_type=["bars", "content"],
                             bar_color=th.PRIMARY, bar_inactive_color=(*th.PRIMARY[:3], 0.6), bar_margin=0)
    holder = BoxLayout(orientation="vertical", size_hint_y=None)
    view.bind(height=lambda *_: setattr(holder, "height", max(view.height, content.height)))
    content.bind(height=lambda *_: setattr(holder, "height", max(view.height, content.height)))
    if bottom:
        holder.add_widget(Widget())
    holder.add_widget(content)
    if not bottom:
        holder.add_widget(Widget())
    view.add_widget(holder)
    view.scroll_y = 0 if bottom else 1
    return view
