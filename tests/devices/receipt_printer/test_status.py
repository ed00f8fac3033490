"""DLE EOT parsing against the bit tables (docs: escpos-and-printers.md §1)."""
from __future__ import annotations

import pytest

from devices.errors import ProtocolError
from devices.receipt_printer.status import (parse, parse_byte, parse_gs_r1, reasons_from_replies, request,
                                            is_dle_eot_reply, is_gs_r_reply)
from devices.status import Reason, State, Status

OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}

# (n, byte with only that condition, flag) straight from the reference table
SINGLE_CONDITIONS = [
    (1, 0x1A, "offline"),
    (1, 0x32, "waiting_recovery"),
    (1, 0x52, "feed_button"),
    (2, 0x16, "cover_open"),
    (2, 0x1A, "fed_by_button"),
    (2, 0x32, "paper_end_stop"),
    (2, 0x52, "error"),
    (3, 0x16, "model_specific"),
    (3, 0x1A, "cutter_error"),
    (3, 0x32, "unrecoverable"),
    (3, 0x52, "auto_recoverable"),
    (4, 0x1E, "paper_near_end"),
    (4, 0x72, "paper_out"),
]


@pytest.mark.parametrize("n,byte,flag", SINGLE_CONDITIONS)
def test_each_bit_alone(n, byte, flag):
    flags = parse_byte(n, byte)
    assert flags[flag] is True
    assert [k for k, v in flags.items() if v] == [flag]


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_no_bit_set_is_0x12(n):
    assert not any(parse_byte(n, 0x12).values())


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_every_byte_outside_the_fixed_pattern_is_a_protocol_error(n):
    valid = 0
    for byte in range(256):
        fixed_ok = not byte & 0x01 and byte & 0x02 and byte & 0x10 and not byte & 0x80
        if fixed_ok:
            parse_byte(n, byte)
            valid += 1
        else:
            with pytest.raises(ProtocolError):
                parse_byte(n, byte)
    assert valid == 16  # four free bits (2, 3, 5, 6)


def test_near_end_sensors_reported_separately_each_count():
    # Citizen CT-S2000: two near-end sensors in bits 2 and 3
    assert parse_byte(4, 0x16)["paper_near_end"] and parse_byte(4, 0x1A)["paper_near_end"]
    assert parse_byte(4, 0x32)["paper_out"] and parse_byte(4, 0x52)["paper_out"]


def test_all_ok_has_no_reasons_and_is_printable():
    st = parse(OK)
    assert st.complete and st.printable
    assert st.reasons() == frozenset()
    assert Status.from_reasons(st.reasons()).state is State.OK


@pytest.mark.parametrize(
    "replies,expected",
    [
        ({**OK, 4: 0x1E}, {Reason.PAPER_LOW}),
        ({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72}, {Reason.PAPER_OUT}),
        ({**OK, 4: 0x7E}, {Reason.PAPER_OUT}),  # near end + out: out wins
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}, {Reason.COVER_OPEN}),
        ({1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}, {Reason.CUTTER_ERROR}),
        ({1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}, {Reason.HARDWARE_ERROR}),
        ({1: 0x1A, 2: 0x52, 3: 0x52, 4: 0x12}, {Reason.HARDWARE_ERROR}),  # head over-temperature
        ({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}, {Reason.HARDWARE_ERROR}),  # offline, no cause given
        ({1: 0x5A, 2: 0x1A, 3: 0x12, 4: 0x12}, {Reason.BUSY}),  # someone holds FEED
        ({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x1E}, {Reason.COVER_OPEN, Reason.PAPER_LOW}),
    ],
)
def test_reasons(replies, expected):
    assert reasons_from_replies(replies) == frozenset(expected)


def test_offline_states_are_not_printable():
    assert not parse({1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}).printable
    assert parse({**OK, 4: 0x1E}).printable  # paper low still prints


@pytest.mark.parametrize(
    "replies",
    [{}, {1: None}, {1: b""}, {1: None, 2: None, 3: None, 4: None}, {1: 0x12, 2: 0x12}, {1: 0x12, 2: None}],
)
def test_silence_is_offline_never_ok(replies):
    st = parse(replies)
    assert not st.printable
    assert st.reasons() == frozenset({Reason.NO_REPLY})
    assert Status.from_reasons(st.reasons()).state is State.OFFLINE


def test_model_specific_bit_is_ignored_unless_the_profile_maps_it():
    replies = {1: 0x1A, 2: 0x52, 3: 0x16, 4: 0x12}
    assert reasons_from_replies(replies) == {Reason.HARDWARE_ERROR}
    assert reasons_from_replies(replies, model_bit=Reason.JAM) == {Reason.JAM}


def test_reply_as_bytes_must_be_exactly_one_byte():
    assert parse({n: b"\x12" for n in OK}).printable
    with pytest.raises(ProtocolError):
        parse({1: b"\x12\x12"})
    with pytest.raises(ProtocolError):
        parse({5: 0x12})


def test_requests():
    assert [request(n) for n in (1, 2, 3, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    with pytest.raises(ValueError):
        request(0)


def test_gs_r_and_dle_eot_replies_are_told_apart_by_bit_4():
    for b in range(256):
        assert not (is_gs_r_reply(b) and is_dle_eot_reply(b))
    assert not parse_gs_r1(0x00).near_end and not parse_gs_r1(0x00).end
    assert parse_gs_r1(0x03).near_end and parse_gs_r1(0x0C).end
    with pytest.raises(ProtocolError):
        parse_gs_r1(0x12)


def test_detail_names_the_bits_and_no_personal_data():
    assert parse({1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}).detail() == "offline cover_open"
    assert parse({}).detail() == "no reply to DLE EOT"
    assert parse({1: 0x12}).detail() == "no reply to n=2,3,4"
