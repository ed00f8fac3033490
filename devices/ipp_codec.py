"""IPP/1.1 messages (RFC 8010/8011), just what an A4 kiosk printer needs, with strict bounds.

Replies come from the network and are untrusted: every length is checked
against the buffer, and anything that does not parse is a ProtocolError.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from devices.errors import ProtocolError

OP = {"print-job": 0x0002, "validate-job": 0x0004, "cancel-job": 0x0008, "get-job-attributes": 0x0009,
      "get-printer-attributes": 0x000B}
GROUP = {0x01: "operation", 0x02: "job", 0x04: "printer", 0x05: "unsupported"}
END = 0x03
INTEGER, BOOLEAN, ENUM = 0x21, 0x22, 0x23
TEXT_TAGS = {0x41, 0x42, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A}  # text, name, keyword, uri, ..., memberAttrName
STATUS_OK_MAX = 0x00FF
MAX_MESSAGE = 1 << 20  # attribute part of a reply; document data is never sent back to us


@dataclass
class Message:
    version: tuple[int, int]
    code: int  # operation in a request, status in a reply
    request_id: int
    groups: list[tuple[str, dict[str, list]]] = field(default_factory=list)
    data: bytes = b""

    def attrs(self, group: str) -> dict[str, list]:
        out: dict[str, list] = {}
        for name, attrs in self.groups:
            if name == group:
                out.update(attrs)
        return out

    @property
    def ok(self) -> bool:
        return self.code <= STATUS_OK_MAX


def _value(tag: int, value) -> bytes:
    if tag in (INTEGER, ENUM):
        return struct.pack(">i", value)
    if tag == BOOLEAN:
        return b"\x01" if value else b"\x00"
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def encode_request(operation: str, request_id: int, attributes: list[tuple[int, str, object]],
                   job: list[tuple[int, str, object]] | None = None, data: bytes = b"") -> bytes:
    """attributes: (value tag, name, value or list of values); charset and language first, as RFC 8011 requires."""
    out = bytearray(struct.pack(">BBHI", 1, 1, OP[operation], request_id))
    for group_tag, attrs in ((0x01, attributes), (0x02, job or [])):
        if not attrs:
            continue
        out.append(group_tag)
        for tag, name, value in attrs:
            values = value if isinstance(value, list) else [value]
            for i, v in enumerate(values):
                raw_name = name.encode() if i == 0 else b""
                raw = _value(tag, v)
                out += struct.pack(">BH", tag, len(raw_name)) + raw_name + struct.pack(">H", len(raw)) + raw
    out.append(END)
    return bytes(out) + data


def decode(buf: bytes) -> Message:
    if len(buf) < 9:
        raise ProtocolError("IPP reply shorter than its header")
    major, minor, code, request_id = struct.unpack(">BBHI", buf[:8])
    if major not in (1, 2):
        raise ProtocolError(f"IPP version {major}.{minor} is not supported")
    msg = Message((major, minor), code, request_id)
    pos, current, last = 8, None, None
    while True:
        if pos >= len(buf) or pos > MAX_MESSAGE:
            raise ProtocolError("IPP reply ends without an end-of-attributes tag")
        tag = buf[pos]
        pos += 1
        if tag == END:
            msg.data = buf[pos:]
            return msg
        if tag < 0x10:
            current = {}
            msg.groups.append((GROUP.get(tag, f"group-{tag}"), current))
            last = None
            continue
        if current is None:
            raise ProtocolError("IPP attribute outside any group")
        name_len = _u16(buf, pos)
        name = _take(buf, pos + 2, name_len).decode("utf-8", "replace")
        pos += 2 + name_len
        value_len = _u16(buf, pos)
        raw = _take(buf, pos + 2, value_len)
        pos += 2 + value_len
        value = _decode_value(tag, raw)
        if name:
            last = name
            current.setdefault(name, []).append(value)
        elif last is not None:
            current[last].append(value)  # an additional value of a 1setOf


def _u16(buf: bytes, pos: int) -> int:
    if pos + 2 > len(buf):
        raise ProtocolError("IPP length runs past the end of the reply")
    return struct.unpack(">H", buf[pos:pos + 2])[0]


def _take(buf: bytes, pos: int, n: int) -> bytes:
    if pos + n > len(buf):
        raise ProtocolError("IPP value runs past the end of the reply")
    return buf[pos:pos + n]


def _decode_value(tag: int, raw: bytes):
    if tag in (INTEGER, ENUM):
        if len(raw) != 4:
            raise ProtocolError("IPP integer value is not 4 bytes")
        return struct.unpack(">i", raw)[0]
    if tag == BOOLEAN:
        if len(raw) != 1:
            raise ProtocolError("IPP boolean value is not 1 byte")
        return raw != b"\x00"
    if tag in TEXT_TAGS:
        return raw.decode("utf-8", "replace")
    return raw  # dates, ranges, resolutions, collections: kept opaque
