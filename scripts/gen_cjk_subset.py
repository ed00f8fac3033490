"""Make assets/fonts/KioskSerifSC-GB2312.ttf: the serif face every A4 certificate is set in.

Why a committed subset instead of the installed Noto Serif CJK: the full face
has 65 535 glyphs in a 26 MB collection, so every render copied and subset
the whole thing (5 s with fontTools, 0.2 s with HarfBuzz) and each PDF
carried a 230 kB font. The GB 2312 repertoire (6 763 hanzi, 682 symbols)
plus ASCII, Latin-1 and CJK punctuation covers the static text of templates
and almost all names; the renderer falls back per character to the installed
full face for the rest. Shipping the file also pins the glyphs and metrics,
so a page lays out the same on every kiosk whatever font package it has.

The CFF outlines are converted to TrueType (quadratic, within 1/1000 em):
PDFs then embed a CID TrueType font (FontFile2, PDF 1.3), which old printer
interpreters read, rather than OpenType/CFF in FontFile3 (PDF 1.6).

The source is under the SIL Open Font License 1.1; a subset is a Modified
Version, so it gets its own family name ("Kiosk Serif SC") and ships with the
licence text (assets/fonts/OFL.txt). Output is byte-for-byte reproducible for
a given source font and fontTools version.

    .venv/bin/python scripts/gen_cjk_subset.py            # uses fc-match "Noto Serif CJK SC"
    .venv/bin/python scripts/gen_cjk_subset.py --source /path/NotoSerifCJK-Regular.ttc --index 2
"""
from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "fonts" / "KioskSerifSC-GB2312.ttf"
FAMILY = "Kiosk Serif SC"
PS_NAME = "KioskSerifSC-Regular"
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


def find_source() -> tuple[Path, int]:
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", "Noto Serif CJK SC:style=Regular"],
                         capture_output=True, text=True, check=True).stdout
    path, index, family = out.split("|", 2)
    if "Noto Serif CJK SC" not in family:
        sys.exit(f"Noto Serif CJK SC is not installed (fc-match gave {family!r}); apt-get install fonts-noto-cjk")
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


def rename(font: TTFont, source_version: str) -> None:
    """OFL 1.1: a Modified Version carries its own name; copyright and licence records stay."""
    name = font["name"]
    keep = {0, 7, 8, 9, 11, 12, 13, 14}
    name.names = [r for r in name.names if r.nameID in keep]
    for plat, enc, lang in ((3, 1, 0x409), (1, 0, 0)):
        for nid, text in ((1, FAMILY), (2, "Regular"), (3, f"{source_version};{PS_NAME}"),
                          (4, f"{FAMILY} Regular"), (5, f"{source_version}; GB 2312 subset, TrueType outlines"),
                          (6, PS_NAME),
                          (10, "Noto Serif CJK SC subset for kiosk certificates, by scripts/gen_cjk_subset.py")):
            name.setName(text, nid, plat, enc, lang)


def licence_text(source: Path, source_version: str, digest: str) -> str:
    head = (f"{OUT.name} is a Modified Version of Noto Serif CJK SC ({source_version}),\n"
            f"made from {source.name} by scripts/gen_cjk_subset.py (sha256 {digest}).\n"
            "Noto Serif CJK is (c) Adobe (http://www.adobe.com/) and is licensed under the\n"
            "SIL Open Font License, Version 1.1, reproduced below. Noto is a trademark of Google Inc.\n\n")
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", type=Path, help="Noto Serif CJK collection or OTF (default: fc-match)")
    ap.add_argument("--index", type=int, default=None, help="face index in a .ttc (default: the SC face)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    source, index = (args.source, args.index or 0) if args.source else find_source()
    if args.index is not None:
        index = args.index

    font = TTFont(source, fontNumber=index, recalcTimestamp=False)
    source_version = font["name"].getDebugName(5) or "unknown version"
    wanted = gb2312() | {cp for lo, hi in EXTRA_RANGES for cp in range(lo, hi + 1)}
    options = subset.Options()
    options.layout_features = ["kern", "palt", "halt"]  # no locl/aalt: they pull in JP, KR and TC glyph variants
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE"]  # horizontal print only
    options.name_IDs, options.name_languages = ["*"], ["*"]
    options.notdef_outline = True  # a missing glyph shows as a box, never as a silent gap
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    to_truetype(font)
    rename(font, source_version)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    font.save(args.out)
    data = args.out.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (args.out.parent / "OFL.txt").write_text(licence_text(source, source_version, digest))
    covered = len(TTFont(args.out, lazy=True).getBestCmap())
    print(f"{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: {len(data) / 1e6:.2f} MB, "
          f"{font['maxp'].numGlyphs} glyphs, {covered} characters, sha256 {digest[:16]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
