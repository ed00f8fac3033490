"""The video-help benchmarks' own parts: the time stamped into a frame is read back from the picture the screen
gets, a damaged stamp is not read as a wrong time, and the benchmark runs end to end (slow)."""
import os
import subprocess
import sys
from dataclasses import replace
from unittest import mock

import pytest

from bench import callrig
from devices.help_panel import media
from tests.ui.test_touch_ui import ROOT

STAMP = 0xDEADBEEF


async def stamped_picture():
    track = callrig.StampedVideo()
    with mock.patch.object(callrig, "now_ms", lambda: STAMP):
        frame = await track.recv()
    track.stop()
    return media.picture(frame, 1)


async def test_the_stamp_in_a_frame_is_read_back_from_the_screens_picture():
    pic = await stamped_picture()
    assert (pic.width, pic.height) == (640, 480)
    assert callrig.read_stamp(pic) == STAMP


async def test_a_damaged_stamp_is_no_time_at_all():
    pic = await stamped_picture()
    rgb = bytearray(pic.rgb)
    at = (callrig.BLOCK // 2 * pic.width + 5 * callrig.BLOCK + callrig.BLOCK // 2) * 3 + 1  # one block's green
    rgb[at] = 255 - rgb[at]
    assert callrig.read_stamp(replace(pic, rgb=bytes(rgb))) is None
    assert callrig.read_stamp(replace(pic, width=320, rgb=pic.rgb[:320 * 480 * 3])) is None


@pytest.mark.slow
def test_the_call_benchmark_runs_with_one_sample():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "bench/bench_call.py", "setup", "latency", "--n", "1", "--seconds", "1"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [x for x in r.stdout.splitlines() if "median" in x]
    assert len(lines) == 9 and all("n=0" not in x for x in lines), r.stdout
