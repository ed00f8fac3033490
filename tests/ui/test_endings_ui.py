"""The screens after a visit, live under Xvfb: the rating, the ways on, the call-back, out of service."""
import json
import sys

import pytest

from kiosk.ui import theme as th
from kiosk.ui.ending_screens import LOOKS, PROBLEM_BG, SUCCESS, SUCCESS_BG
from tests.ui.test_touch_ui import needs_x, under_x


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    shots = tmp_path_factory.mktemp("after")
    r = under_x(sys.executable, "tests/ui/endings_probe.py", "1080x1920", str(shots))
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:]), shots


@pytest.fixture(scope="module")
def drawn_elderly_landscape(tmp_path_factory):
    r = under_x(sys.executable, "tests/ui/endings_probe.py", "1920x1080", "", "elderly")
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


@needs_x
def test_the_callback_keypad_is_centred_and_full_width_in_elderly_landscape(drawn, drawn_elderly_landscape):
    elderly = drawn_elderly_landscape["callback"]["pad"]
    assert elderly["width"] >= elderly["column"] - 1 and elderly["offset"] <= 2
    standard = drawn[0]["callback"]["pad"]
    assert standard["offset"] <= 2  # standard mode: as wide as the pad needs, centred


def buttons(screen):
    """By kid, in reading order: top to bottom, then left to right (Kivy counts y upwards)."""
    return {b["kid"]: b for b in sorted(screen["buttons"], key=lambda b: (-round(b["top"]), b["x"]))}


def test_every_look_reads_at_4_5_to_1():
    for bg, ink, _ in LOOKS.values():
        assert th.contrast(ink, bg) >= 4.5
    assert th.contrast(SUCCESS, SUCCESS_BG) >= 4.5 and th.contrast(th.DANGER, PROBLEM_BG) >= 4.5


@needs_x
def test_the_rating_is_one_tap_of_five_big_levels_and_a_low_one_asks_why(drawn):
    out, shots = drawn
    rating = buttons(out["rating"])
    assert [k for k in rating if k.startswith("option:")] == ["option:5", "option:4", "option:3", "option:2",
                                                              "option:1", "option:skip"]
    assert min(rating[f"option:{n}"]["height"] for n in range(1, 6)) >= 96
    assert "办理完成" in " ".join(out["rating"]["texts"]) and "•  请取走排队号票" in out["rating"]["texts"]
    assert "ending:completed" in out["rating"]["kids"] and "nav:home" in rating
    reasons = buttons(out["reasons_chosen"])
    assert "option:reason:slow" in reasons and "option:submit" in reasons
    assert "感谢您的评价" in out["rated"]["texts"]
    assert (shots / "rating.png").stat().st_size > 10_000


@needs_x
def test_a_dead_end_at_night_offers_the_ways_on_in_order_and_says_what_is_closed(drawn):
    out, _ = drawn
    screen = out["dead_end"]
    offered = [kid for kid in buttons(screen) if kid.startswith("option:")]
    assert offered == ["option:video_help", "option:referral", "option:callback", "option:hotline", "option:rate"]
    referral = buttons(screen)["option:referral"]
    assert referral["disabled"] and "人工窗口 08:30–17:30 开放，现已关闭" in referral["text"]
    assert "12345" in buttons(screen)["option:hotline"]["text"]
    assert "ending:failed" in screen["kids"] and "原因：业务系统暂时无法访问" in screen["texts"]


@needs_x
def test_the_callback_number_is_typed_on_the_keypad_and_masked_once_complete(drawn):
    out, _ = drawn
    assert "key:1" in out["callback"]["kids"]
    field = buttons(out["callback_typed"])["field:phone"]
    assert field["text"] == "138****5678"
    sent = out["callback_sent"]
    assert "已登记，工作人员将在工作时间回电" in sent["texts"] and buttons(sent)["option:callback"]["disabled"]
    assert not any("13812345678" in t for screen in out.values() for t in screen["texts"])


@needs_x
def test_out_of_service_says_why_when_whose_and_where_in_both_languages(drawn):
    out, _ = drawn
    texts = "\n".join(out["out_of_service"]["texts"])
    for expected in ("本机暂停服务", "This kiosk is out of service", "设备故障，已通知维护人员",
                     "A fault: the maintainer has been told", "预计 2026-03-03 08:00 恢复服务",
                     "0571-88886666", "示例科技有限公司", "请前往：二楼东侧自助区 / 1楼综合窗口"):
        assert expected in texts, expected
