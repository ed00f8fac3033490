"""Subtitles of a muted guide video: SubRip as editors write it, errors located, cues looked up by time."""
import pytest

from kiosk.flow.media import SubtitleError, cue_at, parse_srt


def test_subrip_with_a_bom_windows_line_ends_tags_and_no_numbers():
    text = "\ufeff1\r\n00:00:00,000 --> 00:00:02,500\r\n<i>请刷</i>身份证\r\n\r\n00:00:02.500 --> 00:00:05,000\r\n核对信息\r\n第二行\r\n"
    cues = parse_srt(text)
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 2.5, "请刷身份证"), (2.5, 5.0, "核对信息\n第二行")]
    assert cue_at(cues, 1.0) == "请刷身份证" and cue_at(cues, 2.5) == "核对信息\n第二行" and cue_at(cues, 9) == ""


@pytest.mark.parametrize("text, where", [
    ("1\nnot a time\ntext\n", "line 2"),
    ("1\n00:00:05,000 --> 00:00:01,000\nbackwards\n", "line 2"),
    ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n", "line 6"),
])
def test_a_malformed_block_names_its_line(text, where):
    with pytest.raises(SubtitleError, match=where):
        parse_srt(text)
