"""The distributor under random sequences of what kiosks, agents and time do: its books always balance.

After every step: a waiting call is with nobody; an agent ringing or on a call holds exactly that call and
the call names them; no call rings or talks to an agent in another state; every kiosk has at most one live
call; each call that entered the queue ended at most once. A refused step (DeskError) must change nothing of that.
"""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import db
from backoffice.helpdesk.acd import DeskError
from backoffice.models import HelpAgent, HelpCall, HelpEvent
from tests.backoffice.auth_helpers import Clock
from tests.backoffice.helpdesk_helpers import make_desk
from wire import signaling as sig

AGENTS = ("li", "wang", "zhao")
KIOSKS = ("K-1", "K-2", "K-3", "K-4")
STEP = st.one_of(
    st.tuples(st.just("enter"), st.sampled_from(KIOSKS), st.sampled_from(("general", "social_security"))),
    st.tuples(st.just("state"), st.sampled_from(AGENTS), st.sampled_from(sig.AGENT_STATES)),
    st.tuples(st.sampled_from(("accept", "reject", "hangup", "wrapup", "transfer_skill", "transfer_agent")),
              st.sampled_from(AGENTS), st.sampled_from(AGENTS)),
    st.tuples(st.sampled_from(("kiosk_hangup", "callback", "gone")), st.sampled_from(KIOSKS), st.none()),
    st.tuples(st.just("wait"), st.sampled_from((1, 10, 25, 200)), st.none()),
)


def current_call(desk, *, agent=None, kiosk=None, states=("ringing", "connected", "wrap_up")):
    with Session(desk.engine) as s:
        if agent is not None:
            a = s.get(HelpAgent, agent)
            return a.call_id if a else None
        return s.scalar(select(HelpCall.id).where(HelpCall.kiosk_id == kiosk, HelpCall.state.in_(states)))


def apply(desk, clock, step, conns):
    verb, who, arg = step
    call = current_call(desk, agent=who) if verb in ("accept", "reject", "hangup", "wrapup", "transfer_skill",
                                                        "transfer_agent") else None
    if verb in ("kiosk_hangup", "callback"):
        call = current_call(desk, kiosk=who, states=("waiting", "ringing", "connected"))
    try:
        if verb == "enter":
            conns[who] = conns.get(who, 0) + 1
            desk.enter(who, f"{who}-{conns[who]}", sig.HelpRequest("item", "step", "zh-CN", arg))
        elif verb == "state":
            desk.set_state(who, arg)
        elif verb == "accept":
            desk.accept(who, call or "")
        elif verb == "reject":
            desk.reject(who, call or "")
        elif verb == "hangup":
            desk.agent_hangup(who, call or "")
        elif verb == "wrapup":
            desk.wrapup_done(who, call or "", "resolved", "")
        elif verb == "transfer_skill":
            desk.transfer(who, call or "", sig.CallTransfer(to_skill="social_security"))
        elif verb == "transfer_agent":
            desk.transfer(who, call or "", sig.CallTransfer(to_agent=arg))
        elif verb == "kiosk_hangup":
            desk.kiosk_hangup(who, call or "")
        elif verb == "callback":
            desk.book_callback(who, call or "", "13800138000")
        elif verb == "gone":
            desk.kiosk_gone(who, f"{who}-{conns.get(who, 0)}")
            conns[who] = conns.get(who, 0) + 1  # its old socket beats no more
        else:
            clock.advance(who)
            desk.heartbeat({k: f"{k}-{n}" for k, n in conns.items()}, {a: f"conn-{a}" for a in AGENTS})
            desk.tick()
    except DeskError:
        pass


def check(desk):
    with Session(desk.engine) as s:
        agents = {a.name: a for a in s.scalars(select(HelpAgent))}
        calls = list(s.scalars(select(HelpCall)))
        ended = [e.call_id for e in s.scalars(select(HelpEvent).where(HelpEvent.kind.in_(("abandon",))))]
    for a in agents.values():
        if a.state in ("ringing", "on_call"):
            (c,) = [c for c in calls if c.id == a.call_id]
            assert c.agent == a.name and c.state == {"ringing": "ringing", "on_call": "connected"}[a.state]
    for c in calls:
        if c.state == "waiting":
            assert c.agent is None and c.ring_deadline is None
        if c.state in ("ringing", "connected"):
            assert agents[c.agent].state == {"ringing": "ringing", "connected": "on_call"}[c.state]
            assert agents[c.agent].call_id == c.id
    live = [c.kiosk_id for c in calls if c.state in ("waiting", "ringing", "connected")]
    assert len(live) == len(set(live))
    assert len(ended) == len(set(ended))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    eng = db.engine(f"sqlite:///{tmp_path_factory.mktemp('acd') / 'acd.db'}")
    db.upgrade(eng)
    yield eng
    eng.dispose()


counter = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_any_sequence_keeps_agents_and_calls_consistent(engine, tmp_path, steps):
    with engine.begin() as conn:
        for table in ("helpdesk_calls", "helpdesk_agents", "helpdesk_signals", "helpdesk_events",
                      "helpdesk_callbacks"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    clock = Clock()
    desk = make_desk(engine, tmp_path, clock, ring_timeout_s=20, callback_after_s=120,
                     agent_skills={"zhao": ("social_security",)})
    for name in AGENTS:
        desk.agent_online(name, f"conn-{name}")
    conns: dict[str, int] = {}
    for step in steps:
        apply(desk, clock, step, conns)
        check(desk)
