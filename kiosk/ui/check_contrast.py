"""Contrast measured on the drawn pixels, not read from the theme.

The theme's pairs were all above 4.5:1 and still a greyed tile measured
1.16:1 on screen: Kivy's disabled look painted over them. So this reads
the rendered screen back and, for every widget on it (docs/ui.md, "Checks"):
- text: inside each label's box (its edges trimmed, so a button's border is
  not taken for text) the most common colour is the background and the
  colour furthest from it is the text; they must be at least 4.5:1
  (WCAG 1.4.3; disabled labels included, the issue's own case);
- control boundaries: a ring just inside each button against a ring just
  outside it, each by its most common colour: at least 3:1 (WCAG 1.4.11).
  Inactive controls are exempt, as WCAG exempts them (their text is not),
  and so are invisible targets (the maintenance corner).
Only widgets wholly in view are measured (a scrolled-off part is not drawn).
The image is the screen's RGBA as a PIL image (top row first).
"""
from __future__ import annotations

from kiosk.ui.check_layout import box, name, visible
from kiosk.ui.theme import contrast

TEXT_MIN = 4.5
BOUNDARY_MIN = 3.0
TRIM = 6  # px trimmed off a label's box: borders (≤ 4 px) and their anti-aliasing are not text


def _rgb(c) -> tuple[float, float, float]:
    return (c[0] / 255, c[1] / 255, c[2] / 255)


def _dominant(colors) -> tuple:
    return max(colors, key=lambda nc: nc[0])[1]


def _colors(img, region):
    x0, y0, x1, y1 = (int(round(v)) for v in region)
    if x1 <= x0 or y1 <= y0:
        return []
    # PIL's rows run top down; Kivy's y runs bottom up
    h = img.height
    crop = img.crop((x0, h - y1, x1, h - y0))
    return crop.getcolors(crop.width * crop.height) or []


def text_contrast(img, b) -> float | None:
    colors = _colors(img, (b[0] + TRIM, b[1] + TRIM, b[2] - TRIM, b[3] - TRIM))
    if len(colors) < 2:
        return None
    bg = _rgb(_dominant(colors))
    return max(contrast(_rgb(c), bg) for _, c in colors)


def boundary_contrast(img, b) -> float | None:
    inner, outer = [], []
    x0, y0, x1, y1 = b
    for ring, d in ((inner, -1), (outer, 4)):  # one pixel inside the edge; four outside (gaps are ≥ 8 px)
        ring += _colors(img, (x0 - d, y1 + d - 1, x1 + d, y1 + d))  # top row
        ring += _colors(img, (x0 - d, y0 - d, x1 + d, y0 - d + 1))  # bottom row
        ring += _colors(img, (x0 - d, y0 - d, x0 - d + 1, y1 + d))  # left column
        ring += _colors(img, (x1 + d - 1, y0 - d, x1 + d, y1 + d))  # right column
    if not inner or not outer:
        return None
    merged = [{}, {}]
    for i, ring in enumerate((inner, outer)):
        for n, c in ring:
            merged[i][c] = merged[i].get(c, 0) + n
    pick = [max(m.items(), key=lambda kv: kv[1])[0] for m in merged]
    return contrast(_rgb(pick[0]), _rgb(pick[1]))


def _in_view(w, b, screen) -> bool:
    """Wholly on screen and inside every scroll viewport around it."""
    from kivy.uix.scrollview import ScrollView

    if b[0] < -0.5 or b[1] < -0.5 or b[2] > screen[0] + 0.5 or b[3] > screen[1] + 0.5:
        return False
    p = w.parent
    while p is not None and p.parent is not p:
        if isinstance(p, ScrollView):
            v = box(p)
            if b[1] < v[1] - 0.5 or b[3] > v[3] + 0.5:
                return False
        p = p.parent
    return True


def problems(root, img, screen: tuple[float, float]) -> list[str]:
    """Every text below 4.5:1 and every control edge below 3:1 on the screen drawn from ``root``."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    out: list[str] = []

    def visit(w):
        if not visible(w):
            return
        b = box(w)
        if _in_view(w, b, screen):
            if isinstance(w, Label) and w.text.strip():
                ratio = text_contrast(img, b)
                if ratio is not None and ratio < TEXT_MIN:
                    out.append(f"{name(w)}: text contrast {ratio:.2f}:1 (needs {TEXT_MIN}:1)")
            if isinstance(w, ButtonBehavior) and not w.disabled and _drawn(w):
                ratio = boundary_contrast(img, b)
                if ratio is not None and ratio < BOUNDARY_MIN:
                    out.append(f"{name(w)}: boundary contrast {ratio:.2f}:1 against its surroundings "
                               f"(needs {BOUNDARY_MIN}:1)")
        for c in w.children:
            visit(c)

    visit(root)
    return out


def _drawn(w) -> bool:
    """An invisible target (the maintenance corner) has no boundary to see."""
    colour = getattr(w, "background_color", (1, 1, 1, 1))
    return colour[3] > 0 or bool(str(getattr(w, "text", "")).strip())


def screen_image(widget):
    """The widget's pixels as a PIL image, top row first (the functions above turn Kivy's y round).

    Drawn as the window draws it: on paper (the window's clear; a screen's
    root has no fill of its own, kiosk.ui.widgets.Panel) and the right way
    up, so the scrolling areas' scissors (window coordinates,
    kiosk.ui.scroll.ClippedScrollView) clip where they do on screen. Kivy's
    own export starts from transparent black and turns the picture upside
    down as it draws, which moves every scissor. Screens sit at the window's
    origin, where the two coordinates agree.
    """
    from kivy.graphics import ClearBuffers, ClearColor
    from kivy.graphics.fbo import Fbo
    from PIL import Image

    from kiosk.ui.theme import PAPER

    parent, index = widget.parent, -1
    if parent is not None:
        index = parent.canvas.indexof(widget.canvas)
        if index > -1:
            parent.canvas.remove(widget.canvas)
    fbo = Fbo(size=(int(widget.width), int(widget.height)), with_stencilbuffer=True)
    with fbo:
        ClearColor(*PAPER)
        ClearBuffers()
    fbo.add(widget.canvas)
    try:
        fbo.draw()
        pixels = fbo.pixels
    finally:
        fbo.remove(widget.canvas)
        if index > -1:
            parent.canvas.insert(index, widget.canvas)
    return Image.frombytes("RGBA", fbo.size, pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
