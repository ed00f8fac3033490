"""Raster support for the ESC/POS encoder: bitmaps for lines the printer font lacks, QR codes for printers
without GS ( k, and GS v 0 framing. Rows are packed MSB first, 1 = a black dot. Pure: no I/O but the font search.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import qrcode
import qrcode.exceptions
from PIL import Image, ImageDraw, ImageFont

from devices.errors import ConfigError


QR_EC_M = 0x31  # GS ( k function 169: 0x30 L, 0x31 M, 0x32 Q, 0x33 H; M survives thermal smudges
QR_QUIET = 4  # modules of blank margin the QR spec requires around the symbol
FONT_DOTS = 24  # ESC/POS font A is 12x24 dots, the CJK font 24x24: one scale step is 24 dots high
LINE_PITCH = 30  # default line spacing (ESC 2) is 30 dots, i.e. 3.75 mm on 8 dots/mm heads

# Face index inside .ttc collections: Noto CJK orders JP, KR, SC, TC, HK, so SC is 2.
CJK_FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallback.ttf", 0),
)
LATIN_FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 0),
)


def find_cjk_font() -> tuple[str, int] | None:
    """A CJK-capable font on this machine: known paths first, then fontconfig."""
    for path, index in CJK_FONT_CANDIDATES:
        if os.path.exists(path):
            return path, index
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "--format", "%{file}|%{index}|%{family}\n"],
                             capture_output=True, text=True, timeout=3, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    faces = [line.split("|", 2) for line in out.splitlines() if line.count("|") >= 2]
    faces.sort(key=lambda f: not any(tag in f[2] for tag in ("SC", "CN", "GB")))  # simplified Chinese first
    for path, index, _family in faces:
        if path.lower().endswith((".ttf", ".ttc", ".otf")) and os.path.exists(path):
            return path, int(index) if index.isdigit() else 0
    return None


class FontSet:
    """The fonts used for raster lines: a CJK font, a Latin font, Pillow's own default.

    Pillow has no "has glyph" call, so a character counts as missing when it
    renders exactly like the font's .notdef box (the rendering of U+10FFFD, a
    private-use code no font maps). Loaded on first use and cached per instance.
    """

    def __init__(self, font_path: str | None, *, search: bool = True):
        if font_path and not os.path.exists(font_path):
            raise ConfigError(f"font_path {font_path!r} does not exist")
        self._explicit = font_path
        self._search = search
        self._faces: list[tuple[str | None, int]] | None = None
        self._cjk = False
        self._fonts: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}
        self._notdef: dict[int, tuple] = {}
        self._choice: dict[str, int | None] = {}

    def _load(self) -> list[tuple[str | None, int]]:
        if self._faces is None:
            cjk = (self._explicit, 0) if self._explicit else (find_cjk_font() if self._search else None)
            self._cjk = cjk is not None
            faces: list[tuple[str | None, int]] = [cjk] if cjk else []
            faces += [(p, i) for p, i in LATIN_FONT_CANDIDATES if os.path.exists(p)][:1]
            faces.append((None, 0))  # Pillow's bundled scalable font: ASCII is never lost
            self._faces = faces
        return self._faces

    @property
    def available(self) -> bool:
        self._load()
        return self._cjk

    def _font(self, face: int, size: int) -> ImageFont.FreeTypeFont:
        key = (face, size)
        if key not in self._fonts:
            path, index = self._load()[face]
            self._fonts[key] = (ImageFont.truetype(path, size, index=index) if path
                                else ImageFont.load_default(size=size))
        return self._fonts[key]

    def _face_for(self, ch: str) -> int | None:
        if ch not in self._choice:
            self._choice[ch] = None
            for face in range(len(self._load())):
                font = self._font(face, FONT_DOTS)
                if face not in self._notdef:
                    self._notdef[face] = _mask_key(font, "\U0010fffd")
                if _mask_key(font, ch) != self._notdef[face]:
                    self._choice[ch] = face
                    break
        return self._choice[ch]

    def has_glyph(self, ch: str) -> bool:
        return ch.isspace() or self._face_for(ch) is not None

    def render(self, text: str, *, scale: int, bold: bool, align: str, width: int) -> list[bytes]:
        """Draw ``text`` like a printed line of that size, wrapped at ``width`` dots."""
        size, pitch = FONT_DOTS * scale, LINE_PITCH * scale
        lines: list[list[tuple[str, int | None, float]]] = [[]]
        used = 0.0
        for ch in text:
            face = self._face_for(ch) if not ch.isspace() else len(self._load()) - 1
            adv = self._font(face, size).getlength(ch) if face is not None else 0.0
            if used + adv > width and lines[-1]:
                lines.append([])
                used = 0.0
            lines[-1].append((ch, face, adv))
            used += adv
        img = Image.new("1", (width, pitch * len(lines)), 0)
        draw = ImageDraw.Draw(img)
        for row, line in enumerate(lines):
            length = sum(a for _, _, a in line)
            x = {"left": 0.0, "center": (width - length) / 2, "right": width - length}[align]
            baseline = row * pitch + (pitch - size) // 2 + round(size * 0.86)
            for ch, face, adv in line:
                if face is not None and not ch.isspace():
                    draw.text((x, baseline), ch, font=self._font(face, size), fill=1, anchor="ls",
                              stroke_width=1 if bold else 0, stroke_fill=1)
                x += adv
        raw, stride = img.tobytes(), width // 8  # mode "1" packs MSB first, 1 = drawn
        return [raw[i:i + stride] for i in range(0, len(raw), stride)]


def _mask_key(font: ImageFont.FreeTypeFont, ch: str) -> tuple:
    mask = font.getmask(ch, mode="1")
    return mask.size, bytes(mask)


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules (no quiet zone) for ``data`` as UTF-8 bytes, error correction M."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data.encode("utf-8"))
    try:
        qr.make(fit=True)
    except qrcode.exceptions.DataOverflowError as exc:
        raise ValueError(f"QR payload of {len(data.encode('utf-8'))} bytes does not fit a QR code") from exc
    return qr.get_matrix()


def qr_rows(data: str, size: int, align: str, width: int) -> list[bytes]:
    """A QR code drawn as raster rows ``width`` dots wide, quiet zone included."""
    matrix = qr_matrix(data)
    symbol = len(matrix) * size
    quiet = min(QR_QUIET * size, (width - symbol) // 2)
    left = {"left": quiet, "center": (width - symbol) // 2, "right": width - symbol - quiet}[align]
    blank = bytes(width // 8)
    rows = [blank] * (QR_QUIET * size)
    for modules in matrix:
        bits = 0
        for i, dark in enumerate(modules):
            if dark:
                bits |= ((1 << size) - 1) << (width - left - (i + 1) * size)
        rows += [bits.to_bytes(width // 8, "big")] * size
    return rows + [blank] * (QR_QUIET * size)


def gs_v0(rows: list[bytes], width_bytes: int, max_rows: int) -> bytes:
    """GS v 0 m xL xH yL yH d...: raster bit image, split into blocks of ``max_rows``."""
    out = bytearray()
    for start in range(0, len(rows), max_rows):
        block = rows[start:start + max_rows]
        out += b"\x1d\x76\x30\x00" + width_bytes.to_bytes(2, "little") + len(block).to_bytes(2, "little")
        out += b"".join(block)
    return bytes(out)
