"""A citizen's call-back request carries a phone number: the back office keeps it only masked. Planted
through a real MQTT publish to a real `backoffice serve`, then looked for everywhere it could have landed."""
from __future__ import annotations

import json
import time

from backoffice.callbacks_inbox import mask
from tests.backoffice import reports
from tests.fleet.mqtt_helpers import connected_client, disconnect_client
from wire import codec, messages, topics

PHONE = "13812345678"
KIOSK = "K-CB1"



def test_a_callback_requests_phone_number_is_stored_masked_and_shown_nowhere_in_clear(console, console_broker):
    token = console.token("viewer")
    kiosk = connected_client(console_broker.port, "cb-kiosk")
    try:
        request = messages.CallbackRequest(flow="social_security", step="submit", reason="backend_unavailable",
                                           locale="zh-CN", phone=PHONE, session_seq=1, at=2000.0)
        for which, msg in ((topics.BIRTH, reports.birth(KIOSK)), (topics.EVENTS, request)):
            kiosk.publish(topics.topic(KIOSK, which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 15
        while json.loads(console.get(token, "/api/v1/ingest"))["counts"].get("stored", 0) < 2:
            assert time.monotonic() < deadline, "the call-back request was never stored"
            time.sleep(0.1)  # polling another process, bounded by the deadline
        answers = "".join(console.get(token, path) for path in (
            "/api/v1/kiosks", f"/api/v1/kiosks/{KIOSK}", f"/api/v1/kiosks/{KIOSK}/events?since=0",
            f"/api/v1/kiosks/{KIOSK}/history?since=0", "/api/v1/alerts"))
    finally:
        disconnect_client(kiosk)
    stored = b"".join(p.read_bytes() for p in console.workdir.glob("backoffice.db*"))
    assert mask(PHONE) == "138****5678" and b"138****5678" in stored  # the request is kept, masked
    assert PHONE.encode() not in stored
    assert PHONE not in answers
    assert PHONE not in console.log.read_text(errors="replace")
