"""Layout rules that depend on the screen and the mode, in one place (docs/ui.md, "Layout rules").

Screens ask here instead of each deciding: how many columns the home grid
has, how tall the footer is and how large its words are. Elderly mode is a
different layout, not a zoom: one column, a footer no taller than in
standard mode (its space goes to the step), full-width keypads.
"""
from __future__ import annotations

from kiosk.ui import theme as th

STANDARD = th.Theme()


def elderly(t: th.Theme) -> bool:
    return t.scale > 1


def home_columns(t: th.Theme, tiles: int) -> int:
    """Elderly mode: always one column, read top to bottom (the area scrolls if the items do not fit).

    Otherwise one column in portrait for up to six items, two beyond that,
    and two in landscape or low reach, where the height is short.
    """
    if elderly(t):
        return 1
    return 1 if t.portrait and not t.low_reach and tiles <= 6 else 2


def footer_height(t: th.Theme) -> float:
    """One row of standard-size buttons in every mode: 96 px targets are above every guideline's minimum
    (MIIT elderly: 60 dp; hall guidance: 80 px), and each pixel more would be taken from the step."""
    return STANDARD.target + 2 * STANDARD.gap


def footer_font(t: th.Theme) -> float:
    """Standard body size, whose two lines fit a 96 px button; seven buttons share 1080 px in portrait, so
    standard mode there takes the small size (as it always did) and elderly mode the body size."""
    return STANDARD.small if t.portrait and not elderly(t) else STANDARD.body


def keypad_full_width(t: th.Theme) -> bool:
    return elderly(t)


def place_keypad(keyboard, t: th.Theme) -> None:
    """A digit pad, wherever it is drawn (a form, the call-back form): centred, and in elderly mode the
    whole width, so a trembling finger has the biggest keys the screen allows."""
    keyboard.pos_hint = {"center_x": 0.5}
    if keypad_full_width(t):
        keyboard.size_hint_x = 1
