"""A call-back asked for at a kiosk's dead end (wire.messages.CallbackRequest, over MQTT) becomes a help-desk task
on the console, with the number sealed: through a real MQTT publish to a real `backoffice serve`, delivered
twice as QoS 1 may, it makes exactly one task, listed masked; the number opens only with the desk's key and is
nowhere in the database or the log in clear."""
from __future__ import annotations

import json
import sqlite3
import time

from backoffice.helpdesk.secrets import PhoneSeal
from tests.backoffice import reports
from tests.fleet.mqtt_helpers import connected_client, disconnect_client
from wire import codec, messages, topics

PHONE = "13987654321"
KIOSK = "K-CB2"



def test_a_dead_end_call_back_request_makes_one_sealed_task_however_often_it_comes(console, console_broker):
    viewer, agent = console.token("viewer"), console.token("agent", name="desk")
    kiosk = connected_client(console_broker.port, "cb-kiosk-2")
    try:
        request = messages.CallbackRequest(flow="social-security-certificate", step="query", reason="unavailable",
                                           locale="zh-CN", phone=PHONE, session_seq=1, at=time.time() - 60, seq=7)
        payload = codec.dump(request.as_dict())
        kiosk.publish(topics.topic(KIOSK, topics.BIRTH), codec.dump(reports.birth(KIOSK).as_dict()),
                      qos=1).wait_for_publish(5)
        for _ in range(2):  # the broker delivers it again (a kiosk that did not see the ack resends it)
            kiosk.publish(topics.topic(KIOSK, topics.EVENTS), payload, qos=1).wait_for_publish(5)
        deadline = time.monotonic() + 15
        while sum(json.loads(console.get(viewer, "/api/v1/ingest"))["counts"].values()) < 3:
            assert time.monotonic() < deadline, "the two deliveries were never both taken in"
            time.sleep(0.1)  # polling another process, bounded by the deadline
        listing = console.get(agent, "/helpdesk/callbacks")
    finally:
        disconnect_client(kiosk)
    db = next(console.workdir.rglob("backoffice.db"))
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, kiosk_id, item, skill, state, phone_sealed, phone_masked, created_at, "
                            "target_at FROM helpdesk_callbacks").fetchall()
        kinds = [k for (k,) in conn.execute("SELECT kind FROM helpdesk_events WHERE kiosk_id = ?", (KIOSK,))]
    assert len(rows) == 1, rows  # one task, not one per delivery
    task_id, kiosk_id, item, skill, state, sealed, masked, created, target = rows[0]
    assert (kiosk_id, item, skill, state) == (KIOSK, "social-security-certificate", "general", "open")
    assert masked.endswith("4321") and PHONE not in masked and 4 * 3600 - 1 <= target - created <= 4 * 3600 + 1
    assert kinds == ["callback_requested"]  # counted once in the desk's figures
    key = next(console.workdir.rglob("helpdesk-phone.key"))
    assert PhoneSeal(key).open(sealed, str(task_id)) == PHONE  # an agent who opens it gets the number
    assert masked in listing and PHONE not in listing and KIOSK in listing
    stored = b"".join(p.read_bytes() for p in db.parent.glob("backoffice.db*"))
    assert PHONE.encode() not in stored
    assert PHONE not in console.log.read_text(errors="replace")
