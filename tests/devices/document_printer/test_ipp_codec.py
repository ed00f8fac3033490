"""The IPP codec: golden request bytes, recorded ippeveprinter replies, and every malformation typed."""
from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import pytest

from devices.document_printer.ipp_codec import (Attribute, EncodeError, Group, GroupTag, LangString, Message, Op, Range, Resolution,
                                                Tag, Value, decode, encode, is_success, request, status_name)
from devices.errors import ProtocolError

FIXTURES = Path(__file__).parent / "fixtures"  # recorded from ippeveprinter (CUPS 2.4.2)


def item(tag: int, name: str, value: bytes) -> bytes:
    return bytes([tag]) + struct.pack(">H", len(name)) + name.encode() + struct.pack(">H", len(value)) + value


HEADER = bytes([1, 1, 0, 0, 0, 0, 0, 7])  # IPP/1.1, successful-ok, request-id 7


def test_a_request_encodes_to_the_rfc_8010_layout():
    wanted = Attribute.of("requested-attributes", Tag.KEYWORD, "printer-state", "printer-state-reasons")
    msg = request(Op.GET_PRINTER_ATTRIBUTES, 1, "ipp://p/ipp/print", operation=(wanted,))
    expected = (bytes([1, 1, 0x00, 0x0B, 0, 0, 0, 1, 0x01])
                + item(0x47, "attributes-charset", b"utf-8")
                + item(0x48, "attributes-natural-language", b"en")
                + item(0x45, "printer-uri", b"ipp://p/ipp/print")
                + item(0x44, "requested-attributes", b"printer-state")
                + item(0x44, "", b"printer-state-reasons")  # an additional value has an empty name
                + bytes([0x03]))
    assert encode(msg) == expected


def test_document_data_follows_the_end_tag():
    msg = request(Op.PRINT_JOB, 2, "ipp://p/ipp/print", job=(Attribute.of("copies", Tag.INTEGER, 2),),
                  data=b"%PDF-1.4 ...")
    raw = msg.encode()
    assert raw.endswith(b"\x03%PDF-1.4 ...")
    back = decode(raw)
    assert back.data == b"%PDF-1.4 ..." and back.get("copies", group=GroupTag.JOB) == 2


def test_a_recorded_printer_reply_decodes_and_re_encodes_byte_for_byte():
    raw = (FIXTURES / "ippeveprinter_get_printer_attributes.bin").read_bytes()
    msg = decode(raw)
    assert is_success(msg.code) and msg.request_id == 1
    assert msg.get("printer-state") == 3
    assert msg.get_all("printer-state-reasons") == ["none"]
    assert msg.get("printer-resolution-default") == Resolution(600, 600, 3)
    assert isinstance(msg.get("printer-state-change-date-time"), dt.datetime)
    assert msg.get("copies-supported") == Range(1, 999)
    assert all(isinstance(v, bytes) for v in msg.get_all("printer-supply"))  # octetString stays bytes
    media_col = {m.name: m for m in msg.get("media-col-default")}
    size = {m.name: m.value for m in media_col["media-size"].value}
    assert size == {"x-dimension": 21590, "y-dimension": 27940}  # a collection inside a collection
    assert encode(msg) == raw


def test_recorded_job_replies_decode():
    created = decode((FIXTURES / "ippeveprinter_print_job.bin").read_bytes())
    assert created.get("job-id", group=GroupTag.JOB) == 1 and created.get("job-state") == 3
    done = decode((FIXTURES / "ippeveprinter_get_job_attributes.bin").read_bytes())
    assert done.get("job-state") == 9
    assert done.get_all("job-state-reasons") == ["job-completed-successfully"]
    assert done.get("job-impressions-completed") == 1


def test_every_value_kind_round_trips():
    when = dt.datetime(2026, 11, 23, 15, 4, 5, 300_000, dt.timezone(dt.timedelta(hours=8)))
    attrs = (
        Attribute.of("i", Tag.INTEGER, -5, 2**31 - 1), Attribute.of("b", Tag.BOOLEAN, True),
        Attribute.of("e", Tag.ENUM, 9), Attribute.of("o", Tag.OCTET_STRING, b"\x00\xff"),
        Attribute.of("d", Tag.DATE_TIME, when), Attribute.of("r", Tag.RESOLUTION, Resolution(300, 600, 4)),
        Attribute.of("g", Tag.RANGE, Range(1, 99)), Attribute.of("t", Tag.TEXT_LANG, LangString("zh-cn", "缺纸")),
        Attribute.of("n", Tag.NAME, "证明"), Attribute.of("u", Tag.NO_VALUE, None),
        Attribute("mixed", (Value(Tag.KEYWORD, "iso_a4_210x297mm"), Value(Tag.NAME, "Custom A4"))),
        Attribute.of("c", Tag.BEG_COLLECTION, (Attribute.of("inner", Tag.BEG_COLLECTION,
                                                            (Attribute.of("x", Tag.INTEGER, 1, 2),)),)),
        Attribute.of("opaque", 0x7F, b"\x40\x00\x00\x01"),
    )
    msg = Message(0x0001, 42, (Group(GroupTag.PRINTER, attrs),))
    assert decode(encode(msg)) == msg


MALFORMED = {
    "empty": b"",
    "short header": HEADER[:5],
    "version 0.9": bytes([0, 9]) + HEADER[2:] + b"\x03",
    "no end tag": HEADER + b"\x01",
    "attribute before a group": HEADER + item(0x21, "x", b"\0\0\0\1") + b"\x03",
    "value before any attribute": HEADER + b"\x01" + item(0x21, "", b"\0\0\0\1") + b"\x03",
    "name runs past the end": HEADER + b"\x01\x21\x00\xff" + b"x" * 4,
    "value runs past the end": HEADER + b"\x01" + bytes([0x21]) + b"\x00\x01x\x00\x09\0\0" + b"\x03",
    "integer of 3 octets": HEADER + b"\x01" + item(0x21, "x", b"\0\0\1") + b"\x03",
    "boolean of 2": HEADER + b"\x01" + item(0x22, "x", b"\x02") + b"\x03",
    "dateTime month 13": HEADER + b"\x01" + item(0x31, "d", struct.pack(">HBBBBBBcBB", 2026, 13, 1, 0, 0, 0,
                                                                         0, b"+", 0, 0)) + b"\x03",
    "dateTime bad direction": HEADER + b"\x01" + item(0x31, "d", struct.pack(">HBBBBBBcBB", 2026, 1, 1, 0, 0, 0,
                                                                              0, b"?", 0, 0)) + b"\x03",
    "resolution of 8": HEADER + b"\x01" + item(0x32, "r", b"\0" * 8) + b"\x03",
    "with-language too short": HEADER + b"\x01" + item(0x35, "t", b"\x00\x05en") + b"\x03",
    "with-language trailing": HEADER + b"\x01" + item(0x35, "t", b"\x00\x02en\x00\x01xy") + b"\x03",
    "endCollection outside": HEADER + b"\x01" + item(0x37, "x", b"") + b"\x03",
    "memberAttrName outside": HEADER + b"\x01" + item(0x4A, "x", b"m") + b"\x03",
    "collection not closed": HEADER + b"\x01" + item(0x34, "c", b"") + item(0x4A, "", b"m")
                             + item(0x21, "", b"\0\0\0\1") + b"\x03",
    "member without value": HEADER + b"\x01" + item(0x34, "c", b"") + item(0x4A, "", b"m")
                            + item(0x37, "", b"") + b"\x03",
    "value without member name": HEADER + b"\x01" + item(0x34, "c", b"") + item(0x21, "", b"\0\0\0\1")
                                 + item(0x37, "", b"") + b"\x03",
    "named member": HEADER + b"\x01" + item(0x34, "c", b"") + item(0x4A, "oops", b"m") + b"\x03",
    "nested too deep": HEADER + b"\x01" + item(0x34, "c", b"") + (item(0x4A, "", b"m") + item(0x34, "", b"")) * 20,
    "reserved delimiter": HEADER + b"\x0f\x03",
    "name not UTF-8": HEADER + b"\x01" + item(0x21, "x", b"\0\0\0\1").replace(b"x", b"\xff") + b"\x03",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_replies_are_protocol_errors(raw):
    with pytest.raises(ProtocolError):
        decode(raw)


def test_text_that_is_not_utf8_is_kept_not_refused():
    """Printers send Latin-1 state messages; the status matters more than the message's accents."""
    msg = decode(HEADER + b"\x04" + item(0x41, "printer-state-message", b"Bac \xe0 papier vide") + b"\x03")
    assert msg.get("printer-state-message") == "Bac \ufffd papier vide"


@pytest.mark.parametrize("attr", [
    Attribute("empty", ()),
    Attribute.of("big", Tag.INTEGER, 2**31),
    Attribute.of("long", Tag.TEXT, "x" * 70000),
    Attribute.of("naive", Tag.DATE_TIME, dt.datetime(2026, 1, 1)),
    Attribute.of("kind", Tag.INTEGER, "1"),
    Attribute.of("", Tag.INTEGER, 1),
])
def test_what_ipp_cannot_carry_is_an_encode_error(attr):
    with pytest.raises(EncodeError):
        encode(Message(Op.PRINT_JOB, 1, (Group(GroupTag.OPERATION, (attr,)),)))


def test_status_names():
    assert status_name(0x0507) == "server-error-busy" and status_name(0x0999) == "status-0x0999"
    assert is_success(0x0001) and not is_success(0x0400)
