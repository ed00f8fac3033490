"""Search keys of a flow bundle's items: each title and keyword as characters with all their pinyin readings.

Built once per bundle, so a keystroke only walks a few short strings. The
readings come from the on-screen keyboard's generated table
(kiosk/ui/data/pinyin.tsv, every reading pypinyin lists for the GB2312
characters, 6,763 of them, each polyphone with all of its readings: 参 is
can, cen and shen; 行 is xing and hang, so 银行 matches yh and yx). Only the
characters of the bundle's titles and keywords are kept from one pass over
the file: pypinyin's own character table (41,000 characters) stayed resident
after the first search, 11.7 MiB of a kiosk that has 250. A rarer character
is matched as itself only. A query matches a key where it lines up with
consecutive characters of it, each query letter run covering a whole
syllable, its start (an initial: sbcx), or, at the query's end, part of one.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from kiosk.i18n import pick

MAX_QUERY = 24
TABLE = ("ui", "data", "pinyin.tsv")  # under the kiosk package; read as a file, kiosk.ui is not imported


def table_readings(characters: set[str], table=None) -> dict[str, tuple[str, ...]]:
    """Character -> its readings in the table, table order, for ``characters`` only."""
    src = table if table is not None else resources.files("kiosk").joinpath(*TABLE)
    found: dict[str, dict[str, None]] = {}
    with src.open(encoding="utf-8") as f:
        for line in f:
            syllable, _, rest = line.partition("\t")
            ch = rest.partition("\t")[0]
            if ch in characters and not line.startswith("#"):
                found.setdefault(ch, {})[syllable] = None
    return {ch: tuple(r) for ch, r in found.items()}


def _readings(text: str, table: dict[str, tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(character, its toneless readings) for each character; Latin letters and digits read as themselves."""
    out = []
    for ch in text:
        if ch.isspace():
            continue
        if ch.isascii():
            out.append((ch.lower(), (ch.lower(),) if ch.isalnum() else ()))
            continue
        out.append((ch, table.get(ch, ())))
    return tuple(out)


def _match_at(key, q: str, qi: int, ki: int, memo: dict) -> bool:
    if qi == len(q):
        return True
    if ki == len(key):
        return False
    state = (qi, ki)
    if state in memo:
        return memo[state]
    ch, readings = key[ki]
    if not q[qi].isascii():
        ok = q[qi] == ch and _match_at(key, q, qi + 1, ki + 1, memo)
    else:
        ok = False
        for r in readings:
            n = 0
            while n < len(r) and qi + n < len(q) and q[qi + n] == r[n]:
                n += 1
            if n and (qi + n == len(q)  # the query ends inside (or at the end of) this syllable
                      or (n == len(r) and _match_at(key, q, qi + n, ki + 1, memo))  # the whole syllable
                      or _match_at(key, q, qi + 1, ki + 1, memo)):  # its initial
                ok = True
                break
    memo[state] = ok
    return ok


def matches_key(key, query: str) -> bool:
    """True where ``query`` lines up with consecutive characters of ``key`` (see the module's docstring)."""
    q = "".join(query.split()).lower()[:MAX_QUERY]
    if not q:
        return True
    memo: dict = {}
    return any(_match_at(key, q, qi=0, ki=start, memo=memo) for start in range(len(key)))


class SearchIndex:
    def __init__(self, flows: dict):
        """``flows``: flow id -> model.Flow (listed items only matter)."""
        self.keys: dict[str, list[tuple]] = {}
        self.latin: dict[str, str] = {}  # English title and Latin keywords, lower case
        words = {fid: (pick(f.title, "zh-CN"), *f.keywords) for fid, f in flows.items()}
        table = table_readings({ch for ws in words.values() for w in ws for ch in w if not ch.isascii()})
        for fid, f in flows.items():
            self.keys[fid] = [_readings(w, table) for w in words[fid]]
            self.latin[fid] = " ".join([f.title.get("en", ""), *(k for k in f.keywords if k.isascii())]).lower()

    def matches(self, flow_id: str, query: str) -> bool:
        q = " ".join(query.split()).lower()
        if q and q.isascii() and q in self.latin.get(flow_id, ""):
            return True  # English words of the title
        return any(matches_key(k, query) for k in self.keys.get(flow_id, []))


@lru_cache(maxsize=2)
def index_for(bundle_sha: str, flows_key: tuple) -> SearchIndex:
    """One index per bundle; ``flows_key`` is ((id, model.Flow), ...), hashable because flows are frozen."""
    return SearchIndex(dict(flows_key))
