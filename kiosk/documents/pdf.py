"""A4 documents to PDF with WeasyPrint: the template's own HTML and CSS, an embedded CJK subset, nothing fetched.

Plain WeasyPrint with Noto Serif CJK took 5.5-10 s per page here, nearly all
of it in fontTools subsetting the 65 535-glyph CFF face (WeasyPrint falls
back to fontTools when libharfbuzz-subset0 is missing). Three changes bring a
one-page certificate to tens of milliseconds warm and well under 2 s in a
fresh process (figures: bench/bench_render_pdf.py):

1. libharfbuzz-subset0 installed: HarfBuzz subsets in C, 30x faster.
2. The page is set in assets/fonts/KioskSerifSC-GB2312.ttf, a committed
   8 318-glyph TrueType subset of Noto Serif CJK SC (scripts/gen_cjk_subset.py),
   not the 26 MB collection; characters it lacks fall back per character to
   the installed full face.
3. One :class:`PdfRenderer` per process keeps WeasyPrint's font configuration
   and the parsed base stylesheet (assets/print/a4.css) across renders.

Templates may only reach ``data:`` URIs and files under the asset roots:
every other URL (network, file:///etc/passwd, ../ escapes, symlinks out) is
refused, and WeasyPrint never runs scripts. ``<qr-code data="...">`` in a
template becomes an inline vector QR code. Documents carry personal data, so
nothing here logs their text or URLs, and WeasyPrint's own warnings are
forwarded as their message template only.
"""
from __future__ import annotations

import atexit
import logging
import mimetypes
import re
import shutil
import subprocess
import threading
import time
import unicodedata
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import structlog

log = structlog.get_logger("kiosk.render_pdf")

ASSETS = Path(__file__).resolve().parents[2] / "assets"
STYLESHEET = ASSETS / "print" / "a4.css"
SUBSET_FONT = ASSETS / "fonts" / "KioskSerifSC-GB2312.ttf"
FONT_CHAIN = ("Kiosk Serif SC", "Noto Serif CJK SC", "Droid Sans Fallback")  # as in a4.css; the first is SUBSET_FONT
QR_MAX = 256  # characters: keeps the code at version 10 or less, modules >= 0.4 mm in 28 mm
MAX_ASSET = 8_000_000  # bytes; the font subset is 3 MB
QR_TAG = re.compile(r'<qr-code\b[^>]*?\bdata="([^"]*)"[^>]*>(?:\s*</qr-code\s*>)?', re.IGNORECASE)


class PdfRenderError(Exception):
    """The page could not be turned into a PDF; nothing should be printed."""


class UnprintableText(PdfRenderError):
    """Some characters (typically of a rare name) exist in no installed font and would print as boxes."""

    def __init__(self, count: int):
        super().__init__(f"{count} character(s) of the document exist in no installed font")
        self.count = count


def qr_svg(data: str) -> str:
    """An inline SVG QR code (error correction M, 4-module quiet zone), 28 mm square unless CSS says otherwise.

    Vector, so it is sharp at any printer resolution, needs no image file and
    no fetch. Dark modules are merged into horizontal runs: no hairline seams
    between squares when a viewer or a printer rasterises it.
    """
    if not data or len(data) > QR_MAX:
        raise ValueError(f"QR payload must be 1 to {QR_MAX} characters, got {len(data)}")
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    rows = qr.get_matrix()  # includes the quiet zone
    path = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                path.append(f"M{start},{y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    n = len(rows)
    return (f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" width="28mm" height="28mm" '
            f'viewBox="0 0 {n} {n}" role="img" aria-label="QR"><path fill="#000" d="{"".join(path)}"/></svg>')


class _VisibleText(HTMLParser):
    """Collects the text that will be drawn (not scripts, styles, the title), for the font coverage check."""

    SKIP = frozenset({"script", "style", "title", "template"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def _ignorable(ch: str) -> bool:
    """Characters that draw nothing: spaces, controls, joiners, variation selectors."""
    cp = ord(ch)
    return unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp") or 0xFE00 <= cp <= 0xFE0F or cp >= 0xE0000


class FontCoverage:
    """Which characters some font of the chain can draw.

    The subset's character map is read at once (10 ms); the installed
    fallbacks' only when a page has a character the subset lacks (0.25 s,
    once per process). A family fontconfig cannot find counts as covering
    nothing, so a broken install fails closed rather than printing boxes.
    """

    def __init__(self, subset: Path = SUBSET_FONT, fallbacks: tuple[str, ...] = FONT_CHAIN[1:]):
        self._subset_path, self._families = subset, fallbacks
        self._subset: frozenset[int] | None = None
        self._fallbacks: list[frozenset[int]] | None = None

    def missing(self, text: str) -> frozenset[str]:
        if self._subset is None:
            self._subset = _cmap(self._subset_path, 0)
        rest = {ch for ch in set(text) if ord(ch) not in self._subset and not _ignorable(ch)}
        if not rest:
            return frozenset()
        if self._fallbacks is None:
            self._fallbacks = [_cmap(path, index) for path, index in map(_installed, self._families) if path]
        return frozenset(ch for ch in rest if not any(ord(ch) in cmap for cmap in self._fallbacks))


def _cmap(path: Path, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, fontNumber=index, lazy=True).getBestCmap())


def _installed(family: str) -> tuple[Path | None, int]:
    """The file fontconfig (hence Pango) uses for a family, or None if it would substitute another family."""
    if not shutil.which("fc-match"):
        log.warning("pdf.fallback_font_unknown", family=family, why="fc-match not installed")
        return None, 0
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", family], capture_output=True,
                             text=True, timeout=10, check=True).stdout
        path, index, families = out.split("|", 2)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("pdf.fallback_font_unknown", family=family, why=type(exc).__name__)
        return None, 0
    if family.lower() not in [f.strip().lower() for f in families.split(",")]:
        log.warning("pdf.fallback_font_missing", family=family, substitute=families.split(",")[0])
        return None, 0
    return Path(path), int(index)


def _css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes and control characters escaped, so text cannot end the rule."""
    out = (f"\\{ord(ch):x} " if ch in '"\\' or unicodedata.category(ch).startswith("C") else ch for ch in text)
    return '"' + "".join(out) + '"'


@lru_cache(maxsize=1)
def _local_fetcher_class():
    """WeasyPrint's URLFetcher, narrowed to data: URIs and regular files under the allowed roots."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def __init__(self, roots: tuple[Path, ...]):
            super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)
            self.roots = roots

        def fetch(self, url, headers=None):
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                return super().fetch(url, headers)  # urllib's DataHandler decodes it in memory
            path = self._allowed(url) if scheme == "file" else None
            if path is None:
                log.warning("pdf.fetch_refused", scheme=scheme or "none")  # never the URL: it may hold personal data
                raise PermissionError(f"{scheme or 'relative'} URL refused: only data: and kiosk assets")
            return URLFetcherResponse(url, body=path.read_bytes(),
                                      headers={"Content-Type": mimetypes.guess_type(path.name)[0]
                                               or "application/octet-stream"})

        def _allowed(self, url: str) -> Path | None:
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                return None
            path = Path(url2pathname(parts.path)).resolve()  # resolve(): ../ and symlinks cannot leave a root
            ok = any(path.is_relative_to(root) for root in self.roots)
            return path if ok and path.is_file() and path.stat().st_size <= MAX_ASSET else None

    return LocalFetcher


class _TemplateOnly(logging.Handler):
    """Forwards WeasyPrint's warnings without their arguments, which can quote a document's URLs or text."""

    def emit(self, record: logging.LogRecord) -> None:
        log.warning("pdf.engine_warning", template=str(record.msg)[:160])


def _contain_engine_logs() -> None:
    for name in ("weasyprint", "weasyprint.progress"):
        logger = logging.getLogger(name)
        logger.propagate = False
        logger.setLevel(logging.WARNING)
        if not any(isinstance(h, _TemplateOnly) for h in logger.handlers):
            logger.addHandler(_TemplateOnly())


class PdfRenderer:
    """A warm WeasyPrint: one per process, its font configuration and base stylesheet built on first use.

    Renders are serialised by a lock: Pango's font map is shared state. A
    render takes tens of milliseconds warm and about a second cold, so call
    it from a worker thread, not the UI loop, and :meth:`warm_up` at start.
    """

    def __init__(self, *, stylesheet: Path = STYLESHEET, roots: tuple[Path, ...] = (ASSETS,),
                 coverage: FontCoverage | None = None):
        self._stylesheet_path = Path(stylesheet)
        self._roots = tuple(Path(r).resolve() for r in roots)
        self._coverage = coverage or FontCoverage()
        self._lock = threading.Lock()
        self._engine = None  # (weasyprint module, FontConfiguration, fetcher, base CSS), built on first render

    def _ready(self):
        if self._engine is None:
            t0 = time.monotonic()
            _contain_engine_logs()
            import weasyprint
            from weasyprint.text import ffi
            from weasyprint.text.fonts import FontConfiguration

            if getattr(ffi, "harfbuzz_subset", True) is None:
                log.warning("pdf.slow_font_subsetting", fix="apt-get install libharfbuzz-subset0")
            fonts = FontConfiguration()
            fetcher = _local_fetcher_class()(self._roots)
            base = weasyprint.CSS(filename=str(self._stylesheet_path), url_fetcher=fetcher, font_config=fonts)
            self._engine = (weasyprint, fonts, fetcher, base)
            log.info("pdf.renderer_ready", ms=round((time.monotonic() - t0) * 1000))
        return self._engine

    def close(self) -> None:
        """Drop the engine, so WeasyPrint deletes its temporary copy of the font (3 MB in /tmp, tmpfs on kiosks).

        WeasyPrint removes that folder only when its font configuration is
        garbage collected, which its style caches and interpreter exit prevent;
        hence this, and the atexit hook on the default renderer. A later
        render rebuilds the engine.
        """
        with self._lock:
            if self._engine is not None:
                fonts = self._engine[1]
                self._engine = None
                fonts.__del__()  # WeasyPrint's own cleanup; caches of computed styles keep the object alive

    def warm_up(self) -> None:
        """Pay the cold cost (imports, font loading, first layout: ~1 s) now, e.g. at start-up in a worker."""
        self.render("<h1>证明</h1><p>自助打印 0123456789</p><table><tr><th>姓名</th><td>王</td></tr></table>")

    def unprintable(self, text: str) -> frozenset[str]:
        """The characters of ``text`` that no font of the chain has: check a name before promising a certificate."""
        return self._coverage.missing(text)

    def render(self, html: str, *, base_url: str | None = None, footer: str | None = None,
               strict: bool = False) -> bytes:
        """The filled page as PDF bytes. ``footer`` fills the page's bottom centre (e.g. the document number).

        Characters no installed font has are logged (count only) and print as
        boxes; with ``strict`` they raise :class:`UnprintableText` instead, so
        the flow can send the citizen to a counter rather than print a wrong name.
        """
        with self._lock:
            weasyprint, fonts, fetcher, base = self._ready()
            missing = self._coverage.missing(visible_text(html) + (footer or ""))
            if missing:
                log.warning("pdf.unprintable_characters", count=len(missing))
                if strict:
                    raise UnprintableText(len(missing))
            try:
                page = QR_TAG.sub(lambda m: qr_svg(unescape(m.group(1))), html)
            except ValueError as exc:
                raise PdfRenderError(f"bad <qr-code>: {exc}") from exc
            t0 = time.monotonic()
            try:
                sheets = [base]
                if footer:
                    rule = f"@page {{ @bottom-center {{ content: {_css_string(footer)} }} }}"
                    sheets.append(weasyprint.CSS(string=rule, url_fetcher=fetcher, font_config=fonts))
                document = weasyprint.HTML(string=page, base_url=base_url or self._roots[0].as_uri() + "/",
                                           url_fetcher=fetcher).render(stylesheets=sheets, font_config=fonts)
                pdf = document.write_pdf()
            except Exception as exc:  # the library boundary: whatever WeasyPrint raises, callers see one type
                raise PdfRenderError(f"layout failed ({type(exc).__name__})") from exc
            log.debug("pdf.rendered", ms=round((time.monotonic() - t0) * 1000, 1), pages=len(document.pages),
                      size=len(pdf))
            return pdf

    def render_document(self, document) -> bytes:
        """The OpExecutor's hook: a kiosk.documents.templates.Document to PDF, its number in the footer."""
        return self.render(document.html or "", footer=f"文档号 {document.number}")


@lru_cache(maxsize=1)
def default_renderer() -> PdfRenderer:
    """The process's renderer, built on first use (nothing happens at import), closed at exit."""
    renderer = PdfRenderer()
    atexit.register(renderer.close)
    return renderer


def render_pdf(html: str, *, base_url: str | None = None, footer: str | None = None, strict: bool = False) -> bytes:
    """A filled A4 page to PDF with the process's warm renderer; see :meth:`PdfRenderer.render`."""
    return default_renderer().render(html, base_url=base_url, footer=footer, strict=strict)


def render_document(document) -> bytes:
    """The OpExecutor's renderer (kiosk/runtime.py): a kiosk.documents.templates.Document to PDF bytes."""
    return default_renderer().render_document(document)
