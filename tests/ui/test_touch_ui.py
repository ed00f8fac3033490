"""The touch UI in a real Kivy window under Xvfb, driven by simulated finger taps.

Kivy allows one window per process, so each case runs a process under
xvfb-run and reads back what it drew (tests/ui/probe.py) or its scenario results.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui import theme as th

ROOT = Path(__file__).resolve().parents[2]
XVFB = shutil.which("xvfb-run")
needs_x = pytest.mark.skipif(XVFB is None, reason="xvfb-run is not installed (make test installs it)")


def under_x(*args, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    return subprocess.run([XVFB, "-a", "-s", "-screen 0 1920x1920x24", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def probe(size="1080x1920", reach="normal", shots=""):
    r = under_x(sys.executable, "tests/ui/probe.py", size, reach, shots)
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


@pytest.fixture(scope="module")
def portrait(tmp_path_factory):
    shots = tmp_path_factory.mktemp("shots")
    return probe(shots=str(shots)), shots


def tappable(screen):
    return [b for b in screen["buttons"] if not b["disabled"]]


@needs_x
def test_every_target_is_big_and_elderly_mode_is_bigger(portrait):
    out, _ = portrait
    assert min(b["height"] for b in out["read_card"]["buttons"]) >= 80
    assert min(b["height"] for b in out["read_card_elderly"]["buttons"]) >= 80
    # the step's own controls grow; the footer stays one standard row (its room goes to the step)
    content = [b for b in out["consent_elderly"]["buttons"] if b["kid"].split(":")[0] not in ("nav", "toggle")]
    assert content and min(b["height"] for b in content) >= 120
    normal = {t["text"]: t["font"] for t in out["read_card"]["texts"]}
    elderly = {t["text"]: t["font"] for t in out["read_card_elderly"]["texts"]}
    assert all(elderly[k] >= 1.5 * v for k, v in normal.items())
    assert min(normal.values()) >= 24


@needs_x
def test_back_cancel_and_help_are_on_every_step(portrait):
    out, _ = portrait
    for name in ("read_card", "consent_elderly", "preview", "preview_en"):
        kids = {b["kid"] for b in out[name]["buttons"]}
        assert {"nav:back", "nav:cancel", "nav:help", "toggle:elderly", "toggle:locale"} <= kids, name


@needs_x
def test_screens_mask_personal_data_and_home_forgets_the_citizen(portrait):
    out, _ = portrait
    consent = " ".join(t["text"] for t in out["consent_elderly"]["texts"])
    assert "钱**" in consent and "钱示例" not in consent
    preview = " ".join(t["text"] for t in out["preview"]["texts"])
    assert "1101**********002X" in preview and "11010519491231002X" not in preview
    english = " ".join(t["text"] for t in out["preview_en"]["texts"])
    assert "Please check your record" in english
    home = json.dumps(out["home_after"], ensure_ascii=False)
    assert "钱" not in home and "1101" not in home
    assert "社会保障" in [t["text"] for t in out["home_after"]["texts"]]  # back to the default language


@needs_x
def test_voice_reads_each_step_once(portrait):
    out, _ = portrait
    spoken = out["spoken"]
    assert spoken[0].startswith("请将身份证放在读卡区")
    assert len(spoken) == len(set(spoken))
    assert any("钱**" in t for t in spoken) and not any("钱示例" in t for t in spoken)
    assert out["spoken_after_home"] == []  # the prompt history (masked names) goes with the citizen


@needs_x
def test_screenshots_are_real_pictures(portrait):
    from PIL import Image

    _, shots = portrait
    img = Image.open(shots / "preview.png").convert("L")
    assert img.size == (1080, 1920)
    lo, hi = img.getextrema()
    assert hi - lo > 100  # text on a background, not a blank frame


@needs_x
def test_low_reach_keeps_controls_in_the_lower_half():
    out = probe("1080x1920", "low")
    for name in ("home", "consent_elderly", "preview"):
        for b in tappable(out[name]):
            assert b["top"] <= 0.55 * out["height"] + 1, (name, b)


@needs_x
def test_landscape_layout_renders():
    out = probe("1920x1080", "normal")
    assert {b["kid"] for b in out["home"]["buttons"]} >= {"tile:queue-ticket", "tile:social-security-certificate"}


@needs_x
def test_scenarios_run_through_the_real_ui_with_one_png_per_step(tmp_path):
    r = under_x(sys.executable, "-m", "kiosk.cli", "flows", "test", "--ui", "--screenshots", tmp_path, "flows/",
                timeout=900)  # about 45 s of CPU; the rest is waiting for a shared machine
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert r.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    pngs = sorted(p.name for p in (tmp_path / "social-security-certificate").glob("*.png"))
    assert "01-03-preview.png" in pngs and len(pngs) >= 10


def test_colour_pairs_meet_4_5_to_1():
    for name, (fg, bg) in th.PAIRS.items():
        assert th.contrast(fg, bg) >= 4.5, name


@needs_x
def test_maintenance_needs_the_hidden_gesture_and_the_pin(portrait):
    out, _ = portrait
    assert {b["kid"] for b in out["pin"]["buttons"]} >= {"pin:1", "pin:ok", "pin:cancel"}
    assert "●●●●●●" in [t["text"] for t in out["pin_typed"]["texts"]]  # digits never shown
    texts = " ".join(t["text"] for t in out["maintenance"]["texts"])
    assert "receipt_printer: ok" in texts and "document_printer: ok" in texts
    assert "ZW-2026-000123" in texts and "示例科技有限公司 400-800-1234" in texts  # the identity card
    assert out["receipts"] == 1
    assert "test print on receipt_printer: ok" in " ".join(t["text"] for t in out["maintenance_printed"]["texts"])
    assert "tile:queue-ticket" in {b["kid"] for b in out["home_after_maintenance"]["buttons"]}


@needs_x
def test_remote_maintenance_shows_the_citizen_a_notice_never_the_technicians_panel(portrait):
    out, _ = portrait
    screen = out["remote_maintenance"]
    assert "本机正在维护" in [t["text"] for t in screen["texts"]]
    assert {b["kid"] for b in screen["buttons"]} <= {"hidden:corner"}  # no panel, no items: only the PIN gesture
