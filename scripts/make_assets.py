"""Draws the shipped tile icons (assets/icons/*.png) and device illustrations (assets/illustrations/*.zip).

Flat shapes in the theme's colours, no words (a picture must serve every
locale), drawn with Pillow so that anyone can change and redraw them:

    .venv/bin/python scripts/make_assets.py

An illustration is a Kivy animation: a zip of PNG frames, shown in name
order (Kivy's GIF reader fails on the frames current Pillow hands it).
The output is committed (a few KiB each); an item replaces an illustration
with its own file (flow `media.illustrations`) and an icon with a .png beside
its flow.
"""
from __future__ import annotations

import math
import io
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
BLUE, NAVY, PALE, WHITE, INK = "#0B4F8A", "#0A2949", "#E6EDF6", "#FFFFFF", "#1C1C1F"
AMBER, GREEN, GREY = "#FFC83D", "#1E7B34", "#8A96A3"
ICON = 192  # drawn at 4x and reduced: smooth edges without anti-aliased primitives
W, H = 480, 270  # illustrations: 16:9, the media area's shape
FRAMES, HOLD = 8, 6  # frames of movement, then the end state held (it is the instruction); 0.22 s each


# ------------------------------------------------------------------ icons
def _icon(draw_fn) -> Image.Image:
    big = Image.new("RGBA", (ICON * 4, ICON * 4), (0, 0, 0, 0))
    d = ImageDraw.Draw(big)
    d.rounded_rectangle((0, 0, ICON * 4 - 1, ICON * 4 - 1), radius=ICON // 2, fill=PALE)
    draw_fn(d, ICON * 4)
    return big.resize((ICON, ICON), Image.LANCZOS)


def shield(d, s):
    d.polygon([(s * .5, s * .16), (s * .8, s * .28), (s * .76, s * .6), (s * .5, s * .86), (s * .24, s * .6),
               (s * .2, s * .28)], fill=BLUE)
    d.line([(s * .36, s * .5), (s * .46, s * .62), (s * .66, s * .38)], fill=WHITE, width=s // 18, joint="curve")


def medical(d, s):
    d.rounded_rectangle((s * .18, s * .18, s * .82, s * .82), radius=s // 10, fill=BLUE)
    d.rectangle((s * .43, s * .3, s * .57, s * .7), fill=WHITE)
    d.rectangle((s * .3, s * .43, s * .7, s * .57), fill=WHITE)


def house(d, s):
    d.polygon([(s * .5, s * .16), (s * .86, s * .48), (s * .14, s * .48)], fill=BLUE)
    d.rectangle((s * .24, s * .46, s * .76, s * .84), fill=BLUE)
    d.rectangle((s * .43, s * .6, s * .57, s * .84), fill=WHITE)


def badge(d, s):
    d.rounded_rectangle((s * .16, s * .24, s * .84, s * .78), radius=s // 16, fill=BLUE)
    d.ellipse((s * .24, s * .36, s * .44, s * .56), fill=WHITE)
    d.pieslice((s * .2, s * .56, s * .48, s * .84), 180, 360, fill=WHITE)
    for y in (.38, .5, .62):
        d.rectangle((s * .52, s * y, s * .76, s * (y + .05)), fill=WHITE)


def bundle(d, s):
    for i, c in enumerate((GREY, NAVY, BLUE)):
        o = i * s * .08
        d.rounded_rectangle((s * .18 + o, s * .18 + o, s * .62 + o, s * .62 + o), radius=s // 20, fill=c,
                            outline=PALE, width=s // 60)


def ticket(d, s):
    d.rounded_rectangle((s * .16, s * .28, s * .84, s * .72), radius=s // 20, fill=BLUE)
    d.ellipse((s * .1, s * .44, s * .22, s * .56), fill=PALE)
    d.ellipse((s * .78, s * .44, s * .9, s * .56), fill=PALE)
    d.rectangle((s * .34, s * .42, s * .66, s * .47), fill=WHITE)
    d.rectangle((s * .34, s * .53, s * .58, s * .58), fill=WHITE)


def building(d, s):
    d.polygon([(s * .5, s * .14), (s * .86, s * .32), (s * .14, s * .32)], fill=BLUE)
    for x in (.22, .4, .58, .74):
        d.rectangle((s * x, s * .36, s * (x + .07), s * .72), fill=BLUE)
    d.rectangle((s * .14, s * .74, s * .86, s * .84), fill=BLUE)


ICONS = {f.__name__: f for f in (shield, medical, house, badge, bundle, ticket, building)}


# ---------------------------------------------------------- illustrations
def _ease(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, t)))


def _kiosk(d, slot_y=None):
    """The kiosk's front: the screen above, the device panel below, where the reader and the slots are."""
    d.rounded_rectangle((40, 20, 440, 250), radius=18, fill=PALE, outline=NAVY, width=4)
    d.rectangle((70, 40, 410, 130), fill=WHITE, outline=GREY, width=2)
    if slot_y is not None:
        d.rounded_rectangle((130, slot_y - 6, 350, slot_y + 6), radius=5, fill=INK)


def _arrow(d, x0, y0, x1, y1, colour=AMBER, width=10):
    d.line([(x0, y0), (x1, y1)], fill=colour, width=width)
    ang = math.atan2(y1 - y0, x1 - x0)
    for da in (2.6, -2.6):
        d.line([(x1, y1), (x1 + 24 * math.cos(ang + da), y1 + 24 * math.sin(ang + da))], fill=colour, width=width)


def _card(d, x, y, w=110, h=70):
    d.rounded_rectangle((x, y, x + w, y + h), radius=8, fill=BLUE, outline=NAVY, width=2)
    d.ellipse((x + 10, y + 14, x + 38, y + 42), fill=PALE)
    for k in range(3):
        d.rectangle((x + 48, y + 16 + k * 14, x + w - 12, y + 22 + k * 14), fill=PALE)


def id_card(d, t):
    _kiosk(d)
    d.rounded_rectangle((290, 160, 420, 240), radius=10, fill=WHITE, outline=BLUE, width=4)  # the reader pad
    e = _ease(t * 1.4)
    _card(d, int(300 + (1 - e) * 40), int(165 - (1 - e) * 150))
    if t > 0.75:
        _arrow(d, 200, 200, 280, 200)


def scan_code(d, t):
    _kiosk(d)
    d.rectangle((300, 170, 420, 230), fill=INK)  # the scanner window
    e = _ease(t * 1.4)
    x, y = 320, int(40 + e * 90)
    d.rounded_rectangle((x, y, x + 80, y + 130), radius=12, fill=NAVY)
    d.rectangle((x + 12, y + 20, x + 68, y + 76), fill=WHITE)
    for i in range(4):
        for j in range(4):
            if (i * 3 + j) % 2 == 0:
                d.rectangle((x + 16 + i * 13, y + 24 + j * 13, x + 26 + i * 13, y + 34 + j * 13), fill=INK)


def _out(d, t, w, h, slot_y=170, colour=WHITE):
    _kiosk(d, slot_y)
    e = _ease(t * 1.3)
    shown = int(h * e)
    x = 240 - w // 2
    d.rectangle((x, slot_y + 4, x + w, slot_y + 4 + shown), fill=colour, outline=GREY, width=2)
    for k in range(0, shown - 14, 14):
        d.rectangle((x + 12, slot_y + 12 + k, x + w - 12, slot_y + 16 + k), fill=PALE)


def print_document(d, t):
    _out(d, t, 150, 72)


def print_slip(d, t):
    _out(d, t, 80, 72)


def ticket_out(d, t):
    _out(d, t, 110, 60, colour="#FFF4CC")


def _take(d, t, draw_thing):
    draw_thing(d)
    e = _ease(t * 1.2)
    _arrow(d, 400, int(210 - e * 60), 400, int(150 - e * 60), GREEN)


def take_document(d, t):
    _take(d, t, lambda d: _out(d, 1.0, 150, 72))
    _arrow(d, 240, int(236 - _ease(t) * 40), 240, int(200 - _ease(t) * 40), GREEN)


def take_card(d, t):
    _kiosk(d)
    d.rounded_rectangle((290, 160, 420, 240), radius=10, fill=WHITE, outline=BLUE, width=4)
    e = _ease(t * 1.2)
    _card(d, int(300 - e * 120), int(165 - e * 40))
    _arrow(d, 250, 215, int(190 - e * 60), 215, GREEN)


def take_ticket(d, t):
    _out(d, 1.0, 110, 60, colour="#FFF4CC")
    _arrow(d, 240, int(236 - _ease(t) * 40), 240, int(200 - _ease(t) * 40), GREEN)


ILLUSTRATIONS = {"id_card": id_card, "scan_code": scan_code, "print_document": print_document,
                 "print_slip": print_slip, "ticket": ticket_out, "take_document": take_document,
                 "take_card": take_card, "take_ticket": take_ticket}


def _animation(draw_fn) -> list[Image.Image]:
    frames = []
    for i in range(FRAMES):
        im = Image.new("RGB", (W, H), WHITE)
        draw_fn(ImageDraw.Draw(im), i / (FRAMES - 1))
        frames.append(im.convert("P", palette=Image.ADAPTIVE, colors=32))
    return frames


def main() -> None:
    icons, pictures = ROOT / "assets" / "icons", ROOT / "assets" / "illustrations"
    icons.mkdir(parents=True, exist_ok=True)
    pictures.mkdir(parents=True, exist_ok=True)
    for name, fn in ICONS.items():
        _icon(fn).save(icons / f"{name}.png", optimize=True)
    for name, fn in ILLUSTRATIONS.items():
        frames = _animation(fn)
        frames += [frames[-1]] * HOLD
        with zipfile.ZipFile(pictures / f"{name}.zip", "w", zipfile.ZIP_STORED) as z:
            for i, frame in enumerate(frames):
                buf = io.BytesIO()
                frame.save(buf, "PNG", optimize=True)
                info = zipfile.ZipInfo(f"{i:02d}.png", date_time=(2026, 1, 1, 0, 0, 0))  # reproducible bytes
                z.writestr(info, buf.getvalue())


if __name__ == "__main__":
    main()
