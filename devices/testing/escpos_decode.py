"""An ESC/POS decoder for the command subset we emit: the test oracle.

Why in-repo: the known decoders read every text byte as CP437 and ignore
FS & (receipt-print-hq/escpos-tools, zachzurn/thermal), so they cannot tell
a correct GB18030 receipt from mojibake. This one tracks ESC t and the
FS & / FS . Chinese mode, decodes text the way the printer would, and
reports QR payloads, raster blocks, feeds and cuts as typed records.

It never imports python-escpos (it must be able to disagree with it) and it
never crashes on bad input: unknown or truncated commands become
:class:`Issue` records. ``strict=True`` turns the first issue into
:class:`DecodeError` for tests that want that.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from devices.errors import ProtocolError

ESC, GS, FS, DLE, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x0D
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866", 19: "cp858"}
# Commands whose parameters are a fixed number of bytes, and which change nothing we track.
ESC_FIXED = {0x20: 1, 0x2D: 1, 0x32: 0, 0x33: 1, 0x47: 1, 0x4D: 1, 0x52: 1, 0x56: 1, 0x7B: 1, 0x70: 3,
             0x63: 2, 0x24: 2, 0x5C: 2}
GS_FIXED = {0x42: 1, 0x48: 1, 0x66: 1, 0x68: 1, 0x77: 1, 0x4C: 2, 0x57: 2, 0x49: 1, 0x72: 1, 0x61: 1, 0x62: 1}
FS_FIXED = {0x21: 1, 0x43: 1, 0x2D: 1, 0x53: 2, 0x57: 1, 0x70: 2}


class DecodeError(ProtocolError):
    """Raised only in strict mode: the bytes contain something the decoder flags."""


@dataclass(frozen=True)
class Command:
    name: str
    params: bytes = b""
    offset: int = 0


@dataclass(frozen=True)
class TextLine:
    text: str
    align: str = "left"
    scale: tuple[int, int] = (1, 1)  # (width, height) magnification
    bold: bool = False
    chinese: bool = False  # the line started in Chinese mode
    offset: int = 0


@dataclass(frozen=True)
class Feed:
    lines: int = 0
    dots: int = 0
    offset: int = 0


@dataclass(frozen=True)
class Cut:
    partial: bool
    feed: int | None = None  # GS V 65/66 n feeds to the cutter plus n dots; None for GS V 0/1
    offset: int = 0


@dataclass(frozen=True)
class Raster:
    width: int  # dots
    height: int  # rows
    data: bytes = field(repr=False)
    mode: int = 0
    offset: int = 0

    def dot(self, x: int, y: int) -> bool:
        return bool(self.data[y * (self.width // 8) + x // 8] >> (7 - x % 8) & 1)

    def to_image(self, scale: int = 1):
        """A Pillow image, black where the printer would burn a dot (Pillow imported lazily)."""
        from PIL import Image

        img = Image.frombytes("1", (self.width, self.height), bytes(b ^ 0xFF for b in self.data))
        return img.resize((self.width * scale, self.height * scale), Image.NEAREST) if scale > 1 else img


@dataclass(frozen=True)
class QrCode:
    data: str | None  # the stored payload as UTF-8, None if it is not valid UTF-8
    raw: bytes = field(repr=False, default=b"")
    size: int | None = None
    ec: int | None = None
    model: int | None = None
    align: str = "left"
    offset: int = 0


@dataclass(frozen=True)
class Issue:
    kind: str  # unknown-command | truncated | invalid-text | discarded | qr-without-data
    data: bytes = b""
    offset: int = 0


Record = Command | TextLine | Feed | Cut | Raster | QrCode | Issue


@dataclass
class Decoded:
    records: list[Record]

    def text(self) -> str:
        return "\n".join(r.text for r in self.records if isinstance(r, TextLine))

    def lines(self) -> list[TextLine]:
        return [r for r in self.records if isinstance(r, TextLine)]

    def qr_codes(self) -> list[QrCode]:
        return [r for r in self.records if isinstance(r, QrCode)]

    def rasters(self) -> list[Raster]:
        return [r for r in self.records if isinstance(r, Raster)]

    def cuts(self) -> list[Cut]:
        return [r for r in self.records if isinstance(r, Cut)]

    def commands(self, name: str | None = None) -> list[Command]:
        return [r for r in self.records if isinstance(r, Command) and (name is None or r.name == name)]

    @property
    def issues(self) -> list[Issue]:
        return [r for r in self.records if isinstance(r, Issue)]

    def images(self) -> list[Raster]:
        """Raster blocks with adjacent same-width blocks joined: the bitmaps as printed."""
        out: list[Raster] = []
        prev = None
        for r in self.records:
            if isinstance(r, Raster) and isinstance(prev, Raster) and out and out[-1].width == r.width \
                    and out[-1].mode == r.mode:
                last = out[-1]
                out[-1] = Raster(last.width, last.height + r.height, last.data + r.data, last.mode, last.offset)
            elif isinstance(r, Raster):
                out.append(r)
            prev = r
        return out


class _Decoder:
    def __init__(self, data: bytes, chinese_default: bool, cjk_encoding: str):
        self.d = bytes(data)
        self.i = 0
        self.out: list[Record] = []
        self.chinese_default = chinese_default
        self.cjk = cjk_encoding
        self.qr: dict[str, object] = {}
        self.reset()

    def reset(self) -> None:
        self.align, self.scale, self.bold, self.page = "left", (1, 1), False, 0
        self.chinese = self.chinese_default
        self.line: list[str] = []
        self.line_start = None

    # helpers ------------------------------------------------------------
    def take(self, n: int, start: int) -> bytes | None:
        """n bytes after the command head, or None (and an Issue) when the data ends first."""
        if self.i + n > len(self.d):
            self.out.append(Issue("truncated", self.d[start:], start))
            self.i = len(self.d)
            return None
        chunk = self.d[self.i:self.i + n]
        self.i += n
        return chunk

    def flush(self, force: bool = False) -> None:
        if self.line or force:
            attrs = self.line_start or (self.align, self.scale, self.bold, self.chinese, self.i)
            self.out.append(TextLine("".join(self.line), *attrs))
        self.line, self.line_start = [], None

    def put(self, text: str, offset: int) -> None:
        if self.line_start is None:
            self.line_start = (self.align, self.scale, self.bold, self.chinese, offset)
        self.line.append(text)

    # main loop ------------------------------------------------------------
    def run(self) -> list[Record]:
        while self.i < len(self.d):
            start, b = self.i, self.d[self.i]
            self.i += 1
            if b == ESC:
                self.esc(start)
            elif b == GS:
                self.gs(start)
            elif b == FS:
                self.fs(start)
            elif b == DLE:
                self.dle(start)
            elif b == LF:
                self.flush(force=True)
            elif b == CR:
                continue  # ignored by default on ESC/POS printers (auto line feed off)
            elif b < 0x20 or b == 0x7F:
                self.out.append(Issue("unknown-command", bytes([b]), start))
            else:
                self.text(start, b)
        if self.line:
            self.out.append(Issue("discarded", "".join(self.line).encode("utf-8", "replace"), self.i))
        return self.out

    def text(self, start: int, b: int) -> None:
        if not self.chinese or b < 0x80:
            self.put(bytes([b]).decode(CODE_PAGES.get(self.page, "cp437"), "replace") if b >= 0x80 else chr(b),
                     start)
            return
        # Double-byte lead 0x81-0xFE; GB18030 has 4-byte codes with a 0x30-0x39 second byte.
        size = 2
        if self.cjk == "gb18030" and self.i < len(self.d) and 0x30 <= self.d[self.i] <= 0x39:
            size = 4
        seq = self.d[start:start + size]
        try:
            if len(seq) < size:
                raise UnicodeDecodeError(self.cjk, seq, 0, len(seq), "truncated")
            ch = seq.decode(self.cjk)
            if len(ch) != 1:
                raise UnicodeDecodeError(self.cjk, seq, 0, len(seq), "not one character")
        except UnicodeDecodeError:
            self.out.append(Issue("invalid-text", seq[:1], start))
            self.put("\ufffd", start)
            return  # resynchronise on the next byte
        self.i = start + size
        self.put(ch, start)

    def esc(self, start: int) -> None:
        head = self.take(1, start)
        if head is None:
            return
        c = head[0]
        if c == 0x40:  # ESC @
            if self.line:
                self.out.append(Issue("discarded", "".join(self.line).encode("utf-8", "replace"), start))
            self.reset()
            self.out.append(Command("ESC @", b"", start))
            return
        if c in (0x61, 0x45, 0x74, 0x64, 0x4A, 0x21):
            p = self.take(1, start)
            if p is None:
                return
            n = p[0]
            if c == 0x61:  # ESC a
                if n % 48 > 2 or n > 50:
                    self.out.append(Issue("unknown-command", self.d[start:self.i], start))
                else:
                    self.align = ("left", "center", "right")[n % 48]
            elif c == 0x45:  # ESC E
                self.bold = bool(n & 1)
            elif c == 0x74:  # ESC t
                self.page = n
            elif c == 0x21:  # ESC !: bit 3 emphasized, bit 4 double height, bit 5 double width
                self.bold, self.scale = bool(n & 0x08), (2 if n & 0x20 else 1, 2 if n & 0x10 else 1)
            else:  # ESC d / ESC J print the buffer, then feed lines / dots
                self.flush()
                self.out.append(Feed(lines=n, offset=start) if c == 0x64 else Feed(dots=n, offset=start))
                return
            self.out.append(Command(f"ESC {chr(c)}", p, start))
            return
        if c == 0x2A:  # ESC * m nL nH d...: column image, skipped
            p = self.take(3, start)
            if p is not None:
                cols = p[1] + p[2] * 256
                if self.take(cols * (3 if p[0] in (32, 33) else 1), start) is not None:
                    self.out.append(Command("ESC *", p, start))
            return
        self.fixed(start, "ESC", c, ESC_FIXED)

    def fixed(self, start: int, prefix: str, c: int, table: dict[int, int]) -> None:
        n = table.get(c)
        if n is None or n < 0:
            self.out.append(Issue("unknown-command", self.d[start:self.i], start))
            return
        p = self.take(n, start)
        if p is not None:
            self.out.append(Command(f"{prefix} {chr(c)}", p, start))

    def gs(self, start: int) -> None:
        head = self.take(1, start)
        if head is None:
            return
        c = head[0]
        if c == 0x21:  # GS !
            p = self.take(1, start)
            if p is not None:
                self.scale = ((p[0] >> 4 & 7) + 1, (p[0] & 7) + 1)
                self.out.append(Command("GS !", p, start))
        elif c == 0x56:  # GS V
            self.cut(start)
        elif c == 0x76:  # GS v 0 m xL xH yL yH d...
            self.raster(start)
        elif c == 0x28:  # GS ( fn pL pH ...
            self.gs_paren(start)
        elif c == 0x6B:  # GS k m ...: barcode
            self.barcode(start)
        else:
            self.fixed(start, "GS", c, GS_FIXED)

    def cut(self, start: int) -> None:
        p = self.take(1, start)
        if p is None:
            return
        m = p[0]
        if m in (0, 1, 48, 49):
            self.flush()
            self.out.append(Cut(partial=bool(m & 1), offset=start))
        elif m in (65, 66):
            n = self.take(1, start)
            if n is not None:
                self.flush()
                self.out.append(Cut(partial=m == 66, feed=n[0], offset=start))
        else:
            self.out.append(Issue("unknown-command", self.d[start:self.i], start))

    def raster(self, start: int) -> None:
        p = self.take(6, start)
        if p is None:
            return
        if p[0] not in (0x30, 0x00):
            self.out.append(Issue("unknown-command", self.d[start:self.i], start))
            return
        xb, rows = p[2] + p[3] * 256, p[4] + p[5] * 256
        data = self.take(xb * rows, start)
        if data is not None:
            self.flush()
            self.out.append(Raster(xb * 8, rows, data, p[1], start))

    def gs_paren(self, start: int) -> None:
        p = self.take(3, start)
        if p is None:
            return
        fn, size = p[0], p[1] + p[2] * 256
        body = self.take(size, start)
        if body is None:
            return
        if fn != 0x6B or size < 2 or body[0] != 0x31:  # only QR (cn 49) is decoded
            self.out.append(Command(f"GS ( {chr(fn)}", body[:2], start))
            return
        f, args = body[1], body[2:]
        if f == 0x41 and args:
            self.qr["model"] = args[0] - 48
        elif f == 0x43 and args:
            self.qr["size"] = args[0]
        elif f == 0x45 and args:
            self.qr["ec"] = args[0]
        elif f == 0x50 and args:
            self.qr["raw"] = bytes(args[1:])  # args[0] is m = 0x30
        elif f == 0x51:
            self.flush()
            raw = self.qr.get("raw")
            if raw is None:
                self.out.append(Issue("qr-without-data", b"", start))
                return
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            self.out.append(QrCode(text, raw, self.qr.get("size"), self.qr.get("ec"), self.qr.get("model"),
                                   self.align, start))
            return
        self.out.append(Command(f"GS ( k {chr(f)}", bytes(args[:1]), start))

    def barcode(self, start: int) -> None:
        p = self.take(1, start)
        if p is None:
            return
        if p[0] <= 6:  # m 0..6: data up to NUL
            end = self.d.find(b"\x00", self.i)
            if end < 0:
                self.out.append(Issue("truncated", self.d[start:], start))
                self.i = len(self.d)
                return
            self.i = end + 1
        else:  # m 65..73: length byte then data
            n = self.take(1, start)
            if n is None or self.take(n[0], start) is None:
                return
        self.out.append(Command("GS k", p, start))

    def fs(self, start: int) -> None:
        head = self.take(1, start)
        if head is None:
            return
        c = head[0]
        if c in (0x26, 0x2E):  # FS & / FS .
            self.chinese = c == 0x26
            self.out.append(Command(f"FS {chr(c)}", b"", start))
        else:
            self.fixed(start, "FS", c, FS_FIXED)

    def dle(self, start: int) -> None:
        head = self.take(1, start)
        if head is None:
            return
        c = head[0]
        if c in (0x04, 0x05):  # DLE EOT n / DLE ENQ n (real-time)
            p = self.take(1, start)
            if p is not None and c == 0x04 and p[0] in (7, 8):
                extra = self.take(1, start)
                p = None if extra is None else p + extra
            if p is not None:
                self.out.append(Command("DLE EOT" if c == 0x04 else "DLE ENQ", p, start))
        elif c == 0x14:  # DLE DC4 fn m t
            p = self.take(3, start)
            if p is not None:
                self.out.append(Command("DLE DC4", p, start))
        else:
            self.out.append(Issue("unknown-command", self.d[start:self.i], start))


def decode(data: bytes, *, chinese_default: bool = False, cjk_encoding: str = "gb18030",
           strict: bool = False) -> Decoded:
    """Decode a byte stream. ``chinese_default``: the printer starts in Chinese mode (DIP switch)."""
    if cjk_encoding not in ("gb18030", "gbk", "big5"):
        raise ValueError(f"cjk_encoding must be gb18030, gbk or big5, not {cjk_encoding!r}")
    result = Decoded(_Decoder(data, chinese_default, cjk_encoding).run())
    if strict and result.issues:
        first = result.issues[0]
        raise DecodeError(f"{first.kind} at offset {first.offset}")
    return result


def zbar_available() -> bool:
    return shutil.which("zbarimg") is not None


def decode_qr_image(raster: Raster, scale: int = 4) -> list[str]:
    """Payloads zbarimg finds in a raster block (upscaled, as escpos-tools' users do)."""
    exe = shutil.which("zbarimg")
    if exe is None:
        raise RuntimeError("zbarimg (zbar-tools) is not installed")
    fd, path = tempfile.mkstemp(suffix=".png")
    os.close(fd)
    try:
        raster.to_image(scale).save(path)
        proc = subprocess.run([exe, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", path],
                              capture_output=True, timeout=20, check=False)
    finally:
        os.unlink(path)
    return [line.decode("utf-8", "replace") for line in proc.stdout.splitlines() if line]
