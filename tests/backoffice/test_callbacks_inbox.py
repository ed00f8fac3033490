"""callbacks_inbox.take in process: the task's skill queue from the item, one task per request however often it
is taken, a request without a report number keyed by its content, and something that is not a phone number
refused (masked and stored as an event all the same, but no task to call nobody)."""
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import callbacks_inbox, db
from backoffice.helpdesk.secrets import PhoneSeal
from backoffice.models import HelpCallback
from backoffice.reports import Report
from wire import messages

PHONE = "13811112222"


def request(seq=5, phone=PHONE, flow="real-estate-query", at=1000.0):
    body = {"v": 1, "kind": "callback_request", "flow": flow, "step": "query", "reason": "unavailable",
            "locale": "zh-CN", "phone": phone, "session_seq": 1, "at": at}
    if seq is not None:
        body["seq"] = seq
    return Report("K-9", messages.CallbackRequest, body)


def setup(tmp_path):
    engine = db.engine(f"sqlite:///{tmp_path / 'bo.db'}")
    db.upgrade(engine)
    desk = callbacks_inbox.Desk(PhoneSeal(tmp_path / "phone.key"), 3600.0, {"real-estate-query": "real_estate"})
    return engine, desk


def tasks(engine):
    with Session(engine) as s:
        return list(s.scalars(select(HelpCallback)))


def test_a_task_per_request_in_the_items_queue_however_often_it_is_taken(tmp_path):
    engine, desk = setup(tmp_path)
    with structlog.testing.capture_logs() as logged:
        for report in (request(), request(), request(seq=6, flow="other-item"), request(seq=None),
                       request(seq=None)):
            stored = callbacks_inbox.take(engine, report, desk)
            assert stored.body["phone"] == "138****2222"
    made = tasks(engine)
    assert [(t.item, t.skill) for t in made] == [("real-estate-query", "real_estate"), ("other-item", "general"),
                                                 ("real-estate-query", "real_estate")]
    assert all(t.target_at - t.created_at == 3600.0 and t.created_at == 1000.0 for t in made)  # from the asking
    assert desk.seal.open(made[0].phone_sealed, str(made[0].id)) == PHONE
    assert PHONE not in repr(logged)


def test_what_is_not_a_phone_number_makes_no_task(tmp_path):
    engine, desk = setup(tmp_path)
    stored = callbacks_inbox.take(engine, request(phone="call me"), desk)
    assert tasks(engine) == [] and "call me" not in repr(stored.body)
