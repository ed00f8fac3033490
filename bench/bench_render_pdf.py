"""A one-page A4 certificate with a table: our renderer cold and warm, beside plain WeasyPrint.

The baseline renders the same filled page with WeasyPrint and Noto Serif CJK
through fontconfig, as an integrator would by default. Goals: warm median
under 300 ms, cold (a fresh process, imports and font registration included)
under 2 s.

    .venv/bin/python bench/bench_render_pdf.py
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import measure, report  # noqa: E402

TEMPLATE = ROOT / "flows" / "social-security-certificate" / "certificate.html"
COLD = """
import re, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from kiosk.render_pdf import render_pdf
html = re.sub(r"\\{{\\{{[^}}]*\\}}\\}}", "王示例 2008-07-01 212", open({tpl!r}).read())
render_pdf(html)
print(time.perf_counter() - t0)
"""


def filled() -> str:
    return re.sub(r"\{\{[^}]*\}\}", "王示例 2008-07-01 212", TEMPLATE.read_text())


def main() -> None:
    html = filled()
    print("one-page certificate with a table (flows/social-security-certificate/certificate.html)")
    try:
        import weasyprint

        css = weasyprint.CSS(string="@page { size: A4; margin: 20mm } body { font-family: 'Noto Serif CJK SC' } "
                                    "td, th { border: 1px solid #000; padding: 4px }")
        t0 = time.perf_counter()
        weasyprint.HTML(string=html).write_pdf(stylesheets=[css])
        print(f"{'baseline: plain WeasyPrint + Noto Serif CJK (one render)':<56} {time.perf_counter() - t0:8.2f} s")
    except ImportError:
        print("baseline: WeasyPrint not installed (pip install weasyprint)")
    cold = [float(subprocess.run([sys.executable, "-c", COLD.format(root=str(ROOT), tpl=str(TEMPLATE))],
                                 capture_output=True, text=True, check=True).stdout) for _ in range(3)]
    cold_s = sorted(cold)[1]
    print(f"{'kiosk renderer, cold (fresh process, median of 3)':<56} {cold_s:8.2f} s   goal < 2 s: "
          f"{'met' if cold_s < 2 else 'MISSED'}")
    from kiosk.render_pdf import render_pdf

    render_pdf(html)
    report("kiosk renderer, warm", measure(lambda: render_pdf(html), 20), goal_ms=300)


if __name__ == "__main__":
    main()
