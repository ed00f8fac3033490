"""The SAM codec against the reference's golden bytes, offsets, SW3 table and check digits."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from devices.errors import CardError, DeviceError, NoCard, ProtocolError
from devices.id_reader.card_data import (GENDERS, NATIONS, CardDataError, InvalidIdNumber, PhotoDecoderRegistry,
                                         check_id_number, decode_text_block, encode_text_block, id_check_char,
                                         is_valid_id_number, upgrade_id_15)
from devices.id_reader.protocol import (MAX_LEN, PREAMBLE, SW3_CODES, BadChecksum, BadLength, Command, FrameParser,
                                        OverlappedFrame, build_frame, build_read_reply, build_reply, format_sam_id,
                                        parse_read_reply, sw3_error)
from devices.id_reader.sample_cards import (CHEN_HMT, LI_SI, SAMPLE_CARDS, SAMPLE_FOREIGN_2017,
                                            SAMPLE_PHOTO, ZHANG_SAN)
from devices.records import CardType
from devices.status import Reason

H = bytes.fromhex


# frames ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,golden", [
    (Command.RESET, "AA AA AA 96 69 00 03 10 FF EC"),
    (Command.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
    (Command.SAM_ID, "AA AA AA 96 69 00 03 12 FF EE"),
    (Command.FIND, "AA AA AA 96 69 00 03 20 01 22"),
    (Command.SELECT, "AA AA AA 96 69 00 03 20 02 21"),
    (Command.READ, "AA AA AA 96 69 00 03 30 01 32"),
    (Command.READ_ADDRESS, "AA AA AA 96 69 00 03 30 03 30"),
    (Command.READ_FINGERPRINT, "AA AA AA 96 69 00 03 30 10 23"),
])
def test_command_frames_are_byte_exact(command, golden):
    assert command.frame == H(golden)


@pytest.mark.parametrize("sw3,chk", [(0x90, 0x94), (0x9F, 0x9B), (0x80, 0x84), (0x81, 0x85), (0x41, 0x45),
                                     (0x10, 0x14), (0x91, 0x95)])
def test_status_only_replies_check_as_04_xor_sw3(sw3, chk):
    assert build_reply(sw3) == PREAMBLE + bytes([0x00, 0x04, 0x00, 0x00, sw3, chk])


def test_find_and_select_replies_match_captures():
    assert build_reply(0x9F, bytes(4)) == H("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    select = build_reply(0x90, bytes(8))
    assert len(select) == 19 and select[-1] == 0x9C


def test_read_reply_layout_offsets():
    text = encode_text_block(ZHANG_SAN)
    frame = build_read_reply(text, SAMPLE_PHOTO)
    assert len(frame) == 1295
    assert frame[:14] == H("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert frame[9] == 0x90  # SW3
    assert frame[14:270] == text and frame[270:1294] == SAMPLE_PHOTO
    (parsed,) = FrameParser().feed(frame)
    reply = parse_read_reply(parsed)
    assert (reply.text, reply.photo, reply.fingerprint) == (text, SAMPLE_PHOTO, None)


@pytest.mark.parametrize("fp_len,total,length", [(0, 1297, 0x050A), (512, 1809, 0x070A), (1024, 2321, 0x090A)])
def test_fingerprint_read_reply_sizes(fp_len, total, length):
    text, fp = encode_text_block(ZHANG_SAN), bytes(range(256)) * (fp_len // 256)
    frame = build_read_reply(text, SAMPLE_PHOTO, fp)
    assert len(frame) == total and int.from_bytes(frame[5:7], "big") == length
    assert frame[14:16] == fp_len.to_bytes(2, "big") and frame[16:272] == text and frame[272:1296] == SAMPLE_PHOTO
    (parsed,) = FrameParser().feed(frame)
    assert parse_read_reply(parsed, fingerprint=True).fingerprint == fp


def test_read_reply_with_inconsistent_lengths_is_a_protocol_error():
    (frame,) = FrameParser().feed(build_reply(0x90, H("0100 0400") + bytes(100)))
    with pytest.raises(ProtocolError):
        parse_read_reply(frame)


# parser ------------------------------------------------------------------------------------

def test_parser_byte_by_byte_and_back_to_back():
    stream = build_reply(0x80) + build_reply(0x9F, bytes(4)) + build_reply(0x90, bytes(8))
    p = FrameParser()
    frames = [f for b in stream for f in p.feed(bytes([b]))]
    assert [f.sw3 for f in frames] == [0x80, 0x9F, 0x90]
    assert p.take_errors() == [] and p.garbage == 0 and p.buffered == 0


def test_parser_skips_garbage_and_split_preambles():
    p = FrameParser()
    assert p.feed(b"\x00\x13\xff\xaa\xaa") == []  # a partial preamble is kept, not thrown away
    assert p.feed(b"\xaa\xaa\xaa\x96") == []
    (frame,) = p.feed(build_reply(0x90)[4:])
    assert frame.sw3 == 0x90 and p.garbage == 5


def test_too_long_frame_is_rejected_and_the_parser_resynchronises():
    p = FrameParser()
    frames = p.feed(PREAMBLE + (MAX_LEN + 1).to_bytes(2, "big") + b"\x00" * 8 + build_reply(0x9F))
    assert [f.sw3 for f in frames] == [0x9F]
    assert [type(e) for e in p.take_errors()] == [BadLength]


def test_longest_legal_frame_is_accepted():
    frame = build_read_reply(bytes(256), bytes(1024), bytes(1024))
    assert int.from_bytes(frame[5:7], "big") == MAX_LEN
    assert len(FrameParser().feed(frame)) == 1


def test_bad_checksum_is_reported_and_the_next_frame_survives():
    bad = bytearray(build_reply(0x90, bytes(8)))
    bad[-1] ^= 0xFF
    p = FrameParser()
    frames = p.feed(bytes(bad) + build_reply(0x9F, bytes(4)))
    assert [f.sw3 for f in frames] == [0x9F]
    errors = p.take_errors()
    assert [type(e) for e in errors] == [BadChecksum] and all(isinstance(e, ProtocolError) for e in errors)
    assert p.take_errors() == []


def test_false_preamble_with_large_length_does_not_hold_a_real_frame_hostage():
    p = FrameParser()
    # garbage ends in a preamble announcing 0x0800 bytes; the real 15-byte reply follows and nothing else
    frames = p.feed(b"\x01\x02" + PREAMBLE + H("0800") + build_reply(0x9F, bytes(4)))
    assert [f.sw3 for f in frames] == [0x9F]
    assert [type(e) for e in p.take_errors()] == [OverlappedFrame]


def test_needed_hints_the_rest_of_the_frame():
    p = FrameParser()
    assert p.needed() == 7
    frame = build_read_reply(bytes(256), bytes(1024))
    p.feed(frame[:100])
    assert p.needed() == 1195
    assert len(p.feed(frame[100:])) == 1 and p.needed() == 7


def test_frame_repr_hides_the_payload():
    (frame,) = FrameParser().feed(build_read_reply(encode_text_block(ZHANG_SAN), SAMPLE_PHOTO))
    assert "张" not in repr(frame) and repr(frame) == "Frame(len=1288, head=00 00 90)"


def test_command_frames_parse_back():
    p = FrameParser(min_len=3)
    frames = p.feed(b"".join(c.frame for c in Command) + build_frame(b"\x77\x01"))
    assert [Command.of(f) for f in frames] == list(Command) + [None]


# SW3 ---------------------------------------------------------------------------------------

def test_sw3_table_covers_the_reference():
    assert set(SW3_CODES) == {0x90, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47,
                              0x60, 0x66, 0x80, 0x81, 0x91}


@pytest.mark.parametrize("sw3,kind,reason", [
    (0x90, None, None), (0x9F, None, None), (0x91, None, None),
    (0x80, NoCard, None),
    *[(c, CardError, None) for c in (0x31, 0x32, 0x33, 0x40, 0x41, 0x47, 0x81)],
    (0x60, DeviceError, Reason.SAM_ERROR), (0x66, DeviceError, Reason.SAM_ERROR),
    *[(c, ProtocolError, Reason.PROTOCOL_ERROR) for c in (0x10, 0x11, 0x21, 0x23)],
    (0x24, DeviceError, Reason.HARDWARE_ERROR),
    (0x55, ProtocolError, Reason.PROTOCOL_ERROR),  # unknown code
])
def test_sw3_maps_to_typed_errors_and_reasons(sw3, kind, reason):
    err = sw3_error(sw3, "test")
    if kind is None:
        assert err is None
        return
    assert type(err) is kind and f"{sw3:#04x}" in str(err)
    if reason is not None:
        assert err.reason is reason


# ID numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("number,valid", [
    ("11010519491231002X", True), ("440524188001010014", True), ("360426199101010071", True),
    ("120103198806018241", True), ("360426199101010072", False), ("11010519491231002x", True),
    ("1101051949123100", False), ("１１０１０５１９４９１２３１００２X", False), ("11010519491231002Y", False),
])
def test_gb11643_check_digit(number, valid):
    assert is_valid_id_number(number) is valid


def test_check_char_and_15_digit_upgrade():
    assert id_check_char("11010519491231002") == "X"
    assert upgrade_id_15("130503670401001") == "130503196704010016"
    with pytest.raises(ValueError):
        id_check_char("1234")


def test_invalid_id_number_error_never_carries_the_number():
    with pytest.raises(InvalidIdNumber) as info:
        check_id_number("360426199101010072")
    assert "360426" not in str(info.value) and isinstance(info.value, CardError)
    with pytest.raises(InvalidIdNumber):
        check_id_number("110105199001010011", "Y")  # 2023 permanent residence numbers start with 9
    with pytest.raises(InvalidIdNumber):
        check_id_number("GB1100800101000", "I")
    assert check_id_number("gbr110080010100", "I") == "GBR110080010100"


# text block --------------------------------------------------------------------------------

def _block(fields: dict[int, str], marker: str = "") -> bytes:
    """A text block built straight from the reference offsets, independent of encode_text_block."""
    block = bytearray(b"\x20\x00" * 128)
    for off, value in fields.items():
        raw = value.encode("utf-16-le")
        block[off:off + len(raw)] = raw
    if marker:
        block[248:250] = marker.encode("utf-16-le")
    return bytes(block)


def test_resident_block_decodes_from_reference_offsets():
    text = _block({0: "张三", 30: "1", 32: "01", 36: "19900307", 52: "示例路 8号 2单元", 122: "110105199003070017",
                   158: "示例市公安局", 188: "20150601", 204: "长期"})
    assert text[204:208] == H("7F95 1F67")  # 长期
    card = decode_text_block(text, SAMPLE_PHOTO)
    assert (card.name, card.gender, card.nation, card.address) == ("张三", "男", "汉", "示例路 8号 2单元")
    assert card.birth_date == dt.date(1990, 3, 7) and card.valid_to is None
    assert card.valid_from == dt.date(2015, 6, 1) and card.card_type is CardType.RESIDENT
    assert card.photo == SAMPLE_PHOTO and card.extra["nation_code"] == "01"


def test_trailing_nuls_are_stripped_but_inner_spaces_kept():
    text = bytearray(encode_text_block(ZHANG_SAN))
    text[52 + 2 * len(ZHANG_SAN.address):122] = bytes(122 - 52 - 2 * len(ZHANG_SAN.address))  # NUL padding
    assert decode_text_block(bytes(text)).address == "示例省示例市示例区示例路88号 3单元 101室"


def test_hmt_permit_layout():
    text = _block({0: "陈示例", 30: "1", 36: "19920505", 52: "示例路5号", 122: "810000199205050039",
                   158: "示例市公安局", 188: "20190801", 204: "20240801", 220: "H00000000", 238: "01"}, "J")
    card = decode_text_block(text)
    assert card.card_type is CardType.HMT_RESIDENCE and card.nation == ""
    assert card.extra == {"travel_permit_no": "H00000000", "issue_count": "01"}
    assert card == card_with(CHEN_HMT, address="示例路5号")


def test_foreigner_2017_layout():
    text = _block({0: "SAMPLE JOHN", 120: "1", 122: "GBR110080010100", 152: "GBR", 158: "约翰示例",
                   188: "20180701", 204: "20280701", 220: "19800101", 236: "01", 240: "1100"}, "I")
    card = decode_text_block(text)
    assert card == SAMPLE_FOREIGN_2017 and card.extra["edition"] == "2017"
    assert card.extra["authority_code"] == "1100" and card.nation == "GBR"


def test_foreigner_2023_layout_joins_the_english_name_halves():
    name = "SAMPLE ANNA MARIA EXAMPLE-PLACEHOLDE R TESTER"  # a space right at character 36
    text = _block({0: "安娜示例", 30: "2", 32: "00", 36: "19880214", 52: name[:35], 122: "911000198802140024",
                   188: "20240102", 204: "20340102", 220: name[35:], 242: "GBR"}, "Y")
    card = decode_text_block(text)
    assert card.english_name == name and card.name == "安娜示例" and card.extra["edition"] == "2023"
    assert card.card_type is CardType.FOREIGN_PERMANENT and card.id_number.startswith("9")


def test_foreigner_without_chinese_name_is_named_in_english():
    card = decode_text_block(encode_text_block(card_with(SAMPLE_FOREIGN_2017, name="SAMPLE JOHN")))
    assert card.name == "SAMPLE JOHN"


@pytest.mark.parametrize("key", sorted(SAMPLE_CARDS))
def test_sample_cards_round_trip(key):
    card = SAMPLE_CARDS[key]
    decoded = decode_text_block(encode_text_block(card), SAMPLE_PHOTO)
    assert decoded == card
    assert {k: v for k, v in decoded.extra.items() if k != "nation_code"} == card.extra


def test_rare_characters_and_unknown_codes_survive():
    rare = card_with(ZHANG_SAN, name="张㐀\ue000")  # CJK Ext-A and a private-use code point (生僻字)
    assert decode_text_block(encode_text_block(rare)).name == "张㐀\ue000"
    text = _block({0: "张三", 30: "7", 32: "99", 36: "19900307", 122: "110105199003070017", 188: "20150601",
                   204: "20350601"})
    card = decode_text_block(text)
    assert (card.gender, card.nation, card.extra["nation_code"]) == ("7", "99", "99")


@pytest.mark.parametrize("offset,value,error", [
    (36, "19901307", CardDataError), (188, "2015-6-1", CardDataError), (204, "        ", CardDataError),
    (122, "110105199003070018", InvalidIdNumber),
])
def test_bad_fields_raise_card_data_errors(offset, value, error):
    text = bytearray(encode_text_block(ZHANG_SAN))
    raw = value.encode("utf-16-le")
    text[offset:offset + len(raw)] = raw
    with pytest.raises(error) as info:
        decode_text_block(bytes(text))
    assert value.strip() not in str(info.value) or not value.strip()


def test_undecodable_text_and_wrong_size():
    text = bytearray(encode_text_block(ZHANG_SAN))
    text[0:2] = H("00D8")  # a lone high surrogate is not UCS-2
    with pytest.raises(CardDataError):
        decode_text_block(bytes(text))
    with pytest.raises(CardDataError):
        decode_text_block(bytes(255))


def test_encoder_refuses_overflowing_fields():
    with pytest.raises(ValueError):
        encode_text_block(card_with(ZHANG_SAN, name="张" * 16))


def test_nation_and_gender_tables():
    assert len(NATIONS) == 58 and NATIONS["01"] == "汉" and NATIONS["56"] == "基诺" and NATIONS["98"].startswith("外国")
    assert not any(v.endswith("族") for v in NATIONS.values())
    assert GENDERS == {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
    assert LI_SI.nation == decode_text_block(encode_text_block(LI_SI)).nation == "蒙古"


def test_sam_id_rendering():
    assert format_sam_id(H("0500 0100 15CD5B07 00000000 95E3A65E")) == "05.01-123456789-0000000000-1587995541"
    assert format_sam_id(H("0100 0200 03000000 04000000 05000000")) == "01.02-00000003-0000000004-0000000005"
    with pytest.raises(ProtocolError):
        format_sam_id(bytes(15))


# photo plug-ins ------------------------------------------------------------------------------

class _Decoder:
    def decode(self, wlt: bytes) -> bytes | None:
        return b"BM" + wlt[:4]


class _Broken:
    def decode(self, wlt: bytes) -> bytes | None:
        raise RuntimeError("vendor library crashed")


def test_photo_registry_is_empty_by_default_and_pluggable():
    reg = PhotoDecoderRegistry()
    assert reg.names() == [] and reg.decode(SAMPLE_PHOTO) is None
    reg.register("broken", _Broken())
    assert reg.decode(SAMPLE_PHOTO) is None  # a crashing plug-in means "no image", not a failed visit
    reg.register("vendor", _Decoder())
    assert reg.decode(SAMPLE_PHOTO) == b"BM" + SAMPLE_PHOTO[:4]
    assert reg.decode(SAMPLE_PHOTO, "broken") is None
    with pytest.raises(TypeError):
        reg.register("bad", object())


def card_with(card, **changes):
    return replace(card, **changes)
