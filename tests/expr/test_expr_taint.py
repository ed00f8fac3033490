"""Taint: whatever is computed from a personal value stays personal, and shows masked or not at all."""
import datetime as dt

import pytest

from kiosk import privacy
from kiosk.expr import Mask, Privacy, compile_template
from kiosk.flow.scope import flow_scope
from kiosk.flow.model import Flow

ID_NUMBER = "11010519900307002X"
FLOW = Flow.model_validate({"format": 2, "id": "item", "version": "1.0.0", "title": {"en": "x"}, "category": "c",
                            "steps": [{"id": "e", "kind": "end"}]})
SCOPE = flow_scope([FLOW])
CTX = {"id": {"id_number": ID_NUMBER, "name": "王示例", "birth_date": dt.date(1990, 3, 7), "gender": "女",
              "address": "示例市示例区示例路8号"},
       "now": dt.date(2026, 3, 2), "locale": "zh-CN"}
DIGIT_TRICK = "'1' if matches(id.id_number, '.{5}1.*') else '0'"


def label(src):
    (_, part), = compile_template("{{ " + src + " }}", SCOPE).spots
    return part.label


@pytest.mark.parametrize("src", [
    DIGIT_TRICK, "id.id_number[5]", "string(id.birth_date)", "mask(string(id.birth_date))",
    "id.id_number == '11010519900307002X'", "id.name + '先生'", "upper(id.id_number)", "len(id.name)",
    "age(id.birth_date)", "format_date(id.birth_date, 'zh-CN')", "mask(id.id_number[0])", "id.gender",
    "default(id.name, id.id_number)", "starts_with(id.id_number, '1101')",
])
def test_anything_derived_from_personal_data_is_personal_and_has_no_masked_form(src):
    lb = label(src)
    assert lb.privacy >= Privacy.PERSONAL
    assert lb.mask == Mask.HIDE
    shown = compile_template("{{ " + src + " }}", SCOPE).render(CTX, show=privacy.show)
    assert shown == "***"


def test_the_digit_by_digit_trick_no_longer_shows_the_digit():
    """Masking a 1-character value showed it whole: 18 such lines spelled out the ID number."""
    t = compile_template("{{ " + DIGIT_TRICK + " }}", SCOPE)
    assert t.privacy == Privacy.IDENTIFIER
    assert t.render(CTX, show=privacy.show) == "***"
    assert t.render(CTX, show=privacy.show_revealed) == "***"


def test_mask_of_a_date_made_text_is_not_public():
    t = compile_template("{{ mask(string(id.birth_date)) }}", SCOPE)
    assert t.privacy == Privacy.PERSONAL
    assert "1990" not in t.render(CTX, show=privacy.show)


@pytest.mark.parametrize("src, screen", [
    ("id.id_number", "1101**********002X"),
    ("mask(id.id_number)", "1101**********002X"),
    ("id.name", "王**"),
    ("mask_name(id.name)", "王**"),
    ("id.address", "示例市示例***"),
    ("default(id.address, '—')", "示例市示例***"),
    ("mask(id.address)", "示例市示****"),  # mask() alone would keep the house number
    ("mask_name(id.id_number)", "1" + "*" * 17),
    ("mask(id.name)", "王**"),
])
def test_declared_values_and_their_masks_show_in_masked_form(src, screen):
    assert compile_template("{{ " + src + " }}", SCOPE).render(CTX, show=privacy.show) == screen


def test_reveal_shows_whole_only_where_revealing_is_allowed():
    t = compile_template("{{ reveal(id.id_number) }}", SCOPE)
    (_, part), = t.spots
    assert part.label.revealed and part.label.reveals and part.privacy == Privacy.IDENTIFIER
    assert t.render(CTX, show=privacy.show) == "1101**********002X"  # screens never reveal
    assert t.render(CTX, show=privacy.hide) == "***"  # receipts carry nothing personal
    assert t.render(CTX, show=privacy.show_revealed) == ID_NUMBER  # declared A4 documents


def test_reveal_inside_an_expression_is_seen_but_reveals_nothing():
    lb = label("reveal(id.name) + '先生'")
    assert lb.reveals and not lb.revealed and lb.mask == Mask.HIDE


def test_short_values_keep_no_character_in_masked_form():
    assert privacy.mask_text("在职") == "在***"
    assert privacy.mask_text("男") == "***"
    assert privacy.mask_id("1") == "*"
