"""Codec of the resident ID card SAM protocol (GA/T 467 "SAM_A/SAM_V"): bytes in, records out, no I/O.

Why a separate pure module: the SAM framing is one codec among several
(some modules wrap it in their own headers, USB SAMs split it over two bulk
endpoints), so the serial driver, the pty test peer and the fuzz tests all
share this file and none of it touches a port. Frames are
``AA AA AA 96 69 | Len1 Len2 | body | CHK`` in both directions; the body is
``CMD Para Data`` towards the SAM and ``SW1 SW2 SW3 Data`` back.

Bad input never raises out of :class:`FrameParser`: each rejected frame is
reported as a typed :class:`FrameError`, and the parser resynchronises on
the next preamble. The text block decoders raise :class:`CardDataError`
(a :class:`~devices.errors.CardError`) whose messages never carry the
personal value that failed.
"""
from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import structlog

from devices.errors import CardError, DeviceError, NoCard, ProtocolError
from devices.records import CardType, IdCard
from devices.status import Reason

log = structlog.get_logger("devices.idcard")

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


# ID numbers (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
ID_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
_ID18 = re.compile(r"\d{17}[\dX]")
_PERMIT_2017 = re.compile(r"[A-Z]{3}\d{12}")  # 3 letters (nationality) + 12 digits; no published check


class CardDataError(CardError):
    """The SAM read the card but the data does not decode; the message never holds the value."""


class InvalidIdNumber(CardDataError):
    pass


def id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("need exactly 17 digits")
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def is_valid_id_number(number: str) -> bool:
    number = number.upper()
    return bool(_ID18.fullmatch(number)) and number.isascii() and id_check_char(number[:17]) == number[17]


def upgrade_id_15(number: str) -> str:
    """First-generation 15-digit number to 18 digits: '19' after the area code, then the check char."""
    if len(number) != 15 or not number.isdigit():
        raise ValueError("need exactly 15 digits")
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_char(first17)


# Text block (256 bytes UCS-2LE, fixed fields right-padded with U+0020) ---------------------

TEXT_SIZE, PHOTO_SIZE = 256, 1024  # bytes, as the 30 01 reply announces them
MARKER_AT = 248  # UCS-2 card-type character
LONG_TERM = "长期"  # valid_to of cards without expiry (7F 95 1F 67)
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}  # GB/T 2261.1
NATIONS = dict(zip((f"{i:02d}" for i in range(1, 57)), (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 "
    "裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split())) | {"97": "其他", "98": "外国血统中国籍人士"}  # GB 3304
_CODES = {"nation": {v: k for k, v in NATIONS.items()}, "gender": {v: k for k, v in GENDERS.items()}}

# field: (byte offset, byte length); every layout sums to 256 with the reserved gaps
LAYOUTS: dict[str, dict[str, tuple[int, int]]] = {
    "resident": {"name": (0, 30), "gender": (30, 2), "nation": (32, 4), "birth": (36, 16), "address": (52, 70),
                 "id": (122, 36), "authority": (158, 30), "from": (188, 16), "to": (204, 16)},
    "J": {"name": (0, 30), "gender": (30, 2), "birth": (36, 16), "address": (52, 70), "id": (122, 36),
          "authority": (158, 30), "from": (188, 16), "to": (204, 16), "travel_permit_no": (220, 18),
          "issue_count": (238, 4)},
    "I": {"english_name": (0, 120), "gender": (120, 2), "id": (122, 30), "nation": (152, 6), "name": (158, 30),
          "from": (188, 16), "to": (204, 16), "birth": (220, 16), "card_version": (236, 4),
          "authority_code": (240, 8)},
    "Y": {"name": (0, 30), "gender": (30, 2), "renewal_count": (32, 4), "birth": (36, 16),
          "english_name": (52, 70), "id": (122, 36), "from": (188, 16), "to": (204, 16),
          "english_name_2": (220, 22), "nation": (242, 6), "previous_link": (250, 6)},
}
CARD_TYPES = {"resident": CardType.RESIDENT, "J": CardType.HMT_RESIDENCE, "I": CardType.FOREIGN_PERMANENT,
              "Y": CardType.FOREIGN_PERMANENT}
EDITIONS = {"I": "2017", "Y": "2023"}  # foreigner permanent residence card editions
_EXTRA = ("travel_permit_no", "issue_count", "card_version", "authority_code", "renewal_count", "previous_link")


def layout_of(text: bytes) -> str:
    marker = text[MARKER_AT:MARKER_AT + 2]
    return {b"J\x00": "J", b"I\x00": "I", b"Y\x00": "Y"}.get(marker, "resident")


def _field(text: bytes, span: tuple[int, int], *, strip: bool = True) -> str:
    off, size = span
    try:
        value = text[off:off + size].decode("utf-16-le")  # UCS-2 is UTF-16 without surrogates
    except UnicodeDecodeError as exc:
        raise CardDataError(f"a text field at byte {off} is not valid UCS-2") from exc
    return value.rstrip(" \x00") if strip else value  # never cut at the first space: addresses hold spaces


def _date(value: str, what: str, *, long_term: bool = False) -> dt.date | None:
    if long_term and value == LONG_TERM:
        return None
    if len(value) == 8 and value.isdigit() and value.isascii():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise CardDataError(f"{what} is not a YYYYMMDD date")


def check_id_number(number: str, kind: str = "resident") -> str:
    """The number as stored (upper-case X), or InvalidIdNumber; the message never holds the number."""
    number = number.upper()
    if kind == "I":
        if not _PERMIT_2017.fullmatch(number):
            raise InvalidIdNumber("permit number is not 3 letters and 12 digits")
        return number
    if not _ID18.fullmatch(number) or not number.isascii():
        raise InvalidIdNumber(f"{CARD_TYPES[kind]} card number is not 17 digits and a check character")
    if kind == "Y" and number[0] != "9":
        raise InvalidIdNumber("2023 permanent residence number does not start with 9")
    if id_check_char(number[:17]) != number[17]:
        raise InvalidIdNumber(f"{CARD_TYPES[kind]} card number fails its GB 11643 check digit")
    return number


def decode_text_block(text: bytes, photo: bytes = b"", *, extra: dict | None = None) -> IdCard:
    """Decode the 256-byte text block into an IdCard; CardDataError when it does not hold together."""
    if len(text) != TEXT_SIZE:
        raise CardDataError(f"text block is {len(text)} bytes, expected {TEXT_SIZE}")
    kind = layout_of(text)
    f = {key: _field(text, span) for key, span in LAYOUTS[kind].items()}
    if kind == "Y":  # English name 1-35 then 36-46: join the unstripped halves, an inner space may sit at 35
        first = _field(text, LAYOUTS["Y"]["english_name"], strip=False).rstrip("\x00")
        f["english_name"] = (first + f.pop("english_name_2")).rstrip(" \x00")
    out_extra = dict(extra or {})
    out_extra.update({k: f[k] for k in _EXTRA if k in f})
    nation = f.get("nation", "")
    if kind == "resident":
        out_extra["nation_code"] = nation
        nation = NATIONS.get(nation, nation)  # an unknown code is kept as is rather than failing the card
    if kind in EDITIONS:
        out_extra["edition"] = EDITIONS[kind]
    english = f.get("english_name", "")
    return IdCard(
        name=f["name"] or english,
        gender=GENDERS.get(f["gender"], f["gender"]),
        nation=nation,
        birth_date=_date(f["birth"], "birth date"),
        address=f.get("address", ""),
        id_number=check_id_number(f["id"], kind),
        authority=f.get("authority", ""),
        valid_from=_date(f["from"], "valid-from date"),
        valid_to=_date(f["to"], "valid-to date", long_term=True),
        card_type=CARD_TYPES[kind],
        english_name=english,
        photo=photo,
        extra=out_extra,
    )


def _layout_for(card: IdCard) -> str:
    if card.card_type is CardType.HMT_RESIDENCE:
        return "J"
    if card.card_type is CardType.FOREIGN_PERMANENT:
        return "Y" if card.extra.get("edition") == "2023" or len(card.id_number) == 18 else "I"
    return "resident"


def encode_text_block(card: IdCard) -> bytes:
    """The inverse of :func:`decode_text_block`, for the test peer and fixtures; ValueError if a field overflows."""
    kind = _layout_for(card)
    date = lambda d: LONG_TERM if d is None else d.strftime("%Y%m%d")  # noqa: E731
    f = {"name": card.name if card.name != card.english_name else "", "english_name": card.english_name,
         "gender": _CODES["gender"].get(card.gender, card.gender), "birth": date(card.birth_date),
         "address": card.address, "id": card.id_number, "authority": card.authority,
         "from": date(card.valid_from), "to": date(card.valid_to),
         "nation": _CODES["nation"].get(card.nation, card.nation) if kind == "resident" else card.nation}
    f.update({k: str(card.extra.get(k, "")) for k in _EXTRA})
    if kind == "Y":
        f["english_name"], f["english_name_2"] = card.english_name[:35], card.english_name[35:]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_SIZE // 2))
    for key, (off, size) in LAYOUTS[kind].items():
        raw = f[key].encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"field {key} needs {len(raw)} bytes, the layout has {size}")
        block[off:off + len(raw)] = raw
    if kind != "resident":
        block[MARKER_AT:MARKER_AT + 2] = kind.encode("utf-16-le")
    return bytes(block)


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


# Photo decoding: plug-ins only ------------------------------------------------------------

class PhotoDecoder(Protocol):
    """WLT (1024 bytes, proprietary) to an image (e.g. a 102x126 BMP), or None when it cannot."""

    def decode(self, wlt: bytes) -> bytes | None: ...


class PhotoDecoderRegistry:
    """Named WLT decoders, empty by default.

    No open WLT decoder exists; every one is a licensed vendor library, which
    this project never bundles. An installation registers its own, and
    without one the photo stays opaque bytes (face matching then needs a
    backend photo).
    """

    def __init__(self) -> None:
        self._decoders: dict[str, PhotoDecoder] = {}

    def register(self, name: str, decoder: PhotoDecoder) -> None:
        if not callable(getattr(decoder, "decode", None)):
            raise TypeError(f"photo decoder {name!r} has no decode(wlt) method")
        self._decoders[name] = decoder

    def unregister(self, name: str) -> None:
        self._decoders.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._decoders)

    def decode(self, wlt: bytes, name: str | None = None) -> bytes | None:
        """The first image any (or the named) decoder makes; a failing plug-in counts as "no image"."""
        chosen = [self._decoders[name]] if name in self._decoders else [] if name else list(self._decoders.values())
        for decoder in chosen:
            try:
                image = decoder.decode(wlt)
            except Exception as exc:  # a vendor plug-in's bug must not fail the citizen's visit
                log.warning("idcard.photo_decoder_failed", decoder=type(decoder).__name__, error=type(exc).__name__)
                continue
            if image:
                return image
        return None
