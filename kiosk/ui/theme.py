"""Sizes and colours of the touch UI, for normal and elderly mode.

Figures follow the ageing-friendly guidance for a 21.5–32" 1080p screen at
about 50 cm (1 dp ≈ 1 px): body ≥ 24 px, headings ≥ 40 px, targets ≥ 80 px
with ≥ 8 px gaps; elderly mode multiplies text by 1.5 and targets reach
120 px. Every text colour pair is at least 4.5:1 (checked in tests).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Noto Sans CJK SC's CJK Unified Ideographs subset (scripts/gen_cjk_subset.py says why). One file only, bold
# synthesised: Kivy opens a face per (size, bold), about 1 MiB resident each, so text takes the sizes below.
FONT = str(Path(__file__).resolve().parents[2] / "assets" / "fonts" / "KioskSansSC.otf")

# (foreground, background) pairs actually used; tests compute their contrast.
INK = (0.11, 0.11, 0.12, 1)  # #1C1C1F
PAPER = (1, 1, 1, 1)
PRIMARY = (0.043, 0.31, 0.54, 1)  # #0B4F8A
ON_PRIMARY = (1, 1, 1, 1)
SECONDARY = (0.90, 0.93, 0.965, 1)  # #E6EDF6
ON_SECONDARY = (0.04, 0.16, 0.29, 1)  # #0A2949
MUTED_BG = (0.93, 0.93, 0.93, 1)
MUTED = (0.33, 0.33, 0.33, 1)  # #545454
WARN_BG = (1.0, 0.95, 0.80, 1)
WARN = (0.40, 0.22, 0.0, 1)  # #663800
DANGER = (0.62, 0.07, 0.07, 1)  # #9E1212 on paper
PAIRS = {"body": (INK, PAPER), "primary": (ON_PRIMARY, PRIMARY), "secondary": (ON_SECONDARY, SECONDARY),
         "muted": (MUTED, MUTED_BG), "warning": (WARN, WARN_BG), "error": (DANGER, PAPER)}


@dataclass(frozen=True)
class Theme:
    scale: float = 1.0
    width: int = 1080
    height: int = 1920
    low_reach: bool = False

    @property
    def body(self) -> float:
        return 30 * self.scale

    @property
    def title(self) -> float:
        return 48 * self.scale

    @property
    def small(self) -> float:
        return 24 * self.scale

    @property
    def target(self) -> float:
        """Minimum height of anything tappable."""
        return 96 * self.scale

    @property
    def gap(self) -> float:
        return 16 * self.scale

    @property
    def portrait(self) -> bool:
        return self.height >= self.width

    def for_view(self, elderly: bool) -> "Theme":
        return Theme(1.5 if elderly else 1.0, self.width, self.height, self.low_reach)


def luminance(rgba) -> float:
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(x) for x in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
