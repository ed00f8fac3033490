"""The linter checks an item's guide video, subtitles, illustrations and icon before a kiosk ever plays them."""
import shutil
from pathlib import Path

from tests.flow.lintkit import lint_item
from tests.kiosk_kit import FLOWS

SERVICES = "format: 2\nservices: {}\n"
FLOW = """\
format: 2
id: item
version: 1.0.0
title: {{zh-CN: 事项, en: Item}}
category: demo
icon: {icon}
requires: [id_reader]
{media}
steps:
  - id: card
    kind: read_id_card
    title: {{zh-CN: 请刷卡, en: Place your card}}
    timeout_s: 30
    next: {{ok: bye, timeout: bye, unreadable: bye, expired: bye, rejected: bye, error: bye}}
  - id: bye
    kind: end
"""
SRT = "1\n00:00:00,000 --> 00:00:03,000\n请刷身份证\n"
VIDEO = FLOWS / "queue-ticket" / "guide.webm"


def lint(tmp_path, media: str, files: dict | None = None, icon: str = "shield", binaries: dict | None = None):
    folder = tmp_path / "item"
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in (binaries or {}).items():
        if isinstance(src, Path):
            shutil.copy(src, folder / name)
        else:
            (folder / name).write_bytes(src)
    return lint_item(tmp_path, SERVICES, FLOW.format(media=media, icon=icon), files)


def found(problems):
    return [(p.rule, p.line, p.message) for p in problems]


def test_a_video_with_subtitles_and_an_own_illustration_lint_clean(tmp_path):
    media = "media: {video: guide.mp4, subtitles: {zh-CN: g.srt, en: g.srt}, illustrations: {id_card: our.png}}"
    problems = lint(tmp_path, media, {"g.srt": SRT}, binaries={"guide.mp4": VIDEO, "our.png": b"\x89PNG..."})
    assert problems == []


def test_a_missing_video_is_located_at_its_name(tmp_path):
    problems = lint(tmp_path, "media: {video: guide.mp4}")
    assert found(problems) == [("media/file", 8, "no file 'guide.mp4' beside the flow")]


def test_a_video_of_a_kind_the_kiosk_does_not_play(tmp_path):
    problems = lint(tmp_path, "media: {video: guide.avi}", binaries={"guide.avi": b"RIFF"})
    assert [p.rule for p in problems] == ["media/file"] and ".mp4" in problems[0].message


def test_an_oversized_video_is_refused(tmp_path):
    with open(tmp_path / "big.mp4", "wb") as f:  # sparse: 21 MiB on paper, nothing on disk
        f.truncate(21 << 20)
    problems = lint(tmp_path, "media: {video: guide.mp4}", binaries={"guide.mp4": tmp_path / "big.mp4"})
    assert [p.rule for p in problems] == ["media/file"] and "at most 20480 KiB" in problems[0].message


def test_broken_subtitles_name_their_line(tmp_path):
    bad = "1\n00:00:03,000 --> 00:00:01,000\n倒着的时间\n"
    problems = lint(tmp_path, "media: {video: guide.mp4, subtitles: g.srt}", {"g.srt": bad},
                    binaries={"guide.mp4": VIDEO})
    assert [p.rule for p in problems] == ["media/file"]
    assert "g.srt: line 2: the cue ends before it starts" in problems[0].message


def test_a_path_outside_the_folder_is_a_schema_error(tmp_path):
    problems = lint(tmp_path, "media: {video: ../../etc/passwd.mp4}")
    assert [p.rule for p in problems] == ["schema/string-pattern-mismatch"]


def test_an_unknown_illustration_name_is_a_schema_error(tmp_path):
    problems = lint(tmp_path, "media: {illustrations: {id_crad: our.png}}")
    assert problems and all(p.rule.startswith("schema/") for p in problems)


def test_a_symlinked_video_is_refused(tmp_path):
    folder = tmp_path / "item"
    folder.mkdir()
    (folder / "guide.mp4").symlink_to(VIDEO)
    problems = lint(tmp_path, "media: {video: guide.mp4}")
    assert "io/symlink" in [p.rule for p in problems]


def test_an_unknown_icon_is_a_warning_listing_the_shipped_ones(tmp_path):
    problems = lint(tmp_path, "", icon="sheild")
    assert [(p.rule, p.severity) for p in problems] == [("media/unknown-icon", "warning")]
    assert "shield" in problems[0].message


def test_an_icon_of_its_own_must_be_beside_the_flow(tmp_path):
    problems = lint(tmp_path, "", icon="own.png")
    assert found(problems) == [("media/file", 6, "no file 'own.png' beside the flow")]


def test_an_animation_must_be_a_zip_of_png_frames(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("00.png", b"\x89PNG")
        z.writestr("notes.txt", b"hello")
    problems = lint(tmp_path, "media: {illustrations: {id_card: card.zip}}", binaries={"card.zip": buf.getvalue()})
    assert [p.rule for p in problems] == ["media/file"] and "PNG frames" in problems[0].message
    problems = lint(tmp_path, "media: {illustrations: {id_card: card.zip}}", binaries={"card.zip": b"not a zip"})
    assert [p.rule for p in problems] == ["media/file"] and "not a zip of PNG frames" in problems[0].message
