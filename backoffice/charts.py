"""Small inline SVG charts drawn on the server: a kiosk page needs no chart library and works without script.

A chart is a list of series over a time window; lines for figures (memory, latency, paper level), bars for
counts per bucket (visits, restarts). Gaps in the data stay gaps. Every text is escaped here, as the markup
is marked safe in the template.
"""
from __future__ import annotations

import dataclasses
import html
import time

W, H = 640, 160
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 22
COLOURS = ("#0550ae", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a")


@dataclasses.dataclass
class Series:
    label: str
    points: list[tuple[float, float | None]]  # (time, value); None is a gap


def buckets(rows: list[dict], t0: float, t1: float, n: int, value) -> list[tuple[float, float]]:
    """Counts summed into `n` equal buckets across the window (bars), from each row's `value(row)`."""
    width = (t1 - t0) / n
    sums = [0.0] * n
    for r in rows:
        i = int((r["at"] - t0) / width)
        if 0 <= i < n:
            sums[i] += value(r)
    return [(t0 + (i + 0.5) * width, s) for i, s in enumerate(sums)]


def _fmt_time(t: float, span: float) -> str:
    tm = time.localtime(t)
    return time.strftime("%H:%M" if span <= 2 * 86400 else "%m-%d", tm)


def chart(title: str, series: list[Series], t0: float, t1: float, *, kind: str = "line", unit: str = "",
          y_max: float | None = None, y_labels: dict[float, str] | None = None, test_id: str = "",
          empty: str = "—") -> str:
    esc = html.escape
    values = [v for s in series for _, v in s.points if v is not None]
    top = y_max if y_max is not None else max([*values, 0.0]) * 1.1 or 1.0
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * pw

    def y(v: float) -> float:
        return TOP + ph - v / top * ph

    out = [f'<figure class="chart" data-test="{esc(test_id)}"><figcaption>{esc(title)}</figcaption>',
           f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{esc(title)}">',
           f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fafbfc" stroke="#d0d7de"/>']
    ticks = y_labels or {0.0: "0", top / 2: f"{top / 2:.4g}", top: f"{top:.4g}"}
    for v, label in ticks.items():
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eaeef2"/>'
                   f'<text x="{LEFT - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">{esc(label)}</text>')
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        anchor = ("start", "middle", "middle", "middle", "end")[i]
        out.append(f'<text x="{x(t):.1f}" y="{H - 6}" text-anchor="{anchor}" font-size="10">'
                   f'{esc(_fmt_time(t, t1 - t0))}</text>')
    if not values:
        out.append(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#57606a">{esc(empty)}</text>')
    n_series = max(1, len(series))
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        if kind == "bar":
            bw = max(1.0, pw / max(1, len(s.points)) / n_series * 0.8)
            for t, v in s.points:
                if v:
                    bx = x(t) - bw * n_series / 2 + k * bw
                    out.append(f'<rect x="{bx:.1f}" y="{y(v):.1f}" width="{bw:.1f}" height="{y(0) - y(v):.1f}" '
                               f'fill="{colour}"><title>{esc(s.label)}: {v:g}{esc(unit)}</title></rect>')
            continue
        path, pen = [], "M"
        for t, v in s.points:
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{x(t):.1f},{y(min(v, top)):.1f}")
            pen = "L"
        if path:
            out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.5">'
                       f'<title>{esc(s.label)}</title></path>')
    out.append("</svg>")
    if len(series) > 1 or (series and series[0].label):
        out.append('<ul class="legend">' + "".join(
            f'<li><i style="background:{COLOURS[k % len(COLOURS)]}"></i>{esc(s.label)}</li>'
            for k, s in enumerate(series)) + "</ul>")
    out.append("</figure>")
    return "".join(out)
