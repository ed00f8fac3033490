"""The after-visit events on the wire: a rating and a call-back request, checked like every message."""
import json

import pytest

from wire.errors import WireError
from wire.messages import CallbackRequest, Rating, decode_event

RATING = Rating(flow="queue-ticket", result="completed", level=5, reasons=[])
CALLBACK = CallbackRequest(flow="social-security-certificate", step="query", reason="unavailable", locale="zh-CN",
                           phone="13812345678")


def test_both_round_trip_through_the_events_topic():
    assert decode_event(RATING.encode()) == RATING
    assert decode_event(CALLBACK.encode()) == CALLBACK


@pytest.mark.parametrize("field, value", [("level", 6), ("level", "5"), ("result", "interrupted"),
                                          ("reasons", "slow")])
def test_a_bad_rating_is_refused_naming_the_field(field, value):
    body = {**json.loads(RATING.encode()), field: value}
    with pytest.raises(WireError) as err:
        decode_event(json.dumps(body))
    assert err.value.at == field


def test_the_phone_number_never_shows_in_repr_or_in_a_refusal():
    assert "13812345678" not in repr(CALLBACK) and "138****5678" in repr(CALLBACK)
    body = {**json.loads(CALLBACK.encode()), "phone": 13812345678}  # a number where a string belongs
    with pytest.raises(WireError) as err:
        decode_event(json.dumps(body))
    assert "13812345678" not in str(err.value)
