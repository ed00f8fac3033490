"""Fuzzing the IPP codec and the reason mapping: whatever a printer sends, only typed outcomes.

A reply is either a Message or a ProtocolError, never another exception;
anything the encoder accepts decodes back to the same message; normalize()
maps any keyword list to known reasons without raising.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devices.document_printer.ipp_codec import (Attribute, Group, LangString, Message, Range, Resolution, Tag, Value, decode,
                                                encode)
from devices.document_printer.ipp_status import normalize
from devices.errors import ProtocolError
from devices.status import Reason

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = [p.read_bytes() for p in sorted(FIXTURES.glob("*.bin"))]
# Sized for the ~20 s budget of the IPP tests; raise locally (e.g. max_examples=5000) after codec changes.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STRUCTURED = settings(FAST, max_examples=50)  # each example is a whole nested message: slower to draw

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
int32 = st.integers(-(2**31), 2**31 - 1)
dates = st.builds(
    lambda d, deci, minutes: dt.datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, deci * 100_000,
                                         dt.timezone(dt.timedelta(minutes=minutes))),
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.integers(0, 9), st.integers(-23 * 60 - 59, 23 * 60 + 59))

simple_values = st.one_of(
    st.builds(Value, st.sampled_from([Tag.INTEGER, Tag.ENUM]), int32),
    st.builds(Value, st.just(Tag.BOOLEAN), st.booleans()),
    st.builds(Value, st.just(Tag.OCTET_STRING), st.binary(max_size=20)),
    st.builds(Value, st.just(Tag.DATE_TIME), dates),
    st.builds(Value, st.just(Tag.RESOLUTION), st.builds(Resolution, int32, int32, st.integers(-128, 127))),
    st.builds(Value, st.just(Tag.RANGE), st.builds(Range, int32, int32)),
    st.builds(Value, st.sampled_from([Tag.TEXT_LANG, Tag.NAME_LANG]), st.builds(LangString, texts, texts)),
    st.builds(Value, st.sampled_from([Tag.TEXT, Tag.NAME, Tag.KEYWORD, Tag.URI, Tag.CHARSET, Tag.MIME_TYPE]), texts),
    st.builds(Value, st.sampled_from([Tag.UNSUPPORTED, Tag.UNKNOWN, Tag.NO_VALUE]), st.none()),
)


def attributes(values):
    return st.builds(lambda n, vs: Attribute(n, tuple(vs)), names, st.lists(values, min_size=1, max_size=3))


values = st.recursive(simple_values, lambda inner: st.builds(
    Value, st.just(Tag.BEG_COLLECTION), st.lists(attributes(inner), max_size=3).map(tuple)), max_leaves=8)
groups = st.builds(lambda tag, attrs: Group(tag, tuple(attrs)), st.sampled_from([1, 2, 4, 5, 6]),
                   st.lists(attributes(values), max_size=4))
messages = st.builds(Message, st.integers(0, 0xFFFF), st.integers(0, 2**32 - 1), st.lists(groups, max_size=3)
                     .map(tuple), st.sampled_from([(1, 1), (2, 0)]), st.binary(max_size=8))


def decode_or_protocol_error(raw: bytes) -> None:
    try:
        decode(raw)
    except ProtocolError:
        pass  # the only exception allowed


@STRUCTURED
@given(messages)
def test_encode_then_decode_is_identity(msg):
    assert decode(encode(msg)) == msg


@FAST
@given(st.binary(max_size=400))
@example(b"\x01\x01\x00\x00\x00\x00\x00\x01\x01\x34\x00\x01c\x00\x00")  # collection cut short
def test_random_bytes_only_ever_raise_protocol_error(raw):
    decode_or_protocol_error(raw)


@FAST
@given(st.data())
def test_mutated_real_replies_only_ever_raise_protocol_error(data):
    raw = bytearray(data.draw(st.sampled_from(RECORDED)))
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "cut":
            del raw[pos:]
        elif kind == "insert":
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=4))
        elif raw:
            del raw[pos:pos + data.draw(st.integers(1, 4))]
    decode_or_protocol_error(bytes(raw))


@STRUCTURED
@given(messages, st.data())
def test_truncated_messages_are_protocol_errors(msg, data):
    raw = encode(msg)[: -len(msg.data) - 1 or None]  # drop the end tag (and the data after it)
    cut = data.draw(st.integers(0, len(raw)))
    decode_or_protocol_error(raw[:cut])


keywords = st.one_of(
    st.sampled_from(["media-empty", "media-low", "media-jam", "cover-open", "toner-low", "paused", "offline",
                     "none", "cups-waiting-for-job-completed", "spool-area-full", "other"]),
    st.text(max_size=20), st.integers(), st.none())


@STRUCTURED
@given(st.lists(st.builds(lambda k, s: f"{k}{s}" if isinstance(k, str) else k, keywords,
                          st.sampled_from(["", "-report", "-warning", "-error"])), max_size=6),
       st.one_of(st.integers(), st.none(), st.text(max_size=3)), st.one_of(st.text(max_size=90), st.none()),
       st.one_of(st.booleans(), st.none()))
def test_normalize_accepts_anything_a_printer_says(reasons, state, message, accepting):
    report = normalize(state, reasons, message, accepting)
    assert report.reasons <= set(Reason)
    assert "\n" not in report.detail and len(report.detail) < 2000
