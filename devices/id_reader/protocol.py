"""Codec of the resident ID card SAM protocol (GA/T 467 "SAM_A/SAM_V"): bytes in, records out, no I/O.

Why a separate pure module: the SAM framing is one codec among several
(some modules wrap it in their own headers, USB SAMs split it over two bulk
endpoints), so the serial driver, the pty test peer and the fuzz tests all
share this file and none of it touches a port. Frames are
``AA AA AA 96 69 | Len1 Len2 | body | CHK`` in both directions; the body is
``CMD Para Data`` towards the SAM and ``SW1 SW2 SW3 Data`` back.

Bad input never raises out of :class:`FrameParser`: each rejected frame is
reported as a typed :class:`FrameError`, and the parser resynchronises on
the next preamble. What the card holds (ID numbers, the
text block, the photo) is decoded in :mod:`devices.id_reader.card_data`.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import Enum

from devices.errors import CardError, DeviceError, NoCard, ProtocolError
from devices.status import Reason


PREAMBLE = b"\xaa\xaa\xaa\x96\x69"  # AA AA AA sync + 96 69 frame start
HEADER = len(PREAMBLE) + 2  # preamble + big-endian Len; Len counts every byte after it, CHK included
MAX_LEN = 0x090A  # largest legitimate Len: 30 10 reply with 1024 fingerprint bytes (2321-byte frame)
MIN_COMMAND_LEN = 3  # CMD Para CHK
MIN_REPLY_LEN = 4  # SW1 SW2 SW3 CHK


def checksum(data: bytes | bytearray | memoryview) -> int:
    """XOR of Len1 .. last data byte (the preamble is not covered)."""
    acc = 0
    for b in data:
        acc ^= b
    return acc


def build_frame(body: bytes) -> bytes:
    """Frame any body: the host's commands and, for the test peer, the SAM's replies."""
    n = len(body) + 1
    if n > 0xFFFF:
        raise ValueError("frame body too long")
    head = n.to_bytes(2, "big") + body
    return PREAMBLE + head + bytes([checksum(head)])


class Command(Enum):
    """CMD Para pairs the driver sends (GA/T 467 section on business-terminal commands)."""

    RESET = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND = (0x20, 0x01)
    SELECT = (0x20, 0x02)
    READ = (0x30, 0x01)  # text + photo
    READ_ADDRESS = (0x30, 0x03)  # appended address (住址变更)
    READ_FINGERPRINT = (0x30, 0x10)  # text + photo + fingerprint templates

    @property
    def frame(self) -> bytes:
        return build_frame(bytes(self.value))

    @classmethod
    def of(cls, frame: "Frame") -> "Command | None":
        """The command a host frame carries, or None for one we do not know."""
        try:
            return cls((frame.cmd, frame.para))
        except ValueError:
            return None


@dataclass(frozen=True, repr=False)
class Frame:
    """One verified frame. ``body`` is everything between Len and CHK."""

    body: bytes

    # SAM -> host
    @property
    def sw1(self) -> int:
        return self.body[0]

    @property
    def sw2(self) -> int:
        return self.body[1]

    @property
    def sw3(self) -> int:
        return self.body[2] if len(self.body) > 2 else -1

    @property
    def payload(self) -> bytes:
        return self.body[3:]

    # host -> SAM
    @property
    def cmd(self) -> int:
        return self.body[0]

    @property
    def para(self) -> int:
        return self.body[1]

    def to_bytes(self) -> bytes:
        return build_frame(self.body)

    def __repr__(self) -> str:  # the payload of a read reply is personal data
        return f"Frame(len={len(self.body) + 1}, head={self.body[:3].hex(' ')})"


def build_reply(sw3: int, payload: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A SAM reply; status-only replies are ``... 00 04 00 00 SW3 CHK`` with CHK = 04 ^ SW3."""
    return build_frame(bytes([sw1, sw2, sw3]) + payload)


# Frame errors: what the parser reports instead of raising --------------------------------

class FrameError(ProtocolError):
    """A frame candidate was rejected; the stream goes on after it."""


class BadLength(FrameError):
    pass


class BadChecksum(FrameError):
    pass


class OverlappedFrame(FrameError):
    """A valid frame starts inside this candidate, so the candidate was a false preamble or cut short."""


class FrameParser:
    """Incremental parser: ``feed(bytes) -> frames``; rejected candidates go to :meth:`take_errors`.

    Resynchronisation rule, chosen so that a valid frame after any garbage is
    never lost: a candidate (preamble plus plausible Len) is accepted only
    when it is complete, its XOR matches, and no other candidate starting
    inside it is a complete valid frame or still incomplete. A candidate
    with a valid frame starting inside it is dropped even before it is
    complete, so a false preamble with a large Len cannot hold a real reply
    hostage. The price: a real frame whose payload happens to contain a
    preamble plus a plausible Len waits for more bytes (odds about 1e-11 per
    photo); the driver's reply timeout and retry cover that.
    """

    def __init__(self, min_len: int = MIN_REPLY_LEN, max_len: int = MAX_LEN):
        self.min_len, self.max_len = min_len, max_len
        self._buf = bytearray()
        self._errors: list[FrameError] = []
        self.garbage = 0  # bytes skipped outside any frame, since creation
        self.frames = 0

    def reset(self) -> None:
        """Forget buffered bytes (the driver flushed the port before a new command)."""
        self._buf.clear()
        self._errors.clear()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def needed(self) -> int:
        """How many more bytes would complete the frame being collected (a read-size hint, >= 1)."""
        buf = self._buf
        p = buf.find(PREAMBLE)
        if p < 0 or len(buf) < p + HEADER:
            return max(1, HEADER - (len(buf) - max(p, 0)))
        n = int.from_bytes(buf[p + 5:p + 7], "big")
        return max(1, p + n + HEADER - len(buf)) if self.min_len <= n <= self.max_len else 1

    def take_errors(self) -> list[FrameError]:
        errors, self._errors = self._errors, []
        return errors

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while self._step(out):
            pass
        return out

    # internals ------------------------------------------------------------------------
    def _candidates(self) -> list[int]:
        buf, out, i = self._buf, [], self._buf.find(PREAMBLE)
        while i >= 0:
            out.append(i)
            i = buf.find(PREAMBLE, i + 1)
        return out

    def _verdicts(self, starts: list[int]) -> dict[int, str]:
        """'valid', 'dead' or 'pending' per candidate, decided right to left (inner frames first)."""
        buf, size = self._buf, len(self._buf)
        verdict: dict[int, str] = {}
        valid_starts: list[int] = []  # ascending
        for p in reversed(starts):
            if size < p + HEADER:
                verdict[p] = "pending"
                continue
            n = int.from_bytes(buf[p + 5:p + 7], "big")
            if not self.min_len <= n <= self.max_len:
                verdict[p] = "dead"
                continue
            end = p + n + HEADER
            k = bisect.bisect_right(valid_starts, p)
            if k < len(valid_starts) and valid_starts[k] < end:
                verdict[p] = "dead"  # a valid frame starts inside this one
            elif end > size:
                verdict[p] = "pending"
            elif checksum(buf[p + 5:end - 1]) == buf[end - 1]:
                verdict[p] = "valid"
                valid_starts.insert(k, p)
            else:
                verdict[p] = "dead"
        return verdict

    def _step(self, out: list[Frame]) -> bool:
        buf = self._buf
        starts = self._candidates()
        if not starts:
            keep = len(PREAMBLE) - 1  # a preamble may be split across reads
            if len(buf) > keep:
                self.garbage += len(buf) - keep
                del buf[:len(buf) - keep]
            return False
        if starts[0]:
            self.garbage += starts[0]
            del buf[:starts[0]]
            starts = [s - starts[0] for s in starts]
        verdict = self._verdicts(starts)
        head = verdict[0]
        if head == "pending":
            return False
        n = int.from_bytes(buf[5:7], "big")
        if head == "dead":
            if not self.min_len <= n <= self.max_len:
                self._errors.append(BadLength(f"frame length {n:#06x} out of range"))
            elif any(verdict[s] == "valid" for s in starts[1:] if s < n + HEADER):
                self._errors.append(OverlappedFrame(f"frame of length {n:#06x} overlapped by the next frame"))
            else:
                self._errors.append(BadChecksum(f"checksum mismatch in a frame of length {n:#06x}"))
            nxt = starts[1] if len(starts) > 1 else 1
            self.garbage += nxt
            del buf[:nxt]
            return True
        end = n + HEADER
        if any(verdict[s] == "pending" for s in starts[1:] if s < end):
            return False  # an inner candidate might still turn out valid
        out.append(Frame(bytes(buf[HEADER:end - 1])))
        self.frames += 1
        del buf[:end]
        return True


# SW3: the SAM's status byte --------------------------------------------------------------

@dataclass(frozen=True)
class Sw3:
    code: int
    meaning: str
    error: type[DeviceError] | None  # what a caller raises; None = not a failure
    reason: Reason | None  # what the reader's status becomes; None = the reader itself is fine


SW3_CODES: dict[int, Sw3] = {s.code: s for s in (
    Sw3(0x90, "success", None, None),
    Sw3(0x9F, "card found", None, None),
    Sw3(0x91, "no content (no appended address or fingerprint)", None, None),
    Sw3(0x10, "host frame checksum error", ProtocolError, Reason.PROTOCOL_ERROR),
    Sw3(0x11, "host frame length error", ProtocolError, Reason.PROTOCOL_ERROR),
    Sw3(0x21, "command error (unknown command or parameter)", ProtocolError, Reason.PROTOCOL_ERROR),
    Sw3(0x23, "unauthorized operation", ProtocolError, Reason.PROTOCOL_ERROR),
    Sw3(0x24, "unrecognized error", DeviceError, Reason.HARDWARE_ERROR),
    Sw3(0x31, "card failed to authenticate the SAM", CardError, None),
    Sw3(0x32, "SAM failed to authenticate the card", CardError, None),
    Sw3(0x33, "information verification error", CardError, None),
    Sw3(0x40, "unrecognized card type", CardError, None),
    Sw3(0x41, "read failed (card moved, RF error)", CardError, None),
    Sw3(0x47, "get-random failed", CardError, None),
    Sw3(0x60, "SAM self-test failed", DeviceError, Reason.SAM_ERROR),
    Sw3(0x66, "SAM not authorized", DeviceError, Reason.SAM_ERROR),
    Sw3(0x80, "no card", NoCard, None),
    Sw3(0x81, "select failed", CardError, None),
)}
CARD_MOVED = frozenset({0x41, 0x47, 0x81})  # transient RF failures: find, select and read again
RETRY_SEND = frozenset({0x10, 0x11})  # our frame arrived damaged: send it again


def sw3_error(sw3: int, during: str) -> DeviceError | None:
    """The typed error for a reply's SW3 (None when it is not a failure); unknown codes are protocol errors."""
    info = SW3_CODES.get(sw3)
    if info is None:
        return ProtocolError(f"unknown SW3 {sw3:#04x} after {during}")
    if info.error is None:
        return None
    return info.error(f"SW3 {sw3:#04x} after {during}: {info.meaning}", info.reason)


# Read replies -----------------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class ReadReply:
    text: bytes
    photo: bytes
    fingerprint: bytes | None  # None: read with 30 01, which carries no fingerprint section


def parse_read_reply(frame: Frame, *, fingerprint: bool = False) -> ReadReply:
    """Split a 30 01 (or, with ``fingerprint``, 30 10) payload; ProtocolError if the lengths disagree."""
    p = frame.payload
    heads = 3 if fingerprint else 2
    if len(p) < heads * 2:
        raise ProtocolError(f"read reply too short ({len(p)} payload bytes)")
    sizes = [int.from_bytes(p[i * 2:i * 2 + 2], "big") for i in range(heads)]
    if heads * 2 + sum(sizes) != len(p):
        raise ProtocolError(f"read reply lengths {sizes} do not add up to its {len(p)} payload bytes")
    parts, at = [], heads * 2
    for size in sizes:
        parts.append(p[at:at + size])
        at += size
    return ReadReply(parts[0], parts[1], parts[2] if fingerprint else None)


def build_read_reply(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The SAM's 30 01 reply (1295 bytes for 256 + 1024), or 30 10 when ``fingerprint`` is given."""
    sizes = [len(text), len(photo)] + ([] if fingerprint is None else [len(fingerprint)])
    head = b"".join(s.to_bytes(2, "big") for s in sizes)
    return build_reply(0x90, head + text + photo + (fingerprint or b""))


def format_sam_id(raw: bytes) -> str:
    """The SAM ID as vendors print it: little-endian u16 a, u16 b, u32 c, u32 d, u32 e."""
    if len(raw) != 16:
        raise ProtocolError(f"SAM ID is {len(raw)} bytes, expected 16")
    a, b, c, d, e = (int.from_bytes(raw[s:t], "little") for s, t in ((0, 2), (2, 4), (4, 8), (8, 12), (12, 16)))
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"
