"""Real-time status of an ESC/POS printer, parsed bit by bit.

Why our own parser: python-escpos 3.1 wraps only DLE EOT 1 and 4, and its
``paper_status()`` says "paper adequate" when nothing answers. A kiosk that
hands out queue tickets must never mistake silence for health, so here a
missing reply is :data:`Reason.NO_REPLY` (offline) and every reply byte is
checked against the fixed bit pattern before any bit is believed.

Pure functions and frozen data; no I/O. Bit numbering is from the LSB
(bit 0 = 0x01), as in the Epson manuals (misread in python-escpos#143).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from devices.errors import ProtocolError
from devices.status import Reason

DLE_EOT = b"\x10\x04"  # DLE EOT n: real-time status, answered even when offline
GS_R_PAPER = b"\x1d\x72\x01"  # GS r 1: paper sensor status, answered only after the buffer is processed
STATUS_KINDS = (1, 2, 3, 4)  # n=1 printer, 2 offline cause, 3 error cause, 4 roll paper

# Every DLE EOT reply byte has the pattern 0xx1xx10: bit0=0, bit1=1, bit4=1, bit7=0.
_FIXED_MASK = 0x93
_FIXED_VALUE = 0x12
# A GS r / GS I reply has bits 4 and 7 at 0 (pattern 0**0****), which is how it is
# told apart from a DLE EOT reply arriving on the same channel.
_GS_R_MASK = 0x90


def request(n: int) -> bytes:
    """The three bytes that ask for status ``n`` (1..4)."""
    if n not in STATUS_KINDS:
        raise ValueError(f"DLE EOT n must be 1..4, not {n!r}")
    return DLE_EOT + bytes([n])


def is_dle_eot_reply(byte: int) -> bool:
    return (byte & _FIXED_MASK) == _FIXED_VALUE


def is_gs_r_reply(byte: int) -> bool:
    return 0 <= byte <= 0xFF and (byte & _GS_R_MASK) == 0


def _bit(byte: int, n: int) -> bool:
    return bool(byte >> n & 1)


@dataclass(frozen=True)
class RealtimeStatus:
    """What DLE EOT 1..4 said. ``None`` fields: that question got no answer.

    ``answered`` lists the n that replied; a printer that answers nothing is
    offline (NO_REPLY), whatever the other fields say.
    """

    answered: frozenset[int] = frozenset()
    # n=1
    offline: bool = False  # bit 3: the printer will not print now
    waiting_recovery: bool = False  # bit 5
    feed_button: bool = False  # bit 6
    # n=2
    cover_open: bool = False  # bit 2
    fed_by_button: bool = False  # bit 3
    paper_end_stop: bool = False  # bit 5: printing stopped because the paper ran out
    error: bool = False  # bit 6: details in n=3
    # n=3
    model_specific: bool = False  # bit 2: jam (SNBC), presenter (Citizen), mechanical (Epson)
    cutter_error: bool = False  # bit 3
    unrecoverable: bool = False  # bit 5
    auto_recoverable: bool = False  # bit 6: e.g. head over-temperature
    # n=4
    paper_near_end: bool = False  # bits 2,3 (two sensors on some Citizen models)
    paper_out: bool = False  # bits 5,6

    @property
    def silent(self) -> bool:
        return not self.answered

    @property
    def complete(self) -> bool:
        return self.answered == frozenset(STATUS_KINDS)

    def reasons(self, model_bit: Reason | None = None) -> frozenset[Reason]:
        """Normalized reasons. ``model_bit``: what DLE EOT 3 bit 2 means on this model.

        An offline printer with no cause reported is still not usable: it is
        BUSY while someone holds the feed button, HARDWARE_ERROR otherwise.
        """
        if self.silent or not self.complete:
            # A printer that stops answering half-way cannot be trusted either.
            return frozenset({Reason.NO_REPLY})
        out: set[Reason] = set()
        if self.cover_open:
            out.add(Reason.COVER_OPEN)
        if self.paper_out or self.paper_end_stop:
            out.add(Reason.PAPER_OUT)
        elif self.paper_near_end:
            out.add(Reason.PAPER_LOW)
        if self.cutter_error:
            out.add(Reason.CUTTER_ERROR)
        if self.model_specific and model_bit is not None:
            out.add(model_bit)
        if self.unrecoverable or self.auto_recoverable:
            out.add(Reason.HARDWARE_ERROR)
        if self.error and not (out - {Reason.PAPER_LOW}):
            out.add(Reason.HARDWARE_ERROR)  # "error occurred" without a cause we understand
        if self.offline and not (out - {Reason.PAPER_LOW}):
            out.add(Reason.BUSY if (self.feed_button or self.fed_by_button) else Reason.HARDWARE_ERROR)
        return frozenset(out)

    @property
    def printable(self) -> bool:
        """True when a job may start: answered everything, online, no blocking condition."""
        return self.complete and not (self.offline or self.cover_open or self.paper_out or self.paper_end_stop
                                      or self.cutter_error or self.unrecoverable or self.auto_recoverable
                                      or self.error)

    def detail(self) -> str:
        """Technician-facing summary of the raised bits (no personal data can be in here)."""
        if self.silent:
            return "no reply to DLE EOT"
        flags = [name for name in _FLAG_NAMES if getattr(self, name)]
        missing = sorted(set(STATUS_KINDS) - self.answered)
        if missing:
            flags.append("no reply to n=" + ",".join(map(str, missing)))
        return " ".join(flags) or "ok"


_FLAG_NAMES = (
    "offline", "waiting_recovery", "feed_button", "cover_open", "fed_by_button", "paper_end_stop", "error",
    "model_specific", "cutter_error", "unrecoverable", "auto_recoverable", "paper_near_end", "paper_out",
)


def parse_byte(n: int, byte: int) -> dict[str, bool]:
    """The flags carried by one DLE EOT ``n`` reply byte; ProtocolError if it is not one."""
    if n not in STATUS_KINDS:
        raise ValueError(f"DLE EOT n must be 1..4, not {n!r}")
    if not isinstance(byte, int) or not 0 <= byte <= 0xFF or not is_dle_eot_reply(byte):
        raise ProtocolError(f"DLE EOT {n}: byte {byte!r} does not have the fixed pattern 0xx1xx10")
    if n == 1:
        return {"offline": _bit(byte, 3), "waiting_recovery": _bit(byte, 5), "feed_button": _bit(byte, 6)}
    if n == 2:
        return {"cover_open": _bit(byte, 2), "fed_by_button": _bit(byte, 3),
                "paper_end_stop": _bit(byte, 5), "error": _bit(byte, 6)}
    if n == 3:
        return {"model_specific": _bit(byte, 2), "cutter_error": _bit(byte, 3),
                "unrecoverable": _bit(byte, 5), "auto_recoverable": _bit(byte, 6)}
    # n == 4: each condition has two bits (two sensors on some models); either one counts.
    return {"paper_near_end": _bit(byte, 2) or _bit(byte, 3), "paper_out": _bit(byte, 5) or _bit(byte, 6)}


def parse(replies: Mapping[int, bytes | int | None]) -> RealtimeStatus:
    """Combine the replies to DLE EOT 1..4 into one snapshot.

    A value is the reply (one byte, as ``int`` or ``bytes``); ``None`` or
    ``b""`` means no reply came. More than one byte is a protocol error: the
    caller reads exactly one byte per request.
    """
    flags: dict[str, bool] = {}
    answered: set[int] = set()
    for n, reply in replies.items():
        if n not in STATUS_KINDS:
            raise ProtocolError(f"unexpected DLE EOT kind {n!r}")
        if reply is None or reply == b"":
            continue
        if isinstance(reply, (bytes, bytearray)):
            if len(reply) != 1:
                raise ProtocolError(f"DLE EOT {n}: expected 1 byte, got {len(reply)}")
            reply = reply[0]
        flags.update(parse_byte(n, reply))
        answered.add(n)
    return RealtimeStatus(answered=frozenset(answered), **flags)


def reasons_from_replies(replies: Mapping[int, bytes | int | None],
                         model_bit: Reason | None = None) -> frozenset[Reason]:
    """One call: replies to DLE EOT 1..4 -> the set of :class:`Reason`."""
    return parse(replies).reasons(model_bit)


@dataclass(frozen=True)
class PaperSensor:
    """GS r 1 reply: paper sensor state, sent only once earlier data has been processed."""

    near_end: bool
    end: bool


def parse_gs_r1(byte: int) -> PaperSensor:
    if not isinstance(byte, int) or not 0 <= byte <= 0xFF or not is_gs_r_reply(byte):
        raise ProtocolError(f"GS r 1: byte {byte!r} does not have the fixed pattern 0xx0xxxx")
    # bits 0,1 = near end (03), bits 2,3 = paper end (0C)
    return PaperSensor(near_end=bool(byte & 0x03), end=bool(byte & 0x0C))
