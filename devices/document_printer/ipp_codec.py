"""IPP/1.1 messages (RFC 8010 encoding, RFC 8011 operations), pure and bounds-checked.

Why our own codec: pycups needs cupsd and a C build, pyipp/aioipp have no
Print-Job; the wire format is small. Everything a printer sends passes
through :func:`decode`, which checks every length against the bytes that
are actually there. Whatever the input, it returns a :class:`Message` or
raises :class:`devices.errors.ProtocolError`, and never any other exception
(tests/devices/document_printer/test_fuzz.py holds it to that).

Values decode to plain Python: int, bool, str, bytes (octetString and tags
we do not interpret), datetime (dateTime), :class:`Resolution`,
:class:`Range`, :class:`LangString` (text/nameWithLanguage), None
(out-of-band: unknown, no-value...), and for a collection a tuple of member
:class:`Attribute`. Each value keeps its own tag, because a 1setOf may mix
tags (keyword | name).
"""
from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

from devices.errors import ProtocolError

MAX_COLLECTION_DEPTH = 16  # far above what printers send (media-col nests 2 deep); stops stack abuse


class Op(IntEnum):
    PRINT_JOB = 0x0002
    VALIDATE_JOB = 0x0004
    CANCEL_JOB = 0x0008
    GET_JOB_ATTRIBUTES = 0x0009
    GET_PRINTER_ATTRIBUTES = 0x000B


class GroupTag(IntEnum):
    OPERATION = 0x01
    JOB = 0x02
    END = 0x03  # end-of-attributes-tag; document data follows
    PRINTER = 0x04
    UNSUPPORTED = 0x05


class Tag(IntEnum):
    UNSUPPORTED = 0x10  # out-of-band values 0x10..0x1F carry no data
    UNKNOWN = 0x12
    NO_VALUE = 0x13
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE = 0x33
    BEG_COLLECTION = 0x34
    TEXT_LANG = 0x35
    NAME_LANG = 0x36
    END_COLLECTION = 0x37
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    URI_SCHEME = 0x46
    CHARSET = 0x47
    LANGUAGE = 0x48
    MIME_TYPE = 0x49
    MEMBER_NAME = 0x4A


STATUS_NAMES: dict[int, str] = {
    0x0000: "successful-ok",
    0x0001: "successful-ok-ignored-or-substituted-attributes",
    0x0002: "successful-ok-conflicting-attributes",
    0x0400: "client-error-bad-request",
    0x0401: "client-error-forbidden",
    0x0402: "client-error-not-authenticated",
    0x0403: "client-error-not-authorized",
    0x0404: "client-error-not-possible",
    0x0405: "client-error-timeout",
    0x0406: "client-error-not-found",
    0x0407: "client-error-gone",
    0x0408: "client-error-request-entity-too-large",
    0x0409: "client-error-request-value-too-long",
    0x040A: "client-error-document-format-not-supported",
    0x040B: "client-error-attributes-or-values-not-supported",
    0x040C: "client-error-uri-scheme-not-supported",
    0x040D: "client-error-charset-not-supported",
    0x040E: "client-error-conflicting-attributes",
    0x0411: "client-error-document-format-error",
    0x0500: "server-error-internal-error",
    0x0501: "server-error-operation-not-supported",
    0x0502: "server-error-service-unavailable",
    0x0503: "server-error-version-not-supported",
    0x0504: "server-error-device-error",
    0x0505: "server-error-temporary-error",
    0x0506: "server-error-not-accepting-jobs",
    0x0507: "server-error-busy",
    0x0508: "server-error-job-canceled",
}


def status_name(code: int) -> str:
    return STATUS_NAMES.get(code, f"status-{code:#06x}")


def is_success(code: int) -> bool:
    return code < 0x0100  # 0x0000..0x00FF are the successful-* codes


class Resolution(NamedTuple):
    x: int
    y: int
    units: int  # 3 = dots per inch, 4 = dots per cm


class Range(NamedTuple):
    lower: int
    upper: int


class LangString(NamedTuple):
    language: str
    text: str


@dataclass(frozen=True)
class Value:
    tag: int
    value: Any


@dataclass(frozen=True)
class Attribute:
    name: str
    values: tuple[Value, ...]

    @classmethod
    def of(cls, name: str, tag: int, *values: Any) -> "Attribute":
        return cls(name, tuple(Value(tag, v) for v in values))

    @property
    def value(self) -> Any:
        return self.values[0].value

    def as_list(self) -> list[Any]:
        return [v.value for v in self.values]


@dataclass(frozen=True)
class Group:
    tag: int
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True)
class Message:
    """A request (``code`` = operation-id) or a response (``code`` = status-code)."""

    code: int
    request_id: int
    groups: tuple[Group, ...] = ()
    version: tuple[int, int] = (1, 1)
    data: bytes = field(default=b"", repr=False)  # document bytes after the attributes; never logged

    def find(self, name: str, group: int | None = None) -> Attribute | None:
        for g in self.groups:
            if group is None or g.tag == group:
                for attr in g.attributes:
                    if attr.name == name:
                        return attr
        return None

    def get(self, name: str, default: Any = None, group: int | None = None) -> Any:
        """The first value of ``name``, or ``default`` when absent or out-of-band."""
        attr = self.find(name, group)
        return default if attr is None or attr.value is None else attr.value

    def get_all(self, name: str, group: int | None = None) -> list[Any]:
        attr = self.find(name, group)
        return [] if attr is None else [v for v in attr.as_list() if v is not None]

    def encode(self) -> bytes:
        return encode(self)


def request(op: Op, request_id: int, printer_uri: str, *, operation: tuple[Attribute, ...] = (),
            job: tuple[Attribute, ...] = (), data: bytes = b"", language: str = "en") -> Message:
    """A request with the operation attributes RFC 8011 requires first, in its order."""
    head = (Attribute.of("attributes-charset", Tag.CHARSET, "utf-8"),
            Attribute.of("attributes-natural-language", Tag.LANGUAGE, language),
            Attribute.of("printer-uri", Tag.URI, printer_uri))
    groups = [Group(GroupTag.OPERATION, head + tuple(operation))]
    if job:
        groups.append(Group(GroupTag.JOB, tuple(job)))
    return Message(int(op), request_id, tuple(groups), data=data)


# encoding -----------------------------------------------------------------------

class EncodeError(ValueError):
    """We were asked to encode something IPP cannot carry: a bug or unchecked input, not a device fault."""


def encode(msg: Message) -> bytes:
    major, minor = msg.version
    if not (0 <= major <= 255 and 0 <= minor <= 255 and 0 <= msg.code <= 0xFFFF
            and 0 <= msg.request_id <= 0xFFFFFFFF):
        raise EncodeError("header field out of range")
    out = bytearray(struct.pack(">BBHI", major, minor, msg.code, msg.request_id))
    for group in msg.groups:
        if not 0x01 <= group.tag <= 0x0E or group.tag == GroupTag.END:
            raise EncodeError(f"bad group tag {group.tag:#04x}")
        out.append(group.tag)
        for attr in group.attributes:
            if not attr.name:
                raise EncodeError("an attribute needs a name")
            _encode_attribute(out, attr.name, attr.values, depth=0)
    out.append(GroupTag.END)
    return bytes(out) + msg.data


def _encode_attribute(out: bytearray, name: str, values: tuple[Value, ...], depth: int) -> None:
    if not values:
        raise EncodeError(f"{name}: an attribute needs at least one value")
    for i, v in enumerate(values):
        _encode_value(out, name if i == 0 else "", v, depth)


def _encode_value(out: bytearray, name: str, v: Value, depth: int) -> None:
    if v.tag == Tag.BEG_COLLECTION:
        if depth >= MAX_COLLECTION_DEPTH:
            raise EncodeError("collections nested too deep")
        _item(out, v.tag, name, b"")
        for member in v.value:
            if not member.name:
                raise EncodeError("a collection member needs a name")
            _item(out, Tag.MEMBER_NAME, "", member.name.encode())
            _encode_attribute(out, "", member.values, depth + 1)
        _item(out, Tag.END_COLLECTION, "", b"")
        return
    _item(out, v.tag, name, _value_bytes(v.tag, v.value))


def _item(out: bytearray, tag: int, name: str, raw: bytes) -> None:
    if not 0x10 <= tag <= 0xFF:
        raise EncodeError(f"bad value tag {tag:#04x}")
    bname = name.encode()
    if len(bname) > 0xFFFF or len(raw) > 0xFFFF:
        raise EncodeError(f"{name or 'value'}: longer than IPP's 65535-octet field")
    out.append(tag)
    out += struct.pack(">H", len(bname)) + bname + struct.pack(">H", len(raw)) + raw


def _value_bytes(tag: int, value: Any) -> bytes:
    try:
        if 0x10 <= tag <= 0x1F:
            return b""
        if tag in (Tag.INTEGER, Tag.ENUM):
            if isinstance(value, bool) or not isinstance(value, int):
                raise EncodeError(f"tag {tag:#04x} needs an int")
            return struct.pack(">i", value)
        if tag == Tag.BOOLEAN:
            return b"\x01" if value else b"\x00"
        if tag == Tag.DATE_TIME:
            return _date_bytes(value)
        if tag == Tag.RESOLUTION:
            return struct.pack(">iib", value.x, value.y, value.units)
        if tag == Tag.RANGE:
            return struct.pack(">ii", value.lower, value.upper)
        if tag in (Tag.TEXT_LANG, Tag.NAME_LANG):
            lang, text = value.language.encode(), value.text.encode()
            return struct.pack(">H", len(lang)) + lang + struct.pack(">H", len(text)) + text
        if _is_string_tag(tag):
            return value.encode()
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
    except (struct.error, AttributeError, TypeError) as exc:
        raise EncodeError(f"value {value!r} does not fit tag {tag:#04x}") from exc
    raise EncodeError(f"value of type {type(value).__name__} does not fit tag {tag:#04x}")


def _date_bytes(value: dt.datetime) -> bytes:
    """RFC 2579 DateAndTime: 11 octets, local time plus the offset from UTC."""
    offset = value.utcoffset()
    if offset is None:
        raise EncodeError("dateTime needs a timezone")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return struct.pack(">HBBBBBBcBB", value.year, value.month, value.day, value.hour, value.minute,
                       value.second, value.microsecond // 100_000, sign.encode(), hours, mins)


def _is_string_tag(tag: int) -> bool:
    return 0x40 <= tag <= 0x5F and tag != Tag.MEMBER_NAME


# decoding -----------------------------------------------------------------------

class _Reader:
    """A cursor that refuses to read past the end: every overrun is a ProtocolError."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise ProtocolError("IPP message ends before end-of-attributes-tag")
        return self.data[self.pos]

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise ProtocolError(f"IPP field of {n} octets runs past the end at offset {self.pos}")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def item(self) -> tuple[int, str, bytes]:
        """One tag / name-length / name / value-length / value field."""
        tag = self.take(1)[0]
        raw_name = self.take(self.u16())
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("attribute name is not UTF-8") from exc
        return tag, name, self.take(self.u16())


def decode(data: bytes) -> Message:
    """Parse an IPP message. Raises ProtocolError, and only that, for anything malformed."""
    try:
        return _decode(bytes(data))
    except ProtocolError:
        raise
    except Exception as exc:  # a parser bug must still surface as the one documented error
        raise ProtocolError(f"undecodable IPP message ({type(exc).__name__})") from exc


def _decode(data: bytes) -> Message:
    r = _Reader(data)
    major, minor = r.take(1)[0], r.take(1)[0]
    if major not in (1, 2):
        raise ProtocolError(f"not an IPP message (version {major}.{minor})")
    code, request_id = struct.unpack(">HI", r.take(6))
    groups: list[tuple[int, list[list]]] = []
    current: list[list] | None = None  # [name, [Value, ...]] per attribute of the open group
    while True:
        tag = r.peek()
        if tag < 0x10:  # delimiter
            r.pos += 1
            if tag == GroupTag.END:
                break
            if tag in (0x00, 0x0F):
                raise ProtocolError(f"reserved delimiter tag {tag:#04x}")
            current = []
            groups.append((tag, current))
            continue
        if current is None:
            raise ProtocolError("attribute before any attribute group")
        tag, name, raw = r.item()
        value = _read_value(r, tag, raw, depth=0)
        if name:
            current.append([name, [value]])
        elif current:
            current[-1][1].append(value)
        else:
            raise ProtocolError("additional value without an attribute")
    frozen = tuple(Group(t, tuple(Attribute(n, tuple(vs)) for n, vs in attrs)) for t, attrs in groups)
    return Message(code, request_id, frozen, (major, minor), data[r.pos:])


def _read_value(r: _Reader, tag: int, raw: bytes, depth: int) -> Value:
    if tag in (Tag.END_COLLECTION, Tag.MEMBER_NAME):
        raise ProtocolError(f"tag {tag:#04x} outside a collection")
    if tag == Tag.BEG_COLLECTION:
        return Value(tag, _read_collection(r, depth + 1))
    return Value(tag, _decode_value(tag, raw))


def _read_collection(r: _Reader, depth: int) -> tuple[Attribute, ...]:
    if depth > MAX_COLLECTION_DEPTH:
        raise ProtocolError("collections nested too deep")
    members: list[list] = []
    while True:
        if r.peek() < 0x10:
            raise ProtocolError("collection not closed before the next group")
        tag, name, raw = r.item()
        if name:
            raise ProtocolError("named attribute inside a collection")
        if tag == Tag.END_COLLECTION:
            break
        if tag == Tag.MEMBER_NAME:
            if members and not members[-1][1]:
                raise ProtocolError("collection member without a value")
            if not raw:
                raise ProtocolError("empty collection member name")
            members.append([raw.decode("utf-8", "replace"), []])
            continue
        if not members:
            raise ProtocolError("collection value without a member name")
        members[-1][1].append(_read_value(r, tag, raw, depth))
    if members and not members[-1][1]:
        raise ProtocolError("collection member without a value")
    return tuple(Attribute(n, tuple(vs)) for n, vs in members)


_FIXED_LENGTH = {Tag.INTEGER: 4, Tag.ENUM: 4, Tag.BOOLEAN: 1, Tag.DATE_TIME: 11, Tag.RESOLUTION: 9, Tag.RANGE: 8}


def _decode_value(tag: int, raw: bytes) -> Any:
    if 0x10 <= tag <= 0x1F:
        return None  # out-of-band: unsupported, unknown, no-value...
    want = _FIXED_LENGTH.get(tag)
    if want is not None and len(raw) != want:
        raise ProtocolError(f"tag {tag:#04x} needs {want} octets, got {len(raw)}")
    if tag in (Tag.INTEGER, Tag.ENUM):
        return struct.unpack(">i", raw)[0]
    if tag == Tag.BOOLEAN:
        if raw[0] > 1:
            raise ProtocolError(f"boolean octet {raw[0]:#04x}")
        return raw[0] == 1
    if tag == Tag.DATE_TIME:
        return _decode_date(raw)
    if tag == Tag.RESOLUTION:
        return Resolution(*struct.unpack(">iib", raw))
    if tag == Tag.RANGE:
        return Range(*struct.unpack(">ii", raw))
    if tag in (Tag.TEXT_LANG, Tag.NAME_LANG):
        r = _Reader(raw)
        lang, text = r.take(r.u16()), r.take(r.u16())
        if not r.at_end():
            raise ProtocolError("trailing octets in a with-language value")
        return LangString(lang.decode("utf-8", "replace"), text.decode("utf-8", "replace"))
    if _is_string_tag(tag):
        # printers do send Latin-1 in messages; a replacement character beats refusing the status
        return raw.decode("utf-8", "replace")
    return raw  # octetString and tags we do not interpret (0x7F extension included): opaque


def _decode_date(raw: bytes) -> dt.datetime:
    year, month, day, hour, minute, second, deci, sign, oh, om = struct.unpack(">HBBBBBBcBB", raw)
    if sign not in (b"+", b"-") or deci > 9 or oh > 23 or om > 59:
        raise ProtocolError("malformed dateTime")
    offset = dt.timedelta(hours=oh, minutes=om) * (1 if sign == b"+" else -1)
    try:
        return dt.datetime(year, month, day, hour, minute, second, deci * 100_000, dt.timezone(offset))
    except ValueError as exc:
        raise ProtocolError(f"malformed dateTime ({exc})") from exc
