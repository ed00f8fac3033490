"""A picture of a receipt as a thermal printer would print it, for the demo and for review.

It reuses the ESC/POS encoder's own rasteriser and QR matrix, so the picture
shows what the driver would put on paper (same font, same wrapping at the
same dot width), not a second idea of it.
"""
from __future__ import annotations

from PIL import Image, ImageDraw

from devices.receipt_printer.raster import FontSet, qr_matrix
from devices.records import Cut, Feed, QrCode, Receipt, Text

WIDTH = 576  # dots on an 80 mm head at 203 dpi
MARGIN = 16


def render_receipt(receipt: Receipt, fonts: FontSet | None = None, width: int = WIDTH) -> Image.Image:
    fonts = fonts or FontSet(None)
    blocks: list[Image.Image] = []
    for el in receipt.elements:
        if isinstance(el, Text):
            rows = fonts.render(el.text or " ", scale=el.scale, bold=el.bold, align=el.align, width=width)
            blocks.append(Image.frombytes("1", (width, len(rows)), b"".join(rows)))
        elif isinstance(el, QrCode):
            blocks.append(_qr(el, width))
        elif isinstance(el, Feed):
            blocks.append(Image.new("1", (width, 30 * el.lines), 0))
        elif isinstance(el, Cut):
            cut = Image.new("1", (width, 24), 0)
            ImageDraw.Draw(cut).line([(0, 12), (width, 12)], fill=1, width=2)
            blocks.append(cut)
    height = sum(b.height for b in blocks) + 2 * MARGIN
    paper = Image.new("L", (width + 2 * MARGIN, height), 255)
    y = MARGIN
    for b in blocks:
        paper.paste(0, (MARGIN, y), b)  # ink where the printer would burn a dot
        y += b.height
    return paper


def _qr(el: QrCode, width: int) -> Image.Image:
    matrix = qr_matrix(el.data)
    n, size = len(matrix), max(1, el.size)
    img = Image.new("1", (width, n * size + 2 * size), 0)
    x0 = {"left": 0, "right": width - n * size}.get(el.align, (width - n * size) // 2)
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(matrix):
        for c, on in enumerate(row):
            if on:
                draw.rectangle([x0 + c * size, size + r * size, x0 + (c + 1) * size - 1, size + (r + 1) * size - 1], fill=1)
    return img
