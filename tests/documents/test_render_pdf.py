"""A4 PDFs: one page, CJK subset embedded, text extractable, rare names drawn, QR scannable, nothing fetched.

Rendered pages are checked with poppler (pdfinfo, pdffonts, pdftotext,
pdftoppm, pdfimages) and zbar, the way a person would check a printout:
these tools read the PDF independently of the renderer.
"""
from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from structlog.testing import capture_logs

from kiosk.documents.pdf import (FONT_CHAIN, STYLESHEET, PdfRenderer, UnprintableText, qr_svg, render_document,
                              render_pdf)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = (ROOT / "flows" / "no-criminal-record" / "certificate.html").read_text()
URL = "https://verify.example.gov.cn/c/7K3M9Q2X"
RARE = "王䶮𠮷"  # U+4DAE (Ext-A) and U+20BB7 (Ext-B): outside GB 2312, in the installed Noto Serif CJK SC
NO_FONT = "𠀀"  # U+20000: in no font installed here
pytestmark = pytest.mark.skipif(not all(map(shutil.which, ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm"))),
                                reason="poppler-utils not installed")


def filled(name: str = "吴示例") -> str:
    return re.sub(r"\{\{[^}]*\}\}", name, TEMPLATE.replace("{{ data.verify_url }}", URL))


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout


def fonts_of(pdf: Path) -> dict[str, list[str]]:
    """pdffonts as {font name without subset tag: [emb, sub, uni]}."""
    rows = tool("pdffonts", str(pdf)).splitlines()[2:]
    return {row.split()[0].split("+", 1)[-1]: row.split()[-5:-2] for row in rows}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "certificate.pdf"
    path.write_bytes(render_pdf(filled(), footer="文档号 D-20261123-0042"))
    return path


def test_the_certificate_is_one_a4_page(certificate):
    data = certificate.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    info = tool("pdfinfo", str(certificate))
    assert re.search(r"^Pages:\s+1$", info, re.M) and "(A4)" in info


def test_only_font_subsets_are_embedded_and_they_map_back_to_unicode(certificate):
    fonts = fonts_of(certificate)
    assert fonts.get("Kiosk-Serif-SC") == ["yes", "yes", "yes"], fonts  # embedded, subset, ToUnicode
    assert all(flags == ["yes", "yes", "yes"] for flags in fonts.values()), fonts
    assert len(certificate.read_bytes()) < 100_000  # the subset of a subset: tens of kB, not the 26 MB face


def test_the_chinese_text_comes_back_out(certificate):
    text = tool("pdftotext", str(certificate), "-")
    for expected in ("无犯罪记录证明", "吴示例", "在本市未发现有犯罪记录", "自助打印", "SELF-SERVICE PRINT",
                     "文档号 D-20261123-0042"):
        assert expected in text, expected
    assert "第1页/共1页" in "".join(text.split())  # the page counter in the footer


def test_the_qr_code_scans_back_to_the_verification_url(certificate, tmp_path):
    if not shutil.which("zbarimg"):
        pytest.skip("zbar-tools not installed")
    tool("pdftoppm", "-r", "150", "-png", str(certificate), str(tmp_path / "page"))
    assert tool("zbarimg", "-q", "--raw", str(next(tmp_path.glob("page*.png")))).strip() == URL


def test_a_rare_name_is_drawn_from_the_full_face_not_as_boxes(tmp_path):
    """pdftotext alone would not prove it: WeasyPrint maps even a missing glyph back to its character.
    The full Noto face being embedded shows Pango found a real glyph for the characters the subset lacks."""
    path = tmp_path / "rare.pdf"
    path.write_bytes(render_pdf(filled(RARE)))
    assert RARE in tool("pdftotext", str(path), "-")
    fonts = fonts_of(path)
    assert fonts.get("Noto-Serif-CJK-SC") == ["yes", "yes", "yes"], fonts
    assert PdfRenderer().unprintable(RARE) == frozenset()


def test_a_character_no_font_has_is_reported_without_its_text():
    renderer = PdfRenderer()
    assert renderer.unprintable(f"王{NO_FONT}") == {NO_FONT}
    with pytest.raises(UnprintableText) as err:
        renderer.render(filled(f"王{NO_FONT}"), strict=True)
    assert err.value.count == 1
    with capture_logs() as logs:
        pdf = renderer.render(filled(f"王{NO_FONT}"))  # not strict: printed with a box, and logged
    renderer.close()
    assert pdf.startswith(b"%PDF")
    assert {"event": "pdf.unprintable_characters", "count": 1, "log_level": "warning"} in logs
    assert NO_FONT not in repr(logs) and "吴示例" not in repr(logs)


def test_hostile_html_runs_nothing_and_fetches_only_data_uris(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("the renderer opened a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    root = tmp_path / "assets"
    root.mkdir()
    (root / "escape.css").symlink_to("/etc/passwd")  # inside an allowed root, pointing out of it
    renderer = PdfRenderer(roots=(STYLESHEET.parents[1], root))
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJ"
             "RU5ErkJggg==")
    hostile = f"""<html><head>
      <link rel="stylesheet" href="file:///etc/passwd"><link rel="stylesheet" href="{root.as_uri()}/escape.css">
      <style>@import url("https://example.com/a.css");
             @font-face {{ font-family: X; src: url(http://example.com/x.ttf) }}
             body {{ background: url(http://example.com/bg.png) }}</style></head>
      <body><h1>证明</h1><script>document.write("SCRIPT-RAN")</script>
      <img src="http://example.com/x.png"><img src="file:///etc/passwd"><img src="../../../../../../etc/passwd">
      <iframe src="file:///etc/passwd"></iframe><object data="http://example.com/x.svg"></object>
      <svg width="10" height="10"><image href="file:///etc/hostname" width="10" height="10"/></svg>
      <img src="{pixel}" style="width: 10mm"><p>正文 &lt;b&gt; &amp;</p></body></html>"""
    with capture_logs() as logs:
        pdf = renderer.render(hostile)
    renderer.close()
    path = tmp_path / "hostile.pdf"
    path.write_bytes(pdf)
    text = tool("pdftotext", str(path), "-")
    assert "证明" in text and "正文 <b> &" in text
    assert "SCRIPT-RAN" not in text and "root:" not in text
    refused = [entry["scheme"] for entry in logs if entry["event"] == "pdf.fetch_refused"]
    assert sorted(set(refused)) == ["file", "http", "https"] and len(refused) >= 8, refused
    assert "example.com" not in repr(logs) and "passwd" not in repr(logs)  # logged by scheme, never by URL
    assert len(tool("pdfimages", "-list", str(path)).splitlines()[2:]) == 1  # the data: pixel, nothing else


def test_the_footer_is_text_even_when_it_looks_like_css(tmp_path):
    path = tmp_path / "footer.pdf"
    path.write_bytes(render_pdf("<p>正文</p>", footer='文档号 "} body { display: none } @page { \\'))
    text = tool("pdftotext", str(path), "-")
    assert "正文" in text and '文档号 "} body { display: none } @page { \\' in text


def test_render_document_puts_the_document_number_in_the_footer(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_document(SimpleNamespace(html=filled(), number="D-20261123-0099")))
    assert "文档号 D-20261123-0099" in tool("pdftotext", str(path), "-")


def test_qr_svg_is_a_sized_vector_and_refuses_oversized_payloads():
    svg = qr_svg(URL)
    assert svg.startswith('<svg class="qr"') and 'width="28mm"' in svg and "<path" in svg
    for bad in ("", "x" * 257):
        with pytest.raises(ValueError):
            qr_svg(bad)


def test_the_stylesheet_names_the_fonts_the_coverage_check_knows():
    css = STYLESHEET.read_text()
    declared = re.search(r"^html\s*\{[^}]*font-family:\s*([^;]+);", css, re.M | re.S).group(1)
    assert tuple(f.strip().strip('"') for f in declared.split(","))[:-1] == FONT_CHAIN


def test_warm_renders_take_well_under_300_ms():
    html = filled()
    render_pdf(html)
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        render_pdf(html)
        samples.append(time.perf_counter() - t0)
    assert statistics.median(samples) < 0.3, samples


def test_a_process_leaves_no_font_copy_in_tmp(tmp_path):
    """WeasyPrint copies @font-face fonts (3 MB) to a temporary folder; on a kiosk /tmp is RAM."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from kiosk.documents.pdf import render_pdf; render_pdf('<p>证明</p>')")
    subprocess.run([sys.executable, "-c", code, str(ROOT)], env={"TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
                   capture_output=True, check=True, timeout=60)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_fresh_process_renders_its_first_page_within_2_s():
    code = ("import sys, time; t = time.perf_counter(); sys.path.insert(0, sys.argv[1]); "
            "from kiosk.documents.pdf import render_pdf; render_pdf(sys.argv[2]); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT), filled()], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert float(out.split()[-1]) < 2.0  # the last line: structlog may print to stdout before it
