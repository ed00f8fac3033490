"""The home screen and the media area in a real Kivy window under Xvfb, tapped like a finger.

One probe process (tests/ui/home_probe.py) walks home, search, the identity
card, a device step and a step playing the guide video, and reports what was
drawn: the tests read its report.
"""
import json
import sys

import pytest

from tests.ui.test_touch_ui import needs_x, under_x


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    shots = tmp_path_factory.mktemp("home_shots")
    r = under_x(sys.executable, "tests/ui/home_probe.py", "1080x1920", shots)
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


def tiles(screen) -> set[str]:
    return {k for k in screen["kids"] if k.startswith("tile:")}


@needs_x
def test_the_header_shows_the_hall_the_date_and_time_and_the_device_number(drawn):
    texts = drawn["home"]["texts"]
    assert texts["home:hall"] == "示例市政务服务中心"
    assert texts["home:clock"] == "2026年3月2日 星期一 09:30"  # the controller's (virtual) wall clock
    assert texts["home:device"] == "设备编号：DEMO-07"


@needs_x
def test_items_are_drawn_under_their_categories_with_their_icons(drawn):
    home = drawn["home"]
    cats = [k for k in home["kids"] if k.startswith("category:")]
    assert len(cats) == 7 and "category:social_security" in cats
    assert len(tiles(home)) == 7
    icons = {k: v for k, v in home["images"].items() if k.startswith("icon:")}
    assert len(icons) == 7 and all(v["loaded"] and v["width"] > 0 for v in icons.values())
    assert icons["icon:social-security-certificate"]["source"].endswith("assets/icons/shield.png")
    assert home["texts"]["tile:social-security-certificate"] == "社保参保证明打印"
    assert home["texts"]["summary:social-security-certificate"] == "打印参保证明（A4）"  # the line under the title
    assert {"home:search", "home:help", "home:identity"} <= set(home["kids"])


@needs_x
def test_typing_pinyin_initials_on_the_keyboard_narrows_the_tiles(drawn):
    assert "key:S" in drawn["search_open"]["kids"]  # the on-screen keyboard is open
    assert tiles(drawn["search_sbcx"]) == {"tile:social-security-certificate"}
    assert drawn["search_sbcx"]["texts"]["search:query"].startswith("sbcx")
    assert len(tiles(drawn["search_closed"])) == 7 and "key:S" not in drawn["search_closed"]["kids"]


@needs_x
def test_the_identity_card_is_one_tap_away(drawn):
    texts = drawn["identity"]["texts"]
    assert texts["card:maintainer"] == "示例科技有限公司" and texts["card:maintainer_phone"] == "400-800-1234"
    assert texts["card:id"] == "DEMO-07"
    assert texts["home:identity"] == "关闭"  # the same tool closes it
    assert "card:maintainer" not in drawn["search_closed"]["kids"]


@needs_x
def test_the_card_reader_step_shows_its_illustration_animated(drawn):
    image = drawn["read_card"]["images"]["media:image"]
    assert image["source"].endswith("assets/illustrations/id_card.zip") and image["loaded"]
    assert drawn["illustration_animates"]


@needs_x
def test_a_step_plays_the_items_guide_video_muted_looping_and_subtitled(drawn):
    video = drawn["video"]
    assert video["source"].endswith("flows/social-security-certificate/guide.webm")
    assert (video["volume"], video["eos"]) == (0, "loop")
    assert drawn["video_frames_advance"], "the video's texture did not change: no frames were decoded"
    assert drawn["subtitle_shown"] and drawn["subtitle"].startswith("第")


@needs_x
def test_the_video_goes_on_across_a_redraw_and_pauses_when_it_leaves_the_screen(drawn):
    assert drawn["video_reused_after_redraw"]
    assert drawn["video_paused_at_home"] and drawn["video_still_at_home"]
    assert drawn["video_resumed"]
