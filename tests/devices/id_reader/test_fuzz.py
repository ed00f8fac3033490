"""Hypothesis: the frame parser only ever reports typed errors, and garbage never costs a valid frame."""
from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from devices.id_reader.card_data import ID_CHECK_CHARS, ID_WEIGHTS, CardDataError, decode_text_block, encode_text_block
from devices.id_reader.protocol import MAX_LEN, PREAMBLE, FrameError, FrameParser, build_frame, build_reply
from devices.records import CardType, IdCard

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real frames, so that random garbage reaches the resync branches: preambles with
# small, large and out-of-range lengths, cut preambles, whole frames with a broken checksum.
FRAGMENTS = [PREAMBLE, PREAMBLE[:3], PREAMBLE[:4], PREAMBLE + b"\x00", PREAMBLE + b"\x00\x04",
             PREAMBLE + b"\x00\x08", PREAMBLE + b"\x05\x08", PREAMBLE + b"\x09\x0a", PREAMBLE + b"\xff\xff",
             PREAMBLE + b"\x00\x02", b"\xaa", b"\xaa\xaa", b"\x96\x69", build_reply(0x90)[:-1] + b"\x00",
             build_reply(0x9F, bytes(4))[:9]]
garbage = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=12)), max_size=25).map(b"".join)
bodies = st.tuples(st.integers(0, 255), st.integers(0, 255), st.sampled_from([0x90, 0x9F, 0x80, 0x41]),
                   st.binary(max_size=60)).map(lambda t: bytes(t[:3]) + t[3])
valid_frames = bodies.map(build_frame).filter(lambda f: PREAMBLE not in f[1:])  # no frame hidden inside a frame


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


def feed_all(parser: FrameParser, chunks: list[bytes]):
    frames, errors = [], []
    for chunk in chunks:
        frames += parser.feed(chunk)
        errors += parser.take_errors()
    return frames, errors


@FAST
@given(st.one_of(st.binary(max_size=400), garbage), st.lists(st.integers(0, 10_000), max_size=8))
def test_parser_never_raises_and_reports_only_frame_errors(data, cuts):
    parser = FrameParser()
    frames, errors = feed_all(parser, chunked(data, cuts))
    assert all(isinstance(e, FrameError) for e in errors)
    for f in frames:
        assert 3 <= len(f.body) <= MAX_LEN - 1
        assert f.to_bytes() in data  # nothing is invented
    assert parser.buffered <= len(data)


def preambles(data: bytes) -> list[int]:
    out, i = [], data.find(PREAMBLE)
    while i >= 0:
        out.append(i)
        i = data.find(PREAMBLE, i + 1)
    return out


@FAST
@given(garbage, st.lists(valid_frames, min_size=1, max_size=3), garbage, st.lists(st.integers(0, 10_000), max_size=8))
def test_valid_frames_after_garbage_are_never_lost(junk, good, tail, cuts):
    stream = junk + b"".join(good) + tail
    spans, at = [], len(junk)
    for g in good:
        spans.append((at, at + len(g)))
        at += len(g)
    # The one documented exception (see FrameParser): a preamble starting inside a valid frame, which
    # here can only straddle its end into the tail; a real SAM reply is followed by silence.
    assume(not any(a < q < b for q in preambles(stream) for a, b in spans))
    frames, errors = feed_all(FrameParser(), chunked(stream, cuts))
    got, want = [f.body for f in frames], [g[7:-1] for g in good]
    assert any(got[i:i + len(want)] == want for i in range(len(got))), (got, want)
    assert all(isinstance(e, FrameError) for e in errors)


# text block round trip ------------------------------------------------------------------------

def _id_number(first17: str) -> str:
    return first17 + ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
text = lambda n: st.text(st.one_of(cjk, st.sampled_from(" 0123456789号-")), max_size=n).map(str.strip)  # noqa: E731
dates = st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31))


@st.composite
def resident_cards(draw) -> IdCard:
    birth = draw(dates)
    first17 = f"{draw(st.integers(110000, 659999))}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return IdCard(name=draw(text(15).filter(bool)), gender=draw(st.sampled_from(["男", "女"])),
                  nation=draw(st.sampled_from(["汉", "蒙古", "柯尔克孜", "其他"])), birth_date=birth,
                  address=draw(text(35)), id_number=_id_number(first17), authority=draw(text(15)),
                  valid_from=draw(dates), valid_to=draw(st.one_of(st.none(), dates)), card_type=CardType.RESIDENT)


@FAST
@given(resident_cards())
def test_resident_text_block_round_trips(card):
    assert decode_text_block(encode_text_block(card)) == card


@FAST
@given(st.binary(min_size=256, max_size=256))
def test_random_text_blocks_decode_or_raise_card_data_error(block):
    try:
        decode_text_block(block)
    except CardDataError:
        pass
