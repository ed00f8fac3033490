"""Make the two CJK fonts the kiosk ships, as subsets of the installed Noto CJK SC faces.

assets/fonts/KioskSerifSC-GB2312.ttf, the serif face every A4 certificate is
set in. The full face has 65 535 glyphs in a 26 MB collection, so every
render copied and subset the whole thing (5 s with fontTools, 0.2 s with
HarfBuzz) and each PDF carried a 230 kB font. The GB 2312 repertoire (6 763
hanzi, 682 symbols) plus ASCII, Latin-1 and CJK punctuation covers the static
text of templates and almost all names; the renderer falls back per
character to the installed full face for the rest. Its CFF outlines are
converted to TrueType (quadratic, within 1/1000 em): PDFs then embed a CID
TrueType font (FontFile2, PDF 1.3), which old printer interpreters read,
rather than OpenType/CFF in FontFile3 (PDF 1.6).

assets/fonts/KioskSansSC.otf, the touch screen's face. Kivy's text provider
(SDL_ttf) opens the collection's first face, which is Noto Sans CJK *JP*:
Japanese glyph forms on a Chinese hall's screen (直, 骨, 没 differ). And it
opens a face per font size, each holding the face's per-glyph tables: 2.6
MiB resident per size with the 65 535-glyph collection, about 1 MiB with
this subset, for the dozen sizes a kiosk shows. SDL_ttf has no per-character
fallback, so the subset keeps every CJK Unified Ideograph (U+4E00-U+9FFF,
GBK's hanzi and the rarer characters of names) beside the symbols, and the
outlines stay CFF (FreeType draws them as well as the original).

Shipping the files also pins the glyphs and metrics, so a screen or a page
lays out the same on every kiosk whatever font package it has. The sources
are under the SIL Open Font License 1.1; a subset is a Modified Version, so
each gets its own family name and ships with the licence text
(assets/fonts/OFL.txt). Output is byte-for-byte reproducible for a given
source font and fontTools version.

    .venv/bin/python scripts/gen_cjk_subset.py                 # both, from fc-match's Noto CJK SC faces
    .venv/bin/python scripts/gen_cjk_subset.py --face sans --source /path/NotoSansCJK-Regular.ttc --index 2
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "assets" / "fonts"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
MAX_ERR = 1.0  # cubic-to-quadratic tolerance in font units (1/1000 em: 0.004 mm at 12 pt)

EXTRA_RANGES = [  # beyond GB 2312: what certificates print besides hanzi
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (·, ×, °, ±)
    (0x2000, 0x206F),  # general punctuation (— … ‰ ※)
    (0x2100, 0x218F),  # letterlike and number forms (℃ № Ⅰ Ⅱ)
    (0x2460, 0x24FF),  # enclosed numbers (① ②)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。〇《》【】)
    (0x3200, 0x33FF),  # enclosed CJK and CJK compatibility (㈠ ㎡ ㎏)
    (0xFF01, 0xFF5E),  # full-width ASCII
    (0xFFE0, 0xFFE6),  # full-width signs (￥)
]
SCREEN_RANGES = [  # beyond those, what the touch screen shows
    (0x2190, 0x21FF),  # arrows (← ↑ on scroll hints and keys)
    (0x2300, 0x23FF),  # technical symbols (⌫ on the PIN pad)
    (0x2500, 0x26FF),  # box drawing, shapes, symbols (▲ ▼ ● ★ ☆)
    (0x2700, 0x27BF),  # dingbats (✓ ✗)
    (0x4E00, 0x9FFF),  # every CJK Unified Ideograph: names and addresses use far more than GB 2312
]


@dataclass(frozen=True)
class Face:
    source_family: str  # the installed face, as fc-match names it
    out: str  # file name under assets/fonts
    family: str  # the Modified Version's own name
    ps_name: str
    what: str  # name ID 5's note
    use: str  # name ID 10's: what it is for
    ranges: tuple  # code point ranges beyond GB 2312
    truetype: bool  # convert CFF outlines to glyf

    def wanted(self) -> set[int]:
        return gb2312() | {cp for lo, hi in self.ranges for cp in range(lo, hi + 1)}


FACES = {
    "serif": Face("Noto Serif CJK SC", "KioskSerifSC-GB2312.ttf", "Kiosk Serif SC", "KioskSerifSC-Regular",
                  "GB 2312 subset, TrueType outlines", "kiosk certificates", tuple(EXTRA_RANGES), truetype=True),
    "sans": Face("Noto Sans CJK SC", "KioskSansSC.otf", "Kiosk Sans SC", "KioskSansSC-Regular",
                 "CJK Unified Ideographs subset", "the kiosk's touch screen", tuple(EXTRA_RANGES + SCREEN_RANGES),
                 truetype=False),
}


def gb2312() -> set[int]:
    """Every character GB 2312 encodes, from Python's codec: rows 0xA1-0xF7, cells 0xA1-0xFE."""
    out = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def find_source(face: Face) -> tuple[Path, int]:
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", f"{face.source_family}:style=Regular"],
                         capture_output=True, text=True, check=True).stdout
    path, index, family = out.split("|", 2)
    if face.source_family not in family:
        sys.exit(f"{face.source_family} is not installed (fc-match gave {family!r}); apt-get install fonts-noto-cjk")
    return Path(path), int(index)


def to_truetype(font: TTFont) -> None:
    """Replace CFF outlines by quadratic glyf outlines, the way fontTools' otf2ttf snippet does."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))  # CFF runs counter-clockwise, glyf clockwise
        glyf.glyphs[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    del font["CFF "]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(order)
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    hmtx = font["hmtx"]
    for name in order:  # TrueType expects lsb == xMin
        glyph = glyf.glyphs[name]
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    post = font["post"]
    post.formatType = 3.0  # no glyph names: nothing reads them, and they cost 100 kB
    font.sfntVersion = "\0\1\0\0"
    font["head"].glyphDataFormat = 0


def rename(font: TTFont, face: Face, source_version: str) -> None:
    """OFL 1.1: a Modified Version carries its own name; copyright and licence records stay."""
    name = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    name.names = [r for r in name.names if r.nameID in keep]
    for plat, enc, lang in ((3, 1, 0x409), (1, 0, 0)):
        for nid, text in ((1, face.family), (2, "Regular"), (3, f"{source_version};{face.ps_name}"),
                          (4, f"{face.family} Regular"), (5, f"{source_version}; {face.what}"),
                          (6, face.ps_name),
                          (10, f"{face.source_family} subset for {face.use}, by scripts/gen_cjk_subset.py")):
            name.setName(text, nid, plat, enc, lang)


def licence_text(made: list[str]) -> str:
    """OFL.txt: one line per shipped subset (what it was made from), then the licence."""
    head = ("".join(made) + "Noto Serif CJK and Noto Sans CJK are (c) Adobe (http://www.adobe.com/) and are licensed\n"
            "under the SIL Open Font License, Version 1.1, reproduced below. Noto is a trademark of Google Inc.\n\n")
    if DEBIAN_COPYRIGHT.exists():  # the Debian package carries the full OFL text as an indented stanza
        lines = DEBIAN_COPYRIGHT.read_text().splitlines()
        for i, line in enumerate(lines[:-1]):
            if line.strip() == "License: SIL-1.1" and lines[i + 1].startswith(" "):
                body = []
                for text in lines[i + 1:]:
                    if not text.startswith(" "):
                        break
                    body.append("" if text.strip() == "." else text[1:])
                return head + "\n".join(body).strip() + "\n"
    return head + "Full text: https://openfontlicense.org/open-font-license-official-text/\n"


def make(face: Face, source: Path, index: int, out: Path) -> str:
    """Write the subset; its line for OFL.txt."""
    font = TTFont(source, fontNumber=index, recalcTimestamp=False)
    source_version = font["name"].getDebugName(5) or "unknown version"
    options = subset.Options()
    options.layout_features = ["kern", "palt", "halt"]  # no locl/aalt: they pull in JP, KR and TC glyph variants
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]  # horizontal text only
    options.name_IDs, options.name_languages = ["*"], ["*"]
    options.notdef_outline = True  # a missing glyph shows as a box, never as a silent gap
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=face.wanted())
    subsetter.subset(font)
    if face.truetype:
        to_truetype(font)
    rename(font, face, source_version)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    data = out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    covered = len(TTFont(out, lazy=True).getBestCmap())
    print(f"{out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {len(data) / 1e6:.2f} MB, "
          f"{font['maxp'].numGlyphs} glyphs, {covered} characters, sha256 {digest[:16]}…")
    return (f"{out.name} is a Modified Version of {face.source_family} ({source_version}),\n"
            f"made from {source.name} by scripts/gen_cjk_subset.py (sha256 {digest}).\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--face", choices=[*FACES, "all"], default="all")
    ap.add_argument("--source", type=Path, help="the Noto CJK collection or OTF (default: fc-match)")
    ap.add_argument("--index", type=int, default=None, help="face index in a .ttc (default: the SC face)")
    ap.add_argument("--out", type=Path, default=FONTS, help="folder to write into")
    args = ap.parse_args(argv)
    made = []
    for key, face in FACES.items():
        if args.face in (key, "all"):
            source, index = (args.source, args.index or 0) if args.source else find_source(face)
            if args.index is not None:
                index = args.index
            made.append(make(face, source, index, args.out / face.out))
        elif (args.out / face.out).exists():  # keep the other file's line as it is
            made.append(_licence_line(face, args.out))
    (args.out / "OFL.txt").write_text(licence_text(made))
    return 0


def _licence_line(face: Face, folder: Path) -> str:
    """The two lines `folder`'s OFL.txt already has for `face`'s file (none if it has none)."""
    ofl = folder / "OFL.txt"
    lines = ofl.read_text().splitlines(keepends=True) if ofl.exists() else []
    i = next((i for i, line in enumerate(lines) if line.startswith(face.out + " ")), None)
    return "".join(lines[i:i + 2]) if i is not None else ""


if __name__ == "__main__":
    sys.exit(main())
