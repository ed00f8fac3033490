"""A one-page A4 certificate with a table: kiosk.documents.pdf cold and warm, beside plain WeasyPrint.

Baselines render the same filled page with plain WeasyPrint and Noto Serif
CJK found through fontconfig, as an integrator would by default, each in a
fresh process (the render only; the import is timed apart):
  - as installed here (WeasyPrint subsets with HarfBuzz if libharfbuzz-subset0 is present);
  - with WeasyPrint's fontTools fallback forced, i.e. a system without
    libharfbuzz-subset0: the ~5.5 s this renderer was written against.
Ours: cold is a fresh process from before the import to the PDF bytes
(median of 3); warm is the median of 20 renders in one process.
Goals: warm under 300 ms, cold under 2 s.

    .venv/bin/python bench/bench_render_pdf.py
"""
from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import measure, report  # noqa: E402

TEMPLATE = ROOT / "flows" / "social-security-certificate" / "certificate.html"
WITH_QR = ROOT / "flows" / "no-criminal-record" / "certificate.html"
BASELINE = """
import json, sys, time
t0 = time.perf_counter()
import weasyprint
import weasyprint.pdf.fonts
if sys.argv[2] == "fonttools":
    weasyprint.pdf.fonts.harfbuzz_subset = None  # as if libharfbuzz-subset0 were missing
t1 = time.perf_counter()
css = weasyprint.CSS(string="@page { size: A4; margin: 20mm } body { font-family: 'Noto Serif CJK SC' } "
                            "td, th { border: 1px solid #000; padding: 4px }")
pdf = weasyprint.HTML(string=sys.argv[1]).write_pdf(stylesheets=[css])
print(json.dumps({"import": t1 - t0, "render": time.perf_counter() - t1, "size": len(pdf)}))
"""
COLD = """
import json, logging, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
from kiosk.documents.pdf import render_pdf
pdf = render_pdf(sys.argv[2])
print(json.dumps({"cold": time.perf_counter() - t0, "size": len(pdf)}))
"""


def filled(template: Path, name: str = "王示例") -> str:
    page = template.read_text().replace("{{ data.verify_url }}", "https://verify.example.gov.cn/c/7K3M9Q2X")
    return re.sub(r"\{\{[^}]*\}\}", f"{name} 2008-07-01 212", page)


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                         timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


def line(name: str, seconds: float, extra: str = "") -> None:
    print(f"{name:<60} {seconds:8.3f} s  {extra}")


def main() -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    html = filled(TEMPLATE)
    print(f"one-page certificate with a table ({TEMPLATE.relative_to(ROOT)})")
    try:
        import weasyprint  # noqa: F401

        from weasyprint.text import ffi

        hb = "HarfBuzz subsetting" if ffi.harfbuzz_subset is not None else "no libharfbuzz-subset0: fontTools"
        for mode, label in (("installed", f"as installed ({hb})"), ("fonttools", "fontTools subsetting forced")):
            b = child(BASELINE, html, mode)
            line(f"baseline: plain WeasyPrint + Noto Serif CJK, {label}", b["render"],
                 f"(+ import {b['import']:.2f} s), PDF {b['size'] / 1000:.0f} kB")
    except ImportError:
        print("baseline: WeasyPrint not installed (pip install weasyprint)")

    colds = [child(COLD, str(ROOT), html) for _ in range(3)]
    cold = statistics.median(c["cold"] for c in colds)
    line("kiosk.documents.pdf, cold (fresh process, median of 3)", cold,
         f"goal < 2 s: {'met' if cold < 2 else 'MISSED'}, PDF {colds[0]['size'] / 1000:.0f} kB")

    from kiosk.documents.pdf import render_pdf

    render_pdf(html)
    report("kiosk.documents.pdf, warm", measure(lambda: render_pdf(html), 20), goal_ms=300)
    qr = filled(WITH_QR)
    render_pdf(qr)
    report("  with a QR code (no-criminal-record certificate)", measure(lambda: render_pdf(qr), 20), goal_ms=300)
    rare = filled(TEMPLATE, "王䶮𠮷")
    render_pdf(rare)
    report("  rare name: glyphs from the installed full face", measure(lambda: render_pdf(rare), 20), goal_ms=300)


if __name__ == "__main__":
    main()
