"""The touch screen's font: Chinese glyph forms, and a glyph for every character the kiosk can show.

Kivy's text provider has no per-character fallback: a character the font
lacks is drawn as an empty box. The font is a subset (scripts/gen_cjk_subset.py),
so what the shipped screens and flows say is checked against its character map.
"""
import ast
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from kiosk.ui import theme

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # Debian's fonts-noto-cjk


@pytest.fixture(scope="module")
def cmap():
    return TTFont(theme.FONT, lazy=True).getBestCmap()


def shown_strings(path: Path):
    """The string constants of a module, its docstrings and the bounds of character tests left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    docs |= {id(c) for node in ast.walk(tree) if isinstance(node, ast.Compare) for c in (node.left, *node.comparators)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def test_every_character_the_kiosk_and_its_flows_show_has_a_glyph(cmap):
    missing = {}
    for path in sorted((ROOT / "kiosk").rglob("*.py")):
        for line, text in shown_strings(path):
            for ch in text:
                if ord(ch) > 0x7E and ord(ch) not in cmap and ch not in "\ufeff":
                    missing.setdefault(ch, f"{path.relative_to(ROOT)}:{line}")
    for path in sorted([*(ROOT / "flows").rglob("*.yaml"), *(ROOT / "flows").rglob("*.srt")]):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for ch in line:
                if ord(ch) > 0x7E and ord(ch) not in cmap:
                    missing.setdefault(ch, f"{path.relative_to(ROOT)}:{n}")
    assert not missing, {f"{ch} U+{ord(ch):04X}": where for ch, where in missing.items()}


def test_rare_characters_of_names_beyond_gb2312_have_glyphs(cmap):
    for ch in "堃赟喆昇淼犇鑫琇禤":  # common in given names and surnames, none of them in GB 2312
        assert ord(ch) in cmap, ch


@pytest.mark.skipif(not SYSTEM.exists(), reason="needs fonts-noto-cjk (the source of the subset)")
def test_hanzi_are_drawn_in_their_simplified_chinese_forms_not_the_japanese_ones():
    """The collection's first face, which Kivy opened before, is Noto Sans CJK JP: 直 and 骨 differ from SC's."""
    def outline(font, ch):
        glyphs = font.getGlyphSet()
        pen = RecordingPen()
        glyphs[font.getBestCmap()[ord(ch)]].draw(pen)
        return pen.value

    ours = TTFont(theme.FONT, lazy=True)
    sc, jp = (TTFont(SYSTEM, fontNumber=i, lazy=True) for i in (2, 0))
    assert "SC" in sc["name"].getDebugName(1) and "JP" in jp["name"].getDebugName(1)
    for ch in "直骨":
        assert outline(ours, ch) == outline(sc, ch)
        assert outline(ours, ch) != outline(jp, ch)


def test_keys_are_labelled_in_the_themes_sizes_so_no_extra_face_is_opened():
    from kiosk.ui.keyboard import ELDERLY, NORMAL

    for metrics, t in ((NORMAL, theme.Theme()), (ELDERLY, theme.Theme().for_view(True))):
        assert {metrics.font, int(metrics.font * 0.8)} <= {t.small, t.body}
