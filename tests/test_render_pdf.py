"""A4 PDFs: one page, CJK subset embedded, text extractable, QR scannable, nothing fetched."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.render_pdf import render_pdf

ROOT = Path(__file__).resolve().parents[1]
HTML = (ROOT / "flows" / "no-criminal-record" / "certificate.html").read_text()
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def filled(name="吴示例", url="https://verify.example.gov.cn/c/7K3M9Q2X") -> str:
    html = HTML.replace("{{ data.verify_url }}", url)
    return re.sub(r"\{\{[^}]*\}\}", name, html)


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "c.pdf"
    path.write_bytes(render_pdf(filled()))
    return path


@needs_poppler
def test_one_a4_page_with_a_subset_font_and_extractable_chinese(pdf_file):
    info = subprocess.run(["pdfinfo", str(pdf_file)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "UMing" in line]
    assert cjk and cjk[0].split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, unicode map
    text = subprocess.run(["pdftotext", str(pdf_file), "-"], capture_output=True, text=True).stdout
    assert "无犯罪记录证明" in text and "吴示例" in text and "自助打印" in text


@needs_poppler
def test_the_qr_code_scans_back_to_the_verification_url(pdf_file, tmp_path):
    if not shutil.which("zbarimg"):
        pytest.skip("zbar-tools not installed")
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf_file), str(tmp_path / "p")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))], capture_output=True, text=True)
    assert out.stdout.strip() == "https://verify.example.gov.cn/c/7K3M9Q2X"


@needs_poppler
def test_a_rare_character_in_a_name_is_printed_not_dropped(tmp_path):
    path = tmp_path / "rare.pdf"
    path.write_bytes(render_pdf(filled(name="王䶮𠀀")))  # Ext-A from the serif, Ext-B via the fallback face
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "王䶮" in text


def test_hostile_html_fetches_nothing_and_runs_nothing(monkeypatch):
    import socket

    def refuse(*a, **kw):
        raise AssertionError("the renderer tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    pdf = render_pdf('<h1>证明</h1><script>alert(1)</script><img src="http://example.com/x.png">'
                     '<link rel="stylesheet" href="file:///etc/passwd"><p>正文 &lt;b&gt; &amp;</p>')
    assert pdf.startswith(b"%PDF") and b"alert" not in pdf and b"passwd" not in pdf
