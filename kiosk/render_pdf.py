"""A4 documents to PDF: the template's HTML subset laid out with reportlab, CJK font subset embedded.

Why not a browser-grade HTML engine: WeasyPrint takes ~8.5 s per page here
with Noto Serif CJK (subsetting a 20 MB CFF font each time); reportlab lays
out the same certificate in ~40 ms warm and embeds only the glyphs used.
Templates stay HTML, limited to what certificates need: h1/h2, p (classes
``number``, ``mark``, ``small``), table/tr/th/td, and ``<qr-code data=...>``.
Anything else (scripts, images, links) is ignored: nothing is ever fetched,
so a template cannot reach the network or the file system.
"""
from __future__ import annotations

import io
from html import escape
from html.parser import HTMLParser
from pathlib import Path

FONTS = [  # (name, path, subfont index): a Ming (serif) face for certificates, a wide fallback for rare names
    ("KioskSerif", "/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("KioskFallback", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
_registered: list[tuple[str, object]] = []


def _fonts() -> list[tuple[str, object]]:
    """Register the TrueType faces once per process (the cold cost, ~0.3 s)."""
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for name, path, index in FONTS:
            if Path(path).exists():
                font = TTFont(name, path, subfontIndex=index)
                pdfmetrics.registerFont(font)
                _registered.append((name, font))
        if not _registered:
            raise RuntimeError("no CJK TrueType font installed (fonts-arphic-uming or fonts-droid-fallback)")
    return _registered


def _markup(text: str) -> str:
    """Escape for reportlab's paragraph markup, switching to the fallback face for characters the serif lacks."""
    fonts = _fonts()
    out, current = [], fonts[0][0]
    for ch in text:
        name = fonts[0][0]
        if ord(ch) > 127 and ord(ch) not in fonts[0][1].face.charToGlyph:
            name = next((n for n, f in fonts[1:] if ord(ch) in f.face.charToGlyph), fonts[0][0])
        if name != current:
            out.append("</font>" if current != fonts[0][0] else "")
            if name != fonts[0][0]:
                out.append(f'<font name="{name}">')
            current = name
        out.append(escape(ch, quote=False))
    if current != fonts[0][0]:
        out.append("</font>")
    return "".join(out)


class _Collector(HTMLParser):
    """Turns the supported HTML subset into a list of blocks: (kind, data)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, object]] = []
        self.title = ""
        self._text: list[str] | None = None
        self._kind = ""
        self._row: list[tuple[str, bool]] | None = None
        self._table: list[list[tuple[str, bool]]] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("h1", "h2", "p", "th", "td", "title"):
            self._text, self._kind = [], tag if tag != "p" else f"p.{a.get('class') or ''}"
        elif tag == "table":
            self._table = []
        elif tag == "tr":
            self._row = []
        elif tag == "qr-code" and a.get("data"):
            self.blocks.append(("qr", a["data"][:1000]))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
            if tag == "head":
                self._text = None
        elif tag == "title" and self._text is not None:
            self.title = "".join(self._text).strip()
            self._text = None
        elif tag in ("th", "td") and self._text is not None and self._row is not None:
            self._row.append((" ".join("".join(self._text).split()), tag == "th"))
            self._text = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.blocks.append(("table", self._table))
            self._table = None
        elif tag in ("h1", "h2", "p") and self._text is not None:
            self.blocks.append((self._kind, " ".join("".join(self._text).split())))
            self._text = None

    def handle_data(self, data):
        if self._text is not None and (not self._skip or self._kind == "title"):
            self._text.append(data)


def render_pdf(html: str, *, footer: str = "自助打印 Self-service print") -> bytes:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    base = _fonts()[0][0]
    styles = {
        "h1": ParagraphStyle("h1", fontName=base, fontSize=22, leading=32, alignment=1, spaceAfter=10),
        "h2": ParagraphStyle("h2", fontName=base, fontSize=16, leading=24, spaceAfter=6),
        "p.": ParagraphStyle("p", fontName=base, fontSize=12, leading=20, wordWrap="CJK", spaceAfter=6),
        "p.number": ParagraphStyle("num", fontName=base, fontSize=11, leading=16, alignment=2),
        "p.mark": ParagraphStyle("mark", fontName=base, fontSize=9, leading=14, alignment=1,
                                 textColor=colors.HexColor("#444444"), spaceBefore=12),
        "p.small": ParagraphStyle("small", fontName=base, fontSize=9, leading=14, wordWrap="CJK"),
        "cell": ParagraphStyle("cell", fontName=base, fontSize=12, leading=18, wordWrap="CJK"),
    }
    parsed = _Collector()
    parsed.feed(html)
    parsed.close()
    story = []
    for kind, data in parsed.blocks:
        if kind == "table":
            rows = [[Paragraph(_markup(text), styles["cell"]) for text, _ in row] for row in data if row]
            if rows:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                story.append(Table(rows, colWidths=[(170 * mm) / width] * width, hAlign="CENTER", style=[
                    ("GRID", (0, 0), (-1, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F2F2F2"))]))
                story.append(Spacer(1, 8))
        elif kind == "qr":
            widget = QrCodeWidget(data, barLevel="M")
            x0, y0, x1, y1 = widget.getBounds()
            size = 32 * mm
            drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
            drawing.add(widget)
            story.append(drawing)
        else:
            story.append(Paragraph(_markup(data), styles.get(kind, styles["p."])))

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont(base, 8)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"{footer} · {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=parsed.title or "document", author="kiosk",
                            creator="kiosk self-service terminal", invariant=1)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return buf.getvalue()


def render_document(document) -> bytes:
    """The OpExecutor's renderer: a kiosk.documents.Document to PDF bytes."""
    return render_pdf(document.html or "", footer=f"自助打印 Self-service print · {document.number}")
