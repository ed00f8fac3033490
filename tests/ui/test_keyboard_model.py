"""The keyboard rules, without Kivy: what each field accepts, and pinyin candidates in a useful order."""
import string
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.keyboard_model import (CAPS, KINDS, KeyboardError, KeyboardState, PinyinTable, allowed, layout,
                                     shipped_table)

ROOT = Path(__file__).resolve().parents[2]


def typed(state, keys):
    for key in keys:
        state = state.apply(key)
    return state


def pinyin(field="text", text=""):
    return KeyboardState.start("pinyin", text=text, field=field, table=shipped_table())


def key_ids(kind):
    return {k.key_id for row in layout(kind) for k in row if k.action != "spacer"}


def test_every_kind_has_a_layout_and_unknown_kinds_are_refused():
    for kind in KINDS:
        assert "BACKSPACE" in key_ids(kind) and "CLEAR" in key_ids(kind)
    with pytest.raises(KeyboardError, match="unknown keyboard kind 'hex'"):
        KeyboardState.start("hex")
    with pytest.raises(KeyboardError, match="unknown field"):
        KeyboardState.start("pinyin", field="surname")


def test_id_field_takes_only_digits_and_x():
    assert key_ids("id_number") == set("0123456789X") | {"BACKSPACE", "CLEAR"}
    for letter in string.ascii_letters:
        assert allowed("id_number", letter) == (letter in "Xx")
    state = KeyboardState.start("id_number")
    for key in (*string.ascii_uppercase.replace("X", ""), "SPACE", "CAND:张", "-"):
        assert state.apply(key) is state  # refused: the very same state


def test_id_x_only_as_the_18th_character_and_18_at_most():
    state = KeyboardState.start("id_number")
    assert not state.can_press("X")
    state = typed(state, "11010519491231002")
    assert state.can_press("X")
    state = state.apply("X")
    assert state.text == "11010519491231002X"
    assert state.apply("5") is state and state.apply("X") is state
    assert typed(KeyboardState.start("id_number"), "1234567890123456789").text == "123456789012345678"


def test_id_text_from_outside_is_cleaned_and_upper_cased():
    assert KeyboardState.start("id_number", text="11010519491231002x").text == "11010519491231002X"
    assert KeyboardState.start("id_number", text="1101a0x5").text == "110105"


def test_phone_caps_at_11_even_if_asked_for_more():
    state = typed(KeyboardState.start("phone"), "138001380001234")
    assert state.text == "13800138000"
    assert not any(state.can_press(d) for d in "0123456789")
    assert KeyboardState.start("phone", max_length=20).max_length == CAPS["phone"]
    assert KeyboardState.start("phone", max_length=8).max_length == 8


def test_digits_backspace_and_clear():
    state = typed(KeyboardState.start("digits"), "2024")
    assert state.apply("BACKSPACE").text == "202"
    assert state.apply("CLEAR").text == ""
    assert KeyboardState.start("digits").apply("BACKSPACE").text == ""


def test_latin_is_upper_case_with_single_spaces():
    state = typed(KeyboardState.start("latin"), ["SPACE", "Z", "H", "A", "N", "G", "SPACE", "SPACE", "S", "a", "n"])
    assert state.text == "ZHANG SAN"
    assert KeyboardState.start("latin", text="jean-pierre  o'neil").text == "JEAN-PIERRE ONEIL"


def test_pinyin_zhang_offers_zhang_first_in_a_name():
    state = typed(pinyin("name"), "ZHANG")
    assert state.buffer == "zhang" and state.text == ""
    assert state.candidates[0] == "张"
    assert {"章", "长"} <= set(state.candidates[:5])
    assert state.visible_candidates == state.candidates[:8]


def test_candidate_order_follows_the_field():
    assert typed(pinyin("name"), "WANG").candidates[:2] == ("王", "汪")
    assert typed(pinyin("name"), "LU").candidates[0] == "卢"  # a surname
    assert typed(pinyin("address"), "LU").candidates[0] == "路"
    assert typed(pinyin("address"), "HAO").candidates[0] == "号"
    assert typed(pinyin("address"), "SHI").candidates[:2] == ("市", "室")
    # The first character of a name is a surname (魏); later ones are given names (伟).
    assert typed(pinyin("name"), "WEI").candidates[0] == "魏"
    assert typed(pinyin("name", text="张"), "WEI").candidates[0] == "伟"


def test_polyphonic_surnames_and_places_use_their_own_reading():
    assert typed(pinyin("name"), "SHAN").candidates[0] == "单"
    assert typed(pinyin("name"), "ZENG").candidates[0] == "曾"
    assert "重" in typed(pinyin("address"), "CHONG").candidates[:3]  # 重庆
    assert "厦" in typed(pinyin("address"), "XIA").candidates[:3]  # 厦门


def test_committing_a_candidate_and_greedy_syllables():
    state = typed(pinyin("name"), "ZHANGSAN")
    assert state.candidates[0] == "张"  # zhang + san, one syllable at a time
    state = state.apply("CAND:张")
    assert (state.text, state.buffer) == ("张", "san")
    assert state.candidates[0] == "三"
    state = state.apply("CAND:三")
    assert (state.text, state.buffer) == ("张三", "")
    assert state.apply("CAND:三") is state  # no composition, nothing to commit


def test_a_syllable_being_typed_offers_its_characters():
    assert typed(pinyin("name"), "XIO").candidates[0] == "熊"  # on the way to xiong, not xi + o
    assert typed(pinyin("name"), "ZH").candidates[:3] == ("张", "赵", "周")
    assert typed(pinyin("name"), "I").candidates == ()  # no syllable starts with i


def test_backspace_edits_the_buffer_before_the_text():
    state = typed(pinyin("name", text="张"), "SA")
    state = state.apply("BACKSPACE")
    assert (state.text, state.buffer) == ("张", "s")
    state = state.apply("BACKSPACE")
    assert (state.text, state.buffer) == ("张", "")
    state = state.apply("BACKSPACE")
    assert (state.text, state.buffer) == ("", "")


def test_raw_letters_digits_and_pages():
    state = typed(pinyin("address", text="3号楼"), "B")
    assert state.apply("5") is state  # a digit would land before the pending letters
    state = state.apply("COMMIT_RAW")
    assert (state.text, state.buffer) == ("3号楼B", "")
    assert typed(state, "501").text == "3号楼B501"
    state = typed(pinyin(), "YI")
    assert state.pages > 2 and not state.can_press("PAGE_PREV")
    second = state.apply("PAGE_NEXT")
    assert second.visible_candidates == state.candidates[8:16]
    assert second.apply("CAND:" + second.visible_candidates[0]).text == second.visible_candidates[0]
    assert second.apply("PAGE_PREV").page == 0


def test_pinyin_respects_max_length():
    state = typed(KeyboardState.start("pinyin", field="name", max_length=2, table=shipped_table()), "LI")
    state = typed(state, ["CAND:李", "S", "I", "CAND:" + typed(pinyin(), "SI").candidates[0]])
    assert len(state.text) == 2
    assert not state.can_press("A") and state.apply("COMMIT_RAW") is state


def test_table_is_big_enough_and_well_formed(tmp_path):
    table = shipped_table()
    assert len({c for rows in table.tiers["S"].values() for _, c in rows}) >= 150
    assert len({c for rows in table.tiers["G"].values() for _, c in rows}) >= 800
    address = {c for rows in table.tiers["A"].values() for _, c in rows}
    assert set("省市区县镇乡村街道路号楼室单元栋小京沪粤川") <= address
    assert len(table.by_prefix) > 400
    bad = tmp_path / "bad.tsv"
    bad.write_text("# header\nzhang\t张\tS\nzhang\tZ\tS\n", encoding="utf-8")
    with pytest.raises(KeyboardError, match=":3: expected"):
        PinyinTable.load(bad)


def test_runtime_imports_neither_kivy_nor_pypinyin():
    code = ("import sys; from kiosk.ui import keyboard_model as m; m.shipped_table(); "
            "bad = [n for n in ('kivy', 'pypinyin') if n in sys.modules]; sys.exit(str(bad) if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + r.stdout
