"""Random bytes never crash the status parser or the decoder with anything untyped."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.errors import ProtocolError
from devices.receipt_printer.encode import ReceiptEncoder, get_profile
from devices.receipt_printer.status import parse, parse_byte
from devices.records import Receipt, Text
from devices.testing.escpos_decode import DecodeError, decode

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments of the commands we emit, so that random input reaches the deep branches.
FRAGMENTS = [b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x1b@", b"\x1ba", b"\x1d!", b"\x1dV", b"\x1dVA", b"\x1dv0\x00",
             b"\x1d(k", b"\x1d(k\x03\x001Q0", b"\x1d(k\x05\x001P0", b"\x1c&", b"\x1c.", b"\x10\x04", b"\x1dk",
             b"\x1b*", b"\xc9\xe7", b"\x81\x30", b"\x0a", b"\x1bt"]
command_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=6)), max_size=40).map(b"".join)


@FAST
@given(n=st.integers(1, 4), byte=st.integers(0, 255))
def test_status_byte_parses_or_raises_protocol_error(n, byte):
    try:
        flags = parse_byte(n, byte)
    except ProtocolError:
        assert (byte & 0x93) != 0x12
    else:
        assert (byte & 0x93) == 0x12 and all(isinstance(v, bool) for v in flags.values())


@FAST
@given(st.dictionaries(st.integers(1, 4), st.one_of(st.none(), st.integers(0, 255), st.binary(max_size=3))))
def test_status_replies_never_raise_untyped(replies):
    try:
        status = parse(replies)
    except ProtocolError:
        return
    assert status.reasons() or status.printable  # either something is wrong, or it is fit to print


@FAST
@given(st.one_of(st.binary(max_size=300), command_soup))
def test_decoder_never_raises_on_random_bytes(data):
    decoded = decode(data)
    assert isinstance(decoded.text(), str)
    decode(data, chinese_default=True, cjk_encoding="gbk")
    decode(data, chinese_default=True, cjk_encoding="big5")


@FAST
@given(st.one_of(st.binary(max_size=300), command_soup))
def test_strict_decoder_raises_only_decode_error(data):
    try:
        decode(data, strict=True)
    except DecodeError:
        pass


ENCODER = ReceiptEncoder(get_profile("generic-gb18030"), unprintable="fail")
cjk_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=20)


@FAST
@given(cjk_text)
def test_natively_printable_text_round_trips(text):
    """Any line the encoder accepts as text decodes back to exactly what was meant."""
    text = "".join(c for c in ENCODER.normalize(text) if ENCODER.native(c))
    decoded = decode(ENCODER.encode(Receipt((Text(text),))).data, strict=True)
    assert decoded.text() == text
