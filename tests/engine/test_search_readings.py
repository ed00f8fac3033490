"""Search reads the keyboard's generated pinyin table, not pypinyin: same readings, and pypinyin never loaded."""
import subprocess
import sys
from pathlib import Path

from kiosk.flow.bundle import load_bundle
from kiosk.search_index import SearchIndex, table_readings
from tests.kiosk_kit import FLOWS

ROOT = Path(__file__).resolve().parents[2]


def shipped_characters() -> set[str]:
    flows = load_bundle(FLOWS).flows
    return {ch for cf in flows.values() for w in (*cf.flow.title.values(), *cf.flow.keywords) for ch in w
            if "\u4e00" <= ch <= "\u9fff"}


def test_every_reading_pypinyin_gives_the_shipped_items_characters_is_in_the_table():
    """The table is generated from pypinyin (scripts/gen_pinyin_table.py); a stale or thinned one fails here."""
    from pypinyin import Style, pinyin

    chars = shipped_characters()
    table = table_readings(chars)
    missing = {}
    for ch in sorted(chars):
        want = {r for r in pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")[0]
                if r.isascii() and r.isalpha() and any(v in r for v in "aeiouv")}
        if want - set(table.get(ch, ())):
            missing[ch] = sorted(want - set(table.get(ch, ())))
    assert chars and missing == {}


def test_a_polyphone_matches_by_the_initial_of_each_of_its_readings(tmp_path):
    table = tmp_path / "pinyin.tsv"
    table.write_text("# header\nyin\t银\tC\nhang\t行\tC\nxing\t行\tC\n", encoding="utf-8")
    readings = table_readings({"银", "行"}, table)
    assert readings == {"银": ("yin",), "行": ("hang", "xing")}


def test_bank_items_are_found_by_either_reading_of_hang():
    """银行 is yinhang; a citizen who reads 行 as xing and types yx still finds it."""
    flows = load_bundle(FLOWS).flows
    fid, cf = next(iter(flows.items()))
    banked = cf.flow.model_copy(update={"keywords": (*cf.flow.keywords, "银行卡")})
    idx = SearchIndex({fid: banked})
    assert idx.matches(fid, "yhk") and idx.matches(fid, "yxk") and idx.matches(fid, "yinhang")
    assert not idx.matches(fid, "yqk")


def test_searching_does_not_load_pypinyin():
    code = ("import sys; from kiosk.flow.bundle import load_bundle; from kiosk.search_index import SearchIndex; "
            f"fl = load_bundle({str(FLOWS)!r}).flows; idx = SearchIndex({{k: v.flow for k, v in fl.items()}}); "
            "assert any(idx.matches(k, 'sbcbzm') for k in fl); "
            "sys.exit('pypinyin loaded' if 'pypinyin' in sys.modules else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
