"""The keyboard in a real Kivy window under Xvfb, tapped with touch events the way a finger taps it."""
import pytest

from kiosk.ui import theme as th
from tests.ui.conftest import pump

LETTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def touch(button, up=True):
    from kivy.tests.common import UnitTestTouch

    x, y = button.to_window(*button.center)
    finger = UnitTestTouch(x, y)
    finger.touch_down()
    if up:
        finger.touch_up()
        pump()
    return finger


def tap(keyboard, *key_ids):
    for key_id in key_ids:
        touch(keyboard.keys()[key_id])


@pytest.fixture
def mount(show):
    """A keyboard made with these arguments, on the window."""
    from kiosk.ui.keyboard import OnScreenKeyboard

    return lambda *args, **kwargs: show(OnScreenKeyboard(*args, **kwargs))


def test_id_number_by_taps(mount):
    seen = []
    kb = mount("id_number", seen.append)
    assert set(kb.keys()) & LETTERS == {"X"}
    assert kb.keys()["X"].disabled  # only the 18th character may be X
    tap(kb, *"11010519491231002")
    assert not kb.keys()["X"].disabled
    tap(kb, "X", "5")
    assert kb.text == "11010519491231002X" == seen[-1]
    assert all(kb.keys()[d].disabled for d in "0123456789")
    tap(kb, "BACKSPACE")
    assert kb.text == "11010519491231002"


def test_phone_stops_at_11_digits(mount):
    kb = mount("phone")
    tap(kb, *"1380013800012")
    assert kb.text == "13800138000"


def test_pinyin_name_zhang_san(mount):
    seen = []
    kb = mount("pinyin", seen.append, True, field="name")
    tap(kb, *"ZHANG")
    assert kb.buffer == "zhang" and kb.text == "" and seen == []  # composing is not text yet
    cands = sorted((k for k in kb.keys().values() if k.key_id.startswith("CAND:")), key=lambda k: k.x)
    assert cands[0].key_id == "CAND:张" and cands[0].text == "张"
    tap(kb, "CAND:张", *"SAN", "CAND:三")
    assert kb.text == "张三" == seen[-1] and kb.buffer == ""
    tap(kb, "L", "BACKSPACE")
    assert (kb.text, kb.buffer) == ("张三", "")
    tap(kb, "BACKSPACE")
    assert kb.text == "张"


def test_latin_name(mount):
    kb = mount("latin")
    tap(kb, *"LI", "SPACE", *"MING")
    assert kb.text == "LI MING"


def test_a_pressed_key_lights_up_until_the_finger_lifts(mount):
    from kiosk.ui.keyboard import KEY_BG, PRESSED_BG

    kb = mount("digits")
    key = kb.keys()["5"]
    finger = touch(key, up=False)
    assert list(key.background_color) == list(PRESSED_BG)
    finger.touch_up()
    pump()
    assert list(key.background_color) == list(KEY_BG) and kb.text == "5"


def _gaps(kb):
    """Smallest horizontal gap between neighbouring keys of a row, and vertical gap between rows."""
    rows = {}
    for key in kb.keys().values():
        rows.setdefault(round(key.y), []).append(key)
    across = []
    for keys in rows.values():
        keys.sort(key=lambda k: k.x)
        across += [b.x - a.right for a, b in zip(keys, keys[1:])]
    ys = sorted(rows)
    down = [b - a - rows[a][0].height for a, b in zip(ys, ys[1:])]
    return min(across), min(down)


@pytest.mark.parametrize("elderly,least", [(False, 60), (True, 80)])
@pytest.mark.parametrize("kind", ["digits", "id_number", "phone", "latin", "pinyin"])
def test_keys_are_big_with_gaps(mount, kind, elderly, least):
    kb = mount(kind, elderly=elderly)
    if kind == "pinyin":
        tap(kb, *"ZH")  # fill the candidate bar too
    heights = [k.height for k in kb.keys().values()]
    widths = [k.width for k in kb.keys().values()]
    assert min(heights) >= least and min(widths) >= least, (min(heights), min(widths))
    across, down = _gaps(kb)
    assert across >= 8 - 1e-6 and down >= 8 - 1e-6, (across, down)  # float layout arithmetic
    assert kb.top <= 1920 and kb.right <= 1080  # fits the portrait kiosk window


def test_elderly_switch_rebuilds_and_keeps_the_text(mount):
    kb = mount("pinyin", field="address", text="北京市")
    normal = kb.height
    kb.elderly = True
    pump()
    assert kb.height > normal and kb.text == "北京市"
    assert min(k.height for k in kb.keys().values()) >= 80


def test_screenshot_is_a_real_picture(mount, tmp_path):
    from PIL import Image, ImageStat

    kb = mount("pinyin", elderly=True, field="name")
    tap(kb, *"ZHANG")
    pump()
    path = tmp_path / "keyboard.png"
    kb.export_to_png(str(path))
    img = Image.open(path).convert("L")
    assert img.size == (int(kb.width), int(kb.height))
    lo, hi = img.getextrema()
    assert hi - lo > 150  # dark panel, light keys, dark labels
    assert ImageStat.Stat(img).stddev[0] > 20
    assert len(img.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50  # antialiased glyphs, not flat boxes


def test_colours_meet_4_5_to_1():
    from kiosk.ui.keyboard import PAIRS

    for name, (fg, bg) in PAIRS.items():
        assert th.contrast(fg, bg) >= 4.5, name
