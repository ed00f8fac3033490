"""Encoder: golden bytes, Chinese mode, no silent '?', raster fallback, QR both ways."""
from __future__ import annotations

from pathlib import Path

import pytest

from devices.errors import ConfigError
from devices.receipt_printer.encode import (PROFILES, EncodeError, ReceiptEncoder, UnprintableText, encode_receipt,
                                            get_profile)
from devices.receipt_printer.raster import find_cjk_font
from devices.records import Cut, Feed, QrCode, Receipt, Text
from devices.testing.escpos_decode import decode, decode_qr_image, zbar_available

FIXTURES = Path(__file__).parent / "fixtures"
SMALL_RECEIPT = Receipt(
    (
        Text("社保缴费证明", align="center", scale=2, bold=True),
        Text("No. A023"),
        Text("合计：¥12.00", align="right"),
        QrCode("A023", size=4),
        Feed(1),
        Cut(partial=True),
    ),
    job_id="golden",
)
PUNCTUATION = "（），。：；！？“”《》、—…￥"
HAS_CJK_FONT = find_cjk_font() is not None
needs_font = pytest.mark.skipif(not HAS_CJK_FONT, reason="no CJK font installed for raster fallback")


def load_hex(name: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return bytes.fromhex(" ".join(line.split("#", 1)[0] for line in text.splitlines()))


def encoder(profile: str = "generic-gb18030", **kw) -> ReceiptEncoder:
    return ReceiptEncoder(get_profile(profile), **kw)


def test_golden_small_receipt():
    assert encode_receipt(SMALL_RECEIPT) == load_hex("small_receipt.hex")


def test_chinese_text_and_punctuation_round_trip_in_chinese_mode():
    lines = ["姓名：张三", PUNCTUATION, "合计：¥12.00", "地址：北京市东城区", "Mixed 中文 and ASCII"]
    data = encode_receipt(Receipt(tuple(Text(s) for s in lines)))
    decoded = decode(data)
    assert decoded.issues == []
    assert decoded.text().split("\n") == [s.replace("¥", "￥") for s in lines]
    assert all(line.chinese for line in decoded.lines() if not line.text.isascii())
    assert b"?" not in data  # nothing became a question mark


def test_without_fs_ampersand_the_same_bytes_are_mojibake():
    """The oracle can tell a missing FS & apart: this is what python-escpos users get."""
    data = encode_receipt(Receipt((Text("证明"),))).replace(b"\x1c\x26", b"")
    assert decode(data).text() != "证明"


def test_chinese_mode_is_entered_and_left_around_cjk_lines():
    data = encode_receipt(Receipt((Text("中文"), Text("ascii"), Text("再来"))))
    names = [c.name for c in decode(data).commands() if c.name.startswith("FS")]
    assert names == ["FS .", "FS &", "FS .", "FS &", "FS ."]


def test_profile_with_chinese_mode_fixed_by_dip_switch_sends_no_fs_commands():
    enc = ReceiptEncoder(get_profile("generic-gb18030", chinese_mode_cmds=False))
    data = enc.encode(Receipt((Text("中文"),))).data
    assert b"\x1c\x26" not in data and b"\x1c\x2e" not in data
    assert decode(data, chinese_default=True).text() == "中文"


def test_yen_becomes_fullwidth_for_gbk_and_stays_for_big5():
    gbk = encode_receipt(Receipt((Text("¥5"),)), "generic-gbk")
    assert b"\xa3\xa4" in gbk and b"\x81\x30\x84\x36" not in gbk
    big5 = encode_receipt(Receipt((Text("¥5"),)), "generic-big5")
    assert decode(big5, cjk_encoding="big5").text() == "¥5"  # Big5 has U+00A5 as A2 44


def test_attributes_reach_the_decoder():
    data = encode_receipt(Receipt((Text("大字", align="right", scale=3, bold=True), Text("small"))))
    big, small = decode(data).lines()
    assert (big.align, big.scale, big.bold) == ("right", (3, 3), True)
    assert (small.align, small.scale, small.bold) == ("left", (1, 1), False)
    assert b"\x1d\x21\x22" in data  # GS ! with width-1 = 2 and height-1 = 2


def test_newlines_split_lines_and_empty_text_is_a_blank_line():
    decoded = decode(encode_receipt(Receipt((Text("一\r\n二"), Text("")))))
    assert [line.text for line in decoded.lines()] == ["一", "二", ""]


@pytest.mark.parametrize("bad", [Text("x", scale=0), Text("x", scale=9), Text("x", align="middle"),
                                 QrCode("x", size=0), QrCode("x", size=17), QrCode("x", align="top"), Feed(256)])
def test_invalid_layout_is_a_typed_error(bad):
    with pytest.raises(EncodeError):
        encode_receipt(Receipt((bad,)))


@pytest.mark.parametrize("evil", ["\x1b@", "\x10\x04\x01", "\x1dV\x00", "\x00", "\ue000"])
def test_control_and_private_characters_are_refused_never_sent(evil):
    """Receipt text carries citizen input: it must not be able to inject printer commands."""
    with pytest.raises(UnprintableText) as info:
        encode_receipt(Receipt((Text(f"名{evil}字"),)))
    assert info.value.count >= 1
    assert "名" not in str(info.value)  # counts only, never the text


def test_fail_policy_counts_the_substitutions_over_the_whole_job():
    enc = encoder(unprintable="fail")
    receipt = Receipt((Text("张㐀"), Text("ok"), Text("李㐀㐁")))  # CJK Ext-A: 4-byte GB18030
    with pytest.raises(UnprintableText) as info:
        enc.encode(receipt)
    assert (info.value.count, info.value.lines) == (3, 2)


def test_no_font_for_raster_is_a_typed_error():
    enc = encoder(search_fonts=False)
    with pytest.raises(UnprintableText, match="no CJK font"):
        enc.encode(Receipt((Text("张㐀"),)))


@needs_font
def test_rare_character_line_is_rasterised_not_questioned():
    enc = encoder()
    job = enc.encode(Receipt((Text("姓名：张㐀"), Text("正常"))))
    decoded = decode(job.data)
    assert job.raster_lines == 1 and job.text_lines == 1
    assert decoded.text() == "正常"
    (raster,) = decoded.rasters()
    assert raster.width == 576 and raster.height == 30
    assert any(raster.data)  # something was drawn
    assert b"?" not in job.data[: decoded.rasters()[0].offset]


@needs_font
def test_raster_only_profile_draws_all_non_ascii_and_splits_tall_images():
    enc = ReceiptEncoder(get_profile("generic-raster", raster_rows=16))
    job = enc.encode(Receipt((Text("测试", scale=2), Text("ascii stays text"))))
    decoded = decode(job.data)
    assert decoded.text() == "ascii stays text"
    assert len(decoded.rasters()) == 4  # 60 rows in blocks of 16
    assert [img.height for img in decoded.images()] == [60]


def test_native_qr_bytes_and_payload_round_trip():
    payload = "https://zwfw.example.gov.cn/q?id=A023&名=张"
    data = encode_receipt(Receipt((QrCode(payload, size=5, align="center"),)))
    body = payload.encode("utf-8")
    n = len(body) + 3
    assert b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00" in data  # model 2
    assert b"\x1d\x28\x6b\x03\x00\x31\x43\x05" in data  # module size 5
    assert b"\x1d\x28\x6b" + bytes([n & 0xFF, n >> 8]) + b"\x31\x50\x30" + body in data
    assert data.count(b"\x1d\x28\x6b\x03\x00\x31\x51\x30") == 1
    (qr,) = decode(data).qr_codes()
    assert (qr.data, qr.size, qr.model, qr.align) == (payload, 5, 2, "center")


def test_qr_that_cannot_fit_is_refused():
    with pytest.raises(EncodeError):
        encode_receipt(Receipt((QrCode("x" * 3000),)))
    with pytest.raises(EncodeError, match="dots wide"):
        encode_receipt(Receipt((QrCode("x" * 200, size=16),)), "generic-gb18030-58")


def test_raster_qr_for_profiles_without_gs_paren_k():
    data = encode_receipt(Receipt((QrCode("KIOSK-0042", size=4),)), "generic-raster")
    decoded = decode(data)
    assert decoded.qr_codes() == [] and b"\x1d\x28\x6b" not in data
    (img,) = decoded.images()
    assert img.width == 576 and img.height == (21 + 8) * 4  # version 1 plus 4-module quiet zone


@pytest.mark.skipif(not zbar_available(), reason="zbarimg (zbar-tools) not installed")
def test_raster_qr_scans_with_zbar():
    payload = "KIOSK-0042 自助终端"
    decoded = decode(encode_receipt(Receipt((QrCode(payload, size=4, align="right"),)), "generic-raster"))
    assert decode_qr_image(decoded.images()[0]) == [payload]


def test_a_cut_is_appended_when_missing():
    cuts = decode(encode_receipt(Receipt((Text("x"),)))).cuts()
    assert [(c.partial, c.feed) for c in cuts] == [(False, 0)]


def test_profiles_are_data_and_overrides_are_checked():
    assert {"generic-gb18030", "generic-raster"} <= set(PROFILES)
    assert get_profile("generic-gb18030", dots_per_line=384).dots_per_line == 384
    with pytest.raises(ConfigError, match="unknown printer profile"):
        get_profile("epson-nonexistent")
    with pytest.raises(ConfigError, match="'colour'"):
        get_profile("generic-gb18030", colour=True)
    with pytest.raises(ConfigError):
        get_profile("generic-gb18030", encoding="utf-16")
    with pytest.raises(ConfigError):
        ReceiptEncoder(get_profile("generic-gb18030"), unprintable="question-mark")
    with pytest.raises(ConfigError):
        ReceiptEncoder(get_profile("generic-gb18030"), font_path="/nonexistent/font.ttf")


def test_latin_accents_on_a_raster_profile_need_no_cjk_font():
    enc = ReceiptEncoder(get_profile("generic-raster"), search_fonts=False)
    job = enc.encode(Receipt((Text("Café"),)))
    assert job.raster_lines == 1
