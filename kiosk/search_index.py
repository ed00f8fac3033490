"""Search keys of a flow bundle's items: each title and keyword as characters with all their pinyin readings.

Built once per bundle (the readings come from pypinyin's character table,
every reading of a polyphone kept: 参 is can, cen and shen), so a keystroke
only walks a few short strings. A query matches a key where it lines up with
consecutive characters of it, each query letter run covering a whole
syllable, its start (an initial: sbcx), or, at the query's end, part of one.
"""
from __future__ import annotations

import os
from functools import lru_cache

from kiosk.i18n import pick

MAX_QUERY = 24


def _readings(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(character, its toneless readings) for each character; Latin letters and digits read as themselves."""
    # pypinyin loads its phrase table (some 45 MiB) unless told not to; single characters need only its
    # character table, which is also where every reading of a polyphone is listed.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, pinyin

    out = []
    for ch in text:
        if ch.isspace():
            continue
        if ch.isascii():
            out.append((ch.lower(), (ch.lower(),) if ch.isalnum() else ()))
            continue
        readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
        out.append((ch, tuple(dict.fromkeys(r for r in (readings[0] if readings else ()) if r.isascii()))))
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
        for fid, f in flows.items():
            self.keys[fid] = [_readings(w) for w in (pick(f.title, "zh-CN"), *f.keywords)]
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
