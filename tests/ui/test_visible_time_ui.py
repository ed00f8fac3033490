"""Countdowns tick on the real screen, the idle warning leaves the step usable, and 首页 goes home."""
import json
import sys

import pytest

from tests.ui.test_touch_ui import needs_x, under_x


@pytest.fixture(scope="module")
def run():
    r = under_x(sys.executable, "tests/ui/time_probe.py")
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


@needs_x
def test_the_card_countdown_on_screen_follows_the_clock(run):
    assert run["card_t0"] == "剩余 60 秒"
    assert run["card_t30"] == "剩余 30 秒"


@needs_x
def test_the_idle_warning_counts_down_on_screen(run):
    assert run["warning_t0"] == "30 秒后将返回首页并清除您的信息。"
    assert run["warning_t2"] == "28 秒后将返回首页并清除您的信息。"


@needs_x
def test_the_warning_leaves_the_step_usable(run):
    usable = {b["kid"] for b in run["warning"]["buttons"] if not b["disabled"]}
    assert {"action:extend", "action:agree", "action:decline", "nav:home"} <= usable
    assert run["after_tap"]["step"] != "consent", "agree, tapped under the warning, went on"
    assert not run["after_tap"]["warning"]


@needs_x
def test_home_on_the_footer_returns_to_the_home_screen(run):
    assert run["home"]["mode"] == "home"
    assert any(k.startswith("tile:") for k in run["home"]["kids"])
