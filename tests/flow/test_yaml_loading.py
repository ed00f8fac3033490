"""Untrusted flow files: every bad input gets a located error, quickly, never a traceback."""
import time

import pytest
import yaml

from kiosk.flow.loader import load_bytes
from kiosk.flow.problems import ProblemsError

GOOD = b"""format: 2
id: demo
version: 1.0.0
title: {zh-CN: \xe6\xbc\x94\xe7\xa4\xba, en: Demo}
category: demo
steps:
  - id: bye
    kind: end
"""


def problems(raw: bytes):
    with pytest.raises(ProblemsError) as exc:
        load_bytes(raw, "f.yaml")
    return exc.value.problems


def test_a_minimal_flow_loads():
    loaded = load_bytes(GOOD, "f.yaml")
    assert loaded.doc.id == "demo"
    assert loaded.doc.steps[0].kind == "end"


def test_duplicate_keys_are_an_error_with_their_line():
    (p,) = problems(GOOD + b"id: again\n")
    assert (p.rule, p.line) == ("yaml/duplicate-key", 9)


def test_yaml_1_1_booleans_stay_strings():
    # PyYAML would turn `on`/`no` into booleans; here they must remain text and fail the schema as text.
    raw = GOOD.replace(b"category: demo", b"category: no")
    loaded = load_bytes(raw, "f.yaml")
    assert loaded.doc.category == "no"


@pytest.mark.parametrize("raw, rule", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "yaml/encoding"),
    (b"a: &x [1, 2]\nb: *x\n", "yaml/alias"),
    (b"a: !!python/object:os.system ls\n", "yaml/tag"),
    (b"a: !custom 1\n", "yaml/tag"),
    (b"[" * 5000 + b"]" * 5000, "yaml/too-deep"),
    (b"a: [1, 2\n", "yaml/syntax"),
    (b"- just\n- a list\n", "schema/type"),
    (b"x: 1\n---\ny: 2\n", "yaml/multiple-documents"),
])
def test_hostile_inputs_get_a_clear_located_error(raw, rule):
    (p,) = problems(raw)[:1]
    assert p.rule == rule
    assert p.line >= 1 and p.col >= 1


@pytest.mark.parametrize("raw, col", [(b"[" * 5000 + b"]" * 5000, 33), (b"{a: " * 5000 + b"}" * 5000, 129)])
def test_deep_nesting_is_too_deep_where_the_33rd_level_opens(raw, col):
    # libyaml (in PyYAML 6.0.4's wheels) refuses these itself at 1000 levels, before handing over any event.
    (p,) = problems(raw)
    assert (p.rule, p.line, p.col) == ("yaml/too-deep", 1, col)


class _LibyamlWithAShallowLimit(yaml.CSafeLoader):
    """A libyaml whose own nesting limit is 20 levels: it refuses ahead of the events, as the real one does at 1000."""

    def __init__(self, stream):
        super().__init__(stream)
        self.text = stream

    def check_event(self, *choices):
        if self.text.startswith("[" * 21):
            mark = yaml.Mark("<unicode string>", 20, 0, 20, None, None)
            raise yaml.scanner.ScannerError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)
        return super().check_event(*choices)


def test_the_depth_limit_is_the_loaders_whatever_libyamls_own_limit(monkeypatch):
    monkeypatch.setattr(yaml, "CSafeLoader", _LibyamlWithAShallowLimit)
    (p,) = problems(b"[" * 40 + b"]" * 40)
    assert (p.rule, p.line, p.col) == ("yaml/too-deep", 1, 33)
    # What libyaml refuses for another reason keeps libyaml's located message.
    (p,) = problems(b"[" * 21 + b"]" * 21)
    assert (p.rule, p.line, p.col) == ("yaml/syntax", 1, 21)
    assert "nesting depth" in p.message


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = b"a: &a [x,x,x,x,x,x,x,x,x]\n" + b"".join(
        b"%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n" % ((chr(98 + i).encode(),) * 2 + (chr(97 + i).encode(),) * 9)
        for i in range(8))
    started = time.monotonic()
    assert problems(bomb)[0].rule == "yaml/alias"
    assert time.monotonic() - started < 2


def test_a_50_mb_file_is_refused_by_size():
    (p,) = problems(b"a: " + b"x" * 50_000_000)
    assert p.rule == "yaml/too-large"


def test_schema_errors_point_at_the_value_and_suggest_names():
    raw = GOOD.replace(b"    kind: end\n", b"    kind: ned\n  - id: x\n    kind: notice\n    tiemout_s: 5\n")
    found = {(p.rule, p.line): p.message for p in problems(raw)}
    assert "did you mean 'end'" in found[("schema/union-tag-invalid", 8)]
    assert "did you mean 'timeout_s'" in found[("schema/extra-forbidden", 11)]


def test_format_from_the_future_is_refused_with_advice():
    (p,) = problems(GOOD.replace(b"format: 2", b"format: 99"))
    assert p.rule == "format/version" and "upgrade" in p.message


def test_format_1_files_are_migrated_in_memory():
    v1 = b"""format: 1
id: old
version: 1.0.0
title: {zh-CN: a, en: a}
category: demo
steps:
  card:
    kind: read_id_card
    timeout: 30
    next: {ok: bye, timeout: bye}
  bye:
    kind: end
"""
    loaded = load_bytes(v1, "old.yaml")
    assert loaded.migrated_from == 1
    assert [s.id for s in loaded.doc.steps] == ["card", "bye"]
    assert loaded.doc.steps[0].timeout_s == 30
