"""Receipt -> ESC/POS bytes, owned by us rather than python-escpos.

Why: python-escpos 3.1 sends a string as GB18030 only when it contains an
ideograph, never sends FS & / FS ., and turns everything else it cannot map
(Chinese punctuation on its own, CJK Ext-A, rare name characters) into a
silent '?'. A government receipt with a wrong character in a name is worse
than no receipt. So this encoder checks every character against the printer
model's profile and either prints it natively, rasterises the whole line, or
fails the job with :class:`UnprintableText` that counts the characters.

Printer models are data (:data:`PROFILES`), not subclasses. Pure: bytes in
memory only; the font search runs once per encoder, on first need.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from typing import Any

from devices.errors import ConfigError, DeviceError
from devices.receipt_printer.raster import QR_EC_M, FontSet, gs_v0, qr_matrix, qr_rows
from devices.records import Cut, Feed, QrCode, Receipt, Text
from devices.status import Reason

ESC_INIT = b"\x1b\x40"  # ESC @: clear buffer, reset modes to power-on defaults
FS_CN_ON = b"\x1c\x26"  # FS &: enter Chinese (double-byte) character mode
FS_CN_OFF = b"\x1c\x2e"  # FS .: leave Chinese character mode
LF = b"\x0a"
ALIGN = {"left": 0, "center": 1, "right": 2}  # ESC a n

# Capability profiles. Keys are documented on :class:`Profile`.
PROFILES: dict[str, dict[str, Any]] = {
    # 80 mm Chinese thermal receipt printers (Xprinter, Rongta, SNBC, Hprt class):
    # GB18030 font with the double-byte (GBK) repertoire; Chinese mode by FS &.
    "generic-gb18030": {"encoding": "gb18030", "chinese_mode_cmds": True, "dots_per_line": 576, "native_qr": True},
    # The same on 58 mm paper: 48 mm printable at 8 dots/mm.
    "generic-gb18030-58": {"encoding": "gb18030", "chinese_mode_cmds": True, "dots_per_line": 384, "native_qr": True},
    # Older firmware with a GBK font only.
    "generic-gbk": {"encoding": "gbk", "chinese_mode_cmds": True, "dots_per_line": 576, "native_qr": True},
    # Traditional-Chinese firmware (Taiwan, Hong Kong builds).
    "generic-big5": {"encoding": "big5", "chinese_mode_cmds": True, "dots_per_line": 576, "native_qr": True},
    # Western firmware without a CJK font and without GS ( k: everything non-ASCII as raster.
    "generic-raster": {"encoding": None, "chinese_mode_cmds": False, "dots_per_line": 576, "native_qr": False},
    # SNBC BT-T080 kiosk mechanism: DLE EOT 3 bit 2 reports a paper jam.
    "snbc-bt-t080": {"encoding": "gb18030", "chinese_mode_cmds": True, "dots_per_line": 576, "native_qr": True,
                     "model_bit": "jam"},
}


@dataclass(frozen=True)
class Profile:
    name: str
    encoding: str | None  # gb18030 | gbk | big5, or None when the printer has no CJK font
    chinese_mode_cmds: bool  # FS & / FS . must be sent; False when the mode is fixed by DIP switch
    dots_per_line: int  # 576 for 80 mm paper, 384 for 58 mm (8 dots/mm heads)
    native_qr: bool  # GS ( k supported; otherwise the QR is sent as a raster image
    four_byte_glyphs: bool = False  # the font has GB18030 4-byte characters (Ext-A); rare, off by default
    confirm_with_gs_r: bool = True  # GS r 1 answers only after the buffer is printed: our end-of-job barrier
    model_bit: str | None = None  # Reason for DLE EOT 3 bit 2 (vendor-specific), e.g. "jam"
    raster_rows: int = 960  # rows per GS v 0 block; bigger blocks overflow USB buffers (python-escpos#631)
    cut_feed: int = 0  # GS V 65/66 n: dots to feed beyond the cutter position before cutting

    @property
    def model_reason(self) -> Reason | None:
        return Reason(self.model_bit) if self.model_bit else None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def get_profile(name: str, **overrides: Any) -> Profile:
    """Profile by name, with per-installation overrides; unknown names or keys are ConfigError."""
    if name not in PROFILES:
        raise ConfigError(f"unknown printer profile {name!r}; known: {', '.join(sorted(PROFILES))}")
    known = {f.name for f in dataclasses.fields(Profile)} - {"name"}
    for key in overrides:
        if key not in known:
            raise ConfigError(f"unknown profile option {key!r}; known: {', '.join(sorted(known))}")
    profile = Profile(name=name, **{**PROFILES[name], **overrides})
    if profile.encoding not in (None, "gb18030", "gbk", "big5"):
        raise ConfigError(f"profile encoding must be gb18030, gbk, big5 or null, not {profile.encoding!r}")
    if profile.dots_per_line % 8 or not 8 <= profile.dots_per_line <= 2048:
        raise ConfigError("profile dots_per_line must be a multiple of 8 (raster rows are whole bytes)")
    if profile.model_bit is not None and profile.model_bit not in Reason.__members__.values():
        raise ConfigError(f"profile model_bit {profile.model_bit!r} is not a status reason")
    return profile


class EncodeError(DeviceError):
    """The receipt cannot be expressed for this printer; nothing was sent."""

    reason = Reason.PROTOCOL_ERROR


class UnprintableText(EncodeError):
    """Characters that would have come out as '?'. Counts only: receipt text is personal data."""

    def __init__(self, count: int, lines: int, why: str):
        super().__init__(f"{count} character(s) on {lines} line(s) cannot be printed: {why}")
        self.count = count
        self.lines = lines


@dataclass(frozen=True)
class EncodedJob:
    data: bytes
    text_lines: int = 0
    raster_lines: int = 0
    qr_codes: int = 0


# Substitutes tried when a character is not printable as is. U+00A5 is a
# 4-byte sequence in GB18030 (81 30 84 36) and absent from GBK; the full-width
# U+FFE5 is A3 A4 in both.
_SUBSTITUTES = {"\u00a5": "\uffe5"}
_NOT_GLYPHS = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, format, surrogates, private, unassigned


class ReceiptEncoder:
    """Encodes receipts for one profile. ``unprintable``: "raster" or "fail".

    ``font_path`` names a CJK font for raster lines; otherwise one is searched
    (Noto CJK, WenQuanYi, Droid Sans Fallback) unless ``search_fonts`` is False.
    """

    def __init__(self, profile: Profile, *, unprintable: str = "raster", font_path: str | None = None,
                 search_fonts: bool = True):
        if unprintable not in ("raster", "fail"):
            raise ConfigError(f"unprintable must be 'raster' or 'fail', not {unprintable!r}")
        self.profile = profile
        self.unprintable = unprintable
        self.fonts = FontSet(font_path, search=search_fonts)

    # character checks ---------------------------------------------------------
    def native(self, ch: str) -> bool:
        """Whether the printer's own font prints ``ch`` as it is (before any substitution)."""
        if " " <= ch <= "~":
            return True
        if self.profile.encoding is None or unicodedata.category(ch) in _NOT_GLYPHS:
            return False
        try:
            encoded = ch.encode(self.profile.encoding)
        except UnicodeEncodeError:
            return False
        # Double-byte codes are the fonts' common repertoire; single high bytes (GBK 0x80)
        # and GB18030 4-byte codes are missing from most printer fonts.
        return len(encoded) == 2 or (len(encoded) == 4 and self.profile.four_byte_glyphs)

    def normalize(self, line: str) -> str:
        return "".join(_SUBSTITUTES[c] if c in _SUBSTITUTES and not self.native(c) else c for c in line)

    def _bad_chars(self, line: str) -> list[str]:
        return [c for c in line if not self.native(c)]

    # encoding -----------------------------------------------------------------
    def encode(self, receipt: Receipt) -> EncodedJob:
        plan = self._plan(receipt)
        w = _Writer(self.profile)
        counts = {"text": 0, "raster": 0, "qr": 0}
        for kind, el, line in plan:
            if kind == "text":
                w.text_line(line, el, self.profile.encoding)
                counts["text"] += 1
            elif kind == "raster":
                w.raster(self.fonts.render(line, scale=el.scale, bold=el.bold, align=el.align,
                                           width=self.profile.dots_per_line))
                counts["raster"] += 1
            elif kind == "qr":
                w.qr(el)
                counts["qr"] += 1
            elif kind == "feed":
                w.feed(el.lines)
            else:
                w.cut(el.partial)
        if not plan or plan[-1][0] != "cut":
            w.cut(False)  # the contract is "print and cut"
        w.leave_chinese()
        return EncodedJob(bytes(w.buf), counts["text"], counts["raster"], counts["qr"])

    def _plan(self, receipt: Receipt) -> list[tuple[str, Any, str]]:
        """Validate everything and choose text/raster per line before a byte is produced."""
        plan: list[tuple[str, Any, str]] = []
        failed_chars = failed_lines = 0
        why = ""
        for el in receipt.elements:
            if isinstance(el, Text):
                _check_text(el)
                for raw in el.text.split("\n"):
                    line = self.normalize(raw[:-1] if raw.endswith("\r") else raw)
                    bad = self._bad_chars(line)
                    if not bad:
                        plan.append(("text", el, line))
                        continue
                    lost, why_line = self._raster_loss(line, bad)
                    if lost:
                        failed_chars, failed_lines, why = failed_chars + lost, failed_lines + 1, why_line
                    plan.append(("raster", el, line))
            elif isinstance(el, QrCode):
                self._check_qr(el)
                plan.append(("qr", el, ""))
            elif isinstance(el, Feed):
                if not isinstance(el.lines, int) or not 0 <= el.lines <= 255:
                    raise EncodeError("Feed.lines must be 0..255 (ESC d n)")
                plan.append(("feed", el, ""))
            elif isinstance(el, Cut):
                plan.append(("cut", el, ""))
            else:
                raise EncodeError(f"unsupported receipt element {type(el).__name__}")
        if failed_chars:
            raise UnprintableText(failed_chars, failed_lines, why)
        return plan

    def _raster_loss(self, line: str, bad: list[str]) -> tuple[int, str]:
        """How many characters a raster rendering of ``line`` would still lose, and why."""
        if self.unprintable == "fail":
            return len(bad), f"not in the {self.profile.encoding or 'ASCII'} font and raster fallback is off"
        controls = sum(1 for c in bad if unicodedata.category(c) in _NOT_GLYPHS)
        if controls:  # never drawn either: they could smuggle printer commands into the job
            return controls, "control or unassigned characters"
        missing = sum(1 for c in line if not self.fonts.has_glyph(c))
        if not missing:
            return 0, ""
        if not self.fonts.available:
            return missing, "no CJK font found for raster fallback (install fonts-noto-cjk or fonts-wqy-zenhei)"
        return missing, "no installed font has a glyph for them"

    def _check_qr(self, el: QrCode) -> None:
        if el.align not in ALIGN:
            raise EncodeError(f"QrCode.align must be one of {', '.join(ALIGN)}")
        if not isinstance(el.size, int) or not 1 <= el.size <= 16:
            raise EncodeError("QrCode.size must be 1..16 dots per module (GS ( k function 167)")
        try:
            modules = len(qr_matrix(el.data))
        except ValueError as exc:
            raise EncodeError(str(exc)) from exc
        if modules * el.size > self.profile.dots_per_line:
            raise EncodeError(f"QR code is {modules * el.size} dots wide; the line has {self.profile.dots_per_line}")


def _check_text(el: Text) -> None:
    if el.align not in ALIGN:
        raise EncodeError(f"Text.align must be one of {', '.join(ALIGN)}")
    if not isinstance(el.scale, int) or not 1 <= el.scale <= 8:
        raise EncodeError("Text.scale must be 1..8 (GS ! allows 1..8 times)")


class _Writer:
    """Byte buffer plus the printer modes it has set, so each mode is sent only on change.

    The tracked modes start at what ESC @ leaves: left, scale 1, bold off.
    Chinese mode is forced off after ESC @ because its power-on default is a
    DIP-switch setting we cannot see.
    """

    def __init__(self, profile: Profile):
        self.p = profile
        self.buf = bytearray(ESC_INIT)
        self.align, self.scale, self.bold, self.chinese = 0, 1, False, False
        if profile.chinese_mode_cmds:
            self.buf += FS_CN_OFF

    def modes(self, align: str, scale: int = 1, bold: bool = False) -> None:
        a = ALIGN[align]
        if a != self.align:
            self.buf += b"\x1b\x61" + bytes([a])  # ESC a n
            self.align = a
        if scale != self.scale:
            # GS ! n: bits 4-6 width-1, bits 0-2 height-1
            self.buf += b"\x1d\x21" + bytes([(scale - 1) << 4 | (scale - 1)])
            self.scale = scale
        if bold != self.bold:
            self.buf += b"\x1b\x45" + bytes([int(bold)])  # ESC E n
            self.bold = bold

    def enter_chinese(self) -> None:
        if self.p.chinese_mode_cmds and not self.chinese:
            self.buf += FS_CN_ON
            self.chinese = True

    def leave_chinese(self) -> None:
        if self.p.chinese_mode_cmds and self.chinese:
            self.buf += FS_CN_OFF
            self.chinese = False

    def text_line(self, line: str, el: Text, encoding: str | None) -> None:
        self.modes(el.align, el.scale, el.bold)
        if line.isascii():
            self.leave_chinese()
            self.buf += line.encode("ascii")
        else:
            self.enter_chinese()
            self.buf += line.encode(encoding or "ascii")  # strict: native() vetted every character
        self.buf += LF

    def raster(self, rows: list[bytes]) -> None:
        self.modes("left")  # the bitmap is full width with the alignment drawn in
        self.buf += gs_v0(rows, self.p.dots_per_line // 8, self.p.raster_rows)

    def qr(self, el: QrCode) -> None:
        if not self.p.native_qr:
            self.modes("left")  # the alignment is drawn into the full-width bitmap
            self.buf += gs_v0(qr_rows(el.data, el.size, el.align, self.p.dots_per_line),
                              self.p.dots_per_line // 8, self.p.raster_rows)
            return
        self.modes(el.align)  # ESC a also positions GS ( k symbols
        data = el.data.encode("utf-8")  # QR payloads are UTF-8 by convention (python-escpos, scanners)
        k = b"\x1d\x28\x6b"  # GS ( k, cn = 0x31 (QR)
        self.buf += k + b"\x04\x00\x31\x41\x32\x00"  # fn 165: model 2
        self.buf += k + b"\x03\x00\x31\x43" + bytes([el.size])  # fn 167: module size in dots
        self.buf += k + b"\x03\x00\x31\x45" + bytes([QR_EC_M])  # fn 169: error correction M (15%)
        n = len(data) + 3  # pL pH count cn, fn, m and the data
        self.buf += k + bytes([n & 0xFF, n >> 8]) + b"\x31\x50\x30" + data  # fn 180: store
        self.buf += k + b"\x03\x00\x31\x51\x30"  # fn 181: print the stored symbol

    def feed(self, lines: int) -> None:
        if lines:
            self.buf += b"\x1b\x64" + bytes([lines])  # ESC d n: print and feed n lines

    def cut(self, partial: bool) -> None:
        # GS V 65/66 n (function B): feed to the cutter position plus n dots, then cut,
        # so the last printed line is above the blade.
        self.buf += b"\x1d\x56" + bytes([66 if partial else 65, self.p.cut_feed])


def encode_receipt(receipt: Receipt, profile: str | Profile = "generic-gb18030", **options: Any) -> bytes:
    """Convenience for tests and the CLI: bytes only."""
    prof = profile if isinstance(profile, Profile) else get_profile(profile)
    return ReceiptEncoder(prof, **options).encode(receipt).data
