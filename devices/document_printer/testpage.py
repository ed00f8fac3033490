"""The A4 test page a technician prints: Chinese text, the kiosk id, the time, a QR code, a frame.

Why each element:
- the Chinese title and full-width punctuation show whether CJK glyphs reach
  the paper (a printer without the font prints boxes or nothing);
- the kiosk id and the local time tie the sheet to a kiosk and a visit;
- the QR code carries the kiosk id, so a phone confirms it without typing;
- a frame 10 mm inside the sheet's edge shows scaling: fit-to-page shrinks
  it, a Letter default clips it, and a ruler checks it.

Font: AR PL UMing (fonts-arphic-uming, installed by scripts/bootstrap.sh),
embedded as a subset of the glyphs used. It has Latin and CJK glyphs; Droid
Sans Fallback has no Latin ones, so the kiosk id would vanish. Without the
file, the STSong-Light CID font is named but not embedded, and the printer
or CUPS has to substitute a font; a warning says so.
"""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import structlog

log = structlog.get_logger("devices.document_printer.testpage")

TITLE = "自助终端打印测试"
FONT_FILE = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
FALLBACK_CID_FONT = "STSong-Light"  # in every PDF reader's Adobe-GB1 set; needs no file
MM = 72 / 25.4  # PDF points per millimetre
FRAME_INSET_MM = 10


def build_test_page(kiosk_id: str, now: dt.datetime | None = None, *, font_file: Path | None = FONT_FILE) -> bytes:
    """One A4 page as PDF bytes; the same inputs give the same bytes (reportlab's invariant mode)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    now = now or dt.datetime.now().astimezone()  # wall clock on purpose: it is printed, not timed
    font = _font(font_file)
    width, height = A4
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setTitle(TITLE)
    c.setCreator("kiosk devices test-print a4")

    inset = FRAME_INSET_MM * MM
    c.setLineWidth(0.5)
    c.rect(inset, inset, width - 2 * inset, height - 2 * inset)
    c.setFont(font, 8)
    c.drawCentredString(width / 2, inset + 3 * MM, "边框距纸边 10 mm / frame 10 mm from the edge (A4 210 × 297 mm)")

    c.setFont(font, 28)
    c.drawCentredString(width / 2, height - 45 * MM, TITLE)
    lines = (
        f"终端编号：{kiosk_id}",
        f"本地时间：{now:%Y-%m-%d %H:%M:%S %z}",
        "中文标点：（），。：；“”￥",
        "ASCII: 0123456789 ABCDEFG abcdefg",
        "如能看清本页文字和二维码，A4 打印正常。",
    )
    c.setFont(font, 14)
    y = height - 70 * MM
    for line in lines:
        c.drawString(30 * MM, y, line)
        y -= 10 * MM

    qr_size = 50 * MM
    _draw_qr(c, kiosk_id, (width - qr_size) / 2, y - qr_size - 5 * MM, qr_size)
    c.setFont(font, 10)
    c.drawCentredString(width / 2, y - qr_size - 12 * MM, "扫码核对终端编号 / scan to check the kiosk id")
    c.showPage()
    c.save()
    return buf.getvalue()


def _draw_qr(c, data: str, x: float, y: float, size: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(data, barLevel="M")  # M: survives a smudge on a kiosk's laser print
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, x, y)


def _font(font_file: Path | None) -> str:
    """Register the embedded face once per process (about 0.13 s); fall back to the CID font."""
    from reportlab.pdfbase import pdfmetrics

    if font_file is not None and font_file.exists():
        name = f"KioskTestPage-{font_file.stem}"
        if name not in pdfmetrics.getRegisteredFontNames():
            from reportlab.pdfbase.ttfonts import TTFont

            pdfmetrics.registerFont(TTFont(name, str(font_file), subfontIndex=0))
        return name
    log.warning("a4_testpage.font_not_embedded", missing=str(font_file), using=FALLBACK_CID_FONT)
    if FALLBACK_CID_FONT not in pdfmetrics.getRegisteredFontNames():
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return FALLBACK_CID_FONT
