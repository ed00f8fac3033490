"""Form and scan patterns run on citizen input, so they must not be able to hang the kiosk."""
import textwrap
import time

from kiosk.flow.bundle import load_bundle


def test_a_backtracking_pattern_answers_at_once(tmp_path):
    folder = tmp_path / "item"
    folder.mkdir()
    (folder / "flow.yaml").write_text(textwrap.dedent("""\
        format: 2
        id: item
        version: 1.0.0
        title: {zh-CN: 事项, en: Item}
        category: demo
        steps:
          - id: f
            kind: form
            title: {zh-CN: 表, en: Form}
            fields:
              - name: code
                label: {zh-CN: 代码, en: Code}
                pattern: "(a|a)*b"
                max_length: 200
            next: bye
          - id: bye
            kind: end
        """))
    bundle = load_bundle(tmp_path)
    assert bundle.ok, bundle.problems
    pattern = bundle.flows["item"].patterns[("f", "pattern", "code")]
    started = time.monotonic()
    assert not pattern.fullmatch("a" * 60)  # Python's re needs hours for this
    assert pattern.fullmatch("aaab")
    assert time.monotonic() - started < 1
