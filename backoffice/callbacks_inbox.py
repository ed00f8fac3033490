"""Where a citizen's call-back request (wire.messages.CallbackRequest, sent from the kiosk's failure-ending
screen) enters the back office, before anything of it is stored.

Ingest stores events generically (events.payload is the message as sent), and the phone number is the one
personal field the wire contract carries. So ingest hands every CallbackRequest to `take` first and stores
what it returns: the same request with the number masked (138****5678), enough for an operator to see that a
call-back was asked for and to match it to a citizen who calls in, useless to anyone reading the database,
its backups, the API or the logs.

`take` is also the one place that sees the clear number, so it is where the help desk's call-back task is
made (backoffice/helpdesk/callbacks.py: the same table, states and console page as a call-back booked from
a waiting video call), with the number sealed under the desk's phone key. A report can come twice (QoS 1,
a JetStream redelivery after a failed commit): the task's key is derived from the kiosk and the report's
sequence number, and the table holds each key once, so the second delivery finds its task and adds none.
"""
from __future__ import annotations

import dataclasses
import hashlib
import time

import structlog
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backoffice.helpdesk.secrets import PhoneSeal, mask_phone
from backoffice.models import HelpCallback, HelpEvent
from backoffice.reports import Report
from wire import signaling as sig

log = structlog.get_logger("backoffice.helpdesk")


@dataclasses.dataclass(frozen=True)
class Desk:
    """What a task needs from the help desk's configuration: its phone key, its target, its skill queues."""
    seal: PhoneSeal
    target_s: float
    item_skills: dict[str, str] = dataclasses.field(default_factory=dict)  # item (flow id) -> skill queue


def mask(phone: str) -> str:
    """The first three and last four digits (a mobile number's carrier and line end), the rest starred."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def take(engine: Engine, report: Report, desk: Desk | None = None) -> Report:
    """The request as the events table may keep it: the phone number masked. With `desk`, the help desk's
    call-back task is made first (once per request, however often it is delivered)."""
    phone = str(report.body.get("phone", ""))
    if desk is not None:
        task(engine, report, phone, desk)
    return dataclasses.replace(report, body={**report.body, "phone": mask(phone)})


def key(report: Report) -> str:
    """The task's own key (the call_id column, 32 characters): the kiosk and its report number, or, for a
    kiosk that does not number its reports, the request's content."""
    b = report.body
    seq = b.get("seq")
    what = f"seq\0{seq}" if seq is not None else "\0".join(
        str(b.get(k, "")) for k in ("flow", "step", "reason", "phone", "session_seq", "at"))
    return "ev-" + hashlib.sha256(f"{report.kiosk_id}\0{what}".encode()).hexdigest()[:29]


def task(engine: Engine, report: Report, phone: str, desk: Desk) -> int | None:
    """The open task for this request (made now, or found from an earlier delivery); None if it cannot be one."""
    kiosk, body = report.kiosk_id, report.body
    if not sig.PHONE.fullmatch(phone):
        log.warning("helpdesk.callback_not_a_number", kiosk=kiosk)  # that it was refused, never what came
        return None
    call_id, item = key(report), str(body.get("flow", ""))[:200]
    skill = desk.item_skills.get(item, "general")
    now = time.time()
    asked = float(body.get("at") or 0)
    created = asked if 0 < asked <= now else now  # from when the citizen asked: the outbox may hold it a while
    try:
        with Session(engine) as s, s.begin():
            found = s.scalar(select(HelpCallback.id).where(HelpCallback.call_id == call_id))
            if found is not None:
                log.info("helpdesk.callback_redelivered", kiosk=kiosk, callback=found)
                return found
            row = HelpCallback(call_id=call_id, kiosk_id=kiosk, item=item, skill=skill, state="open",
                               phone_sealed="", phone_masked=mask_phone(phone), created_at=created,
                               target_at=created + desk.target_s)
            s.add(row)
            s.flush()
            row.phone_sealed = desk.seal.seal(phone, str(row.id))
            where = {"step": str(body.get("step", ""))[:200], "reason": str(body.get("reason", ""))[:200]}
            s.add(HelpEvent(at=now, call_id=call_id, kind="callback_requested", agent="", kiosk_id=kiosk, skill=skill,
                            data={"callback": row.id, "target_at": row.target_at, "from": "dead_end", **where}))
            task_id = row.id
    except IntegrityError:  # another worker made it a moment ago (the same delivery, twice at once)
        log.info("helpdesk.callback_redelivered", kiosk=kiosk)
        return None
    log.info("helpdesk.callback_requested", kiosk=kiosk, callback=task_id, source="dead_end")
    return task_id
