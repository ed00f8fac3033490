"""Every step of every shipped flow, drawn in every variant, overlaps nothing and measures its contrast.

`kiosk flows test --ui` checks each new screen for overlaps (always) and,
with `--contrast`, measures text and control-edge contrast on its pixels.
The eight variants (portrait and landscape × standard and elderly ×
zh-CN and English) plus low reach each take one process and one window,
reused across all flows. The full matrix takes several minutes of CPU
(docs/ui.md), so it is marked slow; the default run keeps the harshest
variant (elderly, landscape, English, low reach) on the flows with forms.
"""
import sys

import pytest

from tests.ui.test_touch_ui import ROOT, needs_x, under_x

VARIANTS = [(size, elderly, locale, False) for size in ("1080x1920", "1920x1080") for elderly in (False, True)
            for locale in ("zh-CN", "en")] + [("1080x1920", True, "zh-CN", True)]


def run_variant(size, elderly, locale, low_reach, *paths):
    args = ["flows", "test", "--ui", "--contrast", "--size", size, "--locale", locale]
    args += ["--elderly"] if elderly else []
    args += ["--low-reach"] if low_reach else []
    r = under_x(sys.executable, "-m", "kiosk.cli", *args, *(paths or ["flows/"]), timeout=1200)
    failures = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert r.returncode == 0 and not failures, "\n".join(failures)[:4000] or r.stderr[-3000:]
    assert r.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    checked = next(line for line in r.stderr.splitlines() if " screens checked [" in line)
    return int(checked.split()[0])


@needs_x
def test_the_harshest_variant_passes_on_the_forms():
    """Elderly, landscape, English, low reach: the case where 47 of 141 screens ran into the header."""
    checked = run_variant("1920x1080", True, "en", True, ROOT / "flows/no-criminal-record",
                          ROOT / "flows/queue-ticket")
    assert checked >= 40


@needs_x
@pytest.mark.slow
@pytest.mark.parametrize("size,elderly,locale,low_reach", VARIANTS,
                         ids=[f"{s}-{'elderly' if e else 'standard'}-{loc}{'-low' if lr else ''}"
                              for s, e, loc, lr in VARIANTS])
def test_every_flow_in_every_variant(size, elderly, locale, low_reach):
    assert run_variant(size, elderly, locale, low_reach) >= 200
