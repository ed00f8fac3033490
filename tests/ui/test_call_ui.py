"""The call panel on the real screen (Xvfb): waiting with the queue position, staff's video drawn frame after
frame once connected, the citizen's preview, mute and end; the step below kept and no idle reset meanwhile."""
import json
import sys

import pytest

from tests.ui.test_touch_ui import needs_x, under_x


@pytest.fixture(scope="module")
def run():
    r = under_x(sys.executable, "tests/ui/call_probe.py")
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


@needs_x
def test_help_is_on_the_home_screen_too(run):
    assert run["home_help"]


@needs_x
def test_waiting_shows_the_position_and_the_wait_and_a_way_out(run):
    assert run["waiting"]["state"] == "视频求助：正在排队，您是第 1 位，预计等待约 1 分钟"
    assert "call:end" in run["waiting"]["kids"] and run["waiting"]["step"] == "consent"


@needs_x
def test_no_idle_reset_while_waiting_for_staff(run):
    assert run["after_wait"] == {"mode": "visit", "step": "consent", "idle_banner": False}


@needs_x
def test_connected_draws_staff_video_frame_after_frame_and_a_small_preview(run):
    c = run["connected"]
    assert c["state"].startswith("视频求助：工作人员") and c["frames"] >= 10 and c["texture"] == [160, 120]
    assert c["local"] >= 1 and {"call:mute", "call:end", "action:agree"} <= set(c["kids"])  # the step usable below
    assert c["step"] == "consent"


@needs_x
def test_mute_and_end_work_and_the_visit_goes_on(run):
    assert run["muted"] is True
    assert run["ended"] == {"state": "视频求助已结束，您可以继续办理", "mode": "visit", "step": "consent"}
