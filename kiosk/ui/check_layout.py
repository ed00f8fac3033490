"""Does anything overflow? A walk over the drawn widget tree, for any screen.

Rules (docs/ui.md, "Layout rules"), judged in window coordinates:
- every visible widget stays inside its parent, and so inside the screen;
  a widget in a ScrollView's content is judged by the viewport across, and
  may run past it downwards and upwards (that is what scrolling is for);
- children of a tiling layout (box or grid) never overlap each other, so
  a body that grows never runs into the header or the footer beside it;
- a label's text fits its box (wrapped text taller than a fixed button is
  cut off or spills).
Floating layouts (overlays by design) are exempt from the sibling rule.
Kivy is imported lazily so the module can be read without a display.
"""
from __future__ import annotations

TOLERANCE = 1.0  # px: fractional layout positions round either way


def box(w) -> tuple[float, float, float, float]:
    x0, y0 = w.to_window(w.x, w.y)
    x1, y1 = w.to_window(w.right, w.top)
    return x0, y0, x1, y1


def name(w) -> str:
    """How a problem names a widget: its kiosk id, else its kind and the start of its text."""
    kid = getattr(w, "kid", "")
    if kid:
        return kid
    text = str(getattr(w, "text", "") or "").replace("\n", " ").strip()
    return f"{type(w).__name__}" + (f" {text[:24]!r}" if text else "")


def visible(w) -> bool:
    return w.opacity > 0 and w.width > 0.5 and w.height > 0.5


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE


def _outside(inner, outer, vertical: bool = True) -> str:
    x0, y0, x1, y1 = inner
    X0, Y0, X1, Y1 = outer
    sides = []
    if x0 < X0 - TOLERANCE:
        sides.append(f"left by {X0 - x0:.0f} px")
    if x1 > X1 + TOLERANCE:
        sides.append(f"right by {x1 - X1:.0f} px")
    if vertical and y1 > Y1 + TOLERANCE:
        sides.append(f"top by {y1 - Y1:.0f} px")
    if vertical and y0 < Y0 - TOLERANCE:
        sides.append(f"bottom by {Y0 - y0:.0f} px")
    return ", ".join(sides)


def problems(root, screen: tuple[float, float]) -> list[str]:
    """Every overflow on the screen drawn from ``root``; ``screen`` is the kiosk screen's (width, height)."""
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.gridlayout import GridLayout
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.stacklayout import StackLayout

    tiling = (BoxLayout, GridLayout, StackLayout)
    out: list[str] = []
    top_level = [c for c in root.children if visible(c)]

    def blame(w, b) -> str:
        """The screen part (header, body, footer…) it runs into, if any, for a readable message."""
        hit = [c for c in top_level if c is not w and not _is_ancestor(c, w) and _overlap(box(c), b)]
        return f" and overlaps {', '.join(name(c) + _first_text(c) for c in hit)}" if hit else ""

    def visit(w) -> None:
        b = box(w)
        if isinstance(w, Label) and w.text.strip():
            tw, th_ = w.texture_size
            if th_ > w.height + TOLERANCE or tw > w.width + TOLERANCE:
                out.append(f"{name(w)}: its text ({tw:.0f}x{th_:.0f} px) does not fit its box "
                           f"({w.width:.0f}x{w.height:.0f} px)")
        kids = [c for c in w.children if visible(c)]
        for c in kids:
            cb = box(c)
            in_scroll = isinstance(w, ScrollView)
            where = _outside(cb, b, vertical=not in_scroll)
            if where:
                out.append(f"{name(c)} leaves {name(w)} ({where}){blame(c, cb)}")
        if isinstance(w, tiling):
            for i, a in enumerate(kids):
                for c in kids[i + 1:]:
                    if _overlap(box(a), box(c)):
                        out.append(f"{name(a)} overlaps {name(c)}")
        for c in kids:
            visit(c)

    rb = box(root)
    where = _outside(rb, (0, 0, screen[0], screen[1]))
    if where:
        out.append(f"{name(root)} leaves the screen ({where})")
    visit(root)
    return out


def _is_ancestor(a, w) -> bool:
    p = w.parent
    while p is not None and p.parent is not p:
        if p is a:
            return True
        p = p.parent
    return False


def _first_text(w) -> str:
    """A container named by the first words in it ("Panel '住房公积金…'"), so a header is recognisable."""
    from kiosk.ui.widgets import walk

    for d in walk(w):
        text = str(getattr(d, "text", "") or "").strip()
        if text and d is not w:
            return f" (with {text[:16]!r})"
    return ""
