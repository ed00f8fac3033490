"""The desk's call-back offer on the real screen (Xvfb), elderly landscape (the tightest layout): the offer in big
words beside keep-waiting and end, in both languages; the number on the keypad, a short one refused on screen;
the booking's time; nothing overflows; the step below stays where it was."""
import json
import sys

import pytest

from tests.ui.test_touch_ui import needs_x, under_x


@pytest.fixture(scope="module")
def run():
    r = under_x(sys.executable, "tests/ui/callback_probe.py")
    line = next((x for x in r.stdout.splitlines() if x.startswith("PROBE")), None)
    assert line, r.stdout[-2000:] + r.stderr[-3000:]
    return json.loads(line[5:])


@needs_x
def test_the_offer_shows_beside_keep_waiting_and_end_in_both_languages(run):
    assert run["waiting"]["offer"] is None and "call:callback" not in run["waiting"]["kids"]  # only once offered
    for name, words in (("offer", "留下手机号码"), ("offer_en", "Leave your number")):
        screen = run[name]
        assert words in screen["offer"]
        assert {"call:callback", "call:callback_wait", "call:end"} <= set(screen["kids"])
        assert screen["overflow"] == [] and screen["step"] == "consent"


@needs_x
def test_the_number_is_typed_on_the_keypad_and_a_short_one_is_refused_on_screen(run):
    assert run["typing"]["field"] == "1391234" and "key:5" in run["typing"]["kids"]
    assert run["refused"]["error"].startswith("号码不对") and run["refused"]["overflow"] == []
    assert run["whole"]["field"] == "139****5678"  # whole: shown masked, as every call-back form does


@needs_x
def test_the_booking_shows_its_time_and_the_visit_goes_on(run):
    assert run["sent"] == ["139****5678"]
    assert run["booked"]["state"].startswith("✓  已记下您的号码") and "call:close" in run["booked"]["kids"]
    assert run["booked"]["overflow"] == []
    assert run["closed"] == {"panel": False, "mode": "visit", "step": "consent"}
