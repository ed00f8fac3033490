"""The call distributor on a clock the test moves: who rings, when RONA strikes, transfers, callbacks, abandons.

Each test reads what the desk said to each kiosk and agent from the shared signal table, as the sockets'
relay does, so it checks what a citizen and a staff member would see.
"""
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.helpdesk.acd import DeskError
from backoffice.models import HelpAgent, HelpCall, HelpCallback, HelpEvent
from tests.backoffice.auth_helpers import Clock
from tests.backoffice.helpdesk_helpers import HELP, Inbox, kinds, make_desk, online
from wire import signaling as sig


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(db_engine, tmp_path, clock):
    # presence: nobody heartbeats here, so sockets count as alive for 1000 s of the moved clock
    return make_desk(db_engine, tmp_path, clock, ring_timeout_s=20, callback_after_s=120, presence_timeout_s=1000,
                     agent_skills={"sun": ("social_security",)})


def state(desk, name):
    with Session(desk.engine) as s:
        return s.get(HelpAgent, name).state


def events(desk, kind):
    with Session(desk.engine) as s:
        return [(e.call_id, e.agent, e.data) for e in s.scalars(select(HelpEvent).where(HelpEvent.kind == kind))]


def test_a_call_rings_the_longest_idle_available_agent_and_the_next_call_the_next(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li", "wang", "zhao")
    desk.set_state("zhao", "not_ready")
    first = desk.enter("K-1", "c1", HELP)
    second = desk.enter("K-2", "c2", HELP)
    ring = [b for k, c, b in inbox.agent("li") if k == "call.ring"]
    assert ring and ring[0]["kiosk_id"] == "K-1" and ring[0]["item"] == HELP.item
    assert [c for k, c, _ in inbox.agent("wang") if k == "call.ring"] == [second]
    assert kinds(inbox.agent("zhao")).count("call.ring") == 0
    assert (state(desk, "li"), state(desk, "wang")) == ("ringing", "ringing")
    assert first != second


def test_no_answer_within_the_ring_timeout_sets_the_agent_not_ready_and_rings_the_next(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li", "wang")
    call = desk.enter("K-1", "c1", HELP)
    clock.advance(19)
    desk.tick()
    assert state(desk, "li") == "ringing"
    clock.advance(2)
    desk.tick()
    said = inbox.agent("li")
    assert ("call.ended", call, {"reason": "no_answer"}) in said and said[-1][2] == {"state": "not_ready"}
    assert state(desk, "li") == "not_ready"
    assert [c for k, c, _ in inbox.agent("wang") if k == "call.ring"] == [call]
    assert [(c, a) for c, a, _ in events(desk, "no_answer")] == [(call, "li")]
    with pytest.raises(DeskError):
        desk.accept("li", call)  # too late: the call is with wang now


def test_accepting_tells_the_kiosk_who_answers_with_ice_servers_and_relays_offer_and_answer(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li")
    call = desk.enter("K-1", "c1", HELP)
    desk.accept("li", call)
    assigned = [b for k, _, b in inbox.kiosk("K-1") if k == "call.assigned"][0]
    assert assigned["agent_name"] == "li" and assigned["ice_servers"] == [] and assigned["resume_token"]
    desk.from_kiosk("K-1", call, sig.SdpOffer("v=0 offer"))
    assert ("sdp.offer", call, {"sdp": "v=0 offer", "ice_servers": []}) in inbox.agent("li")
    desk.from_agent("li", call, sig.SdpAnswer("v=0 answer"))
    assert ("sdp.answer", call, {"sdp": "v=0 answer"}) in inbox.kiosk("K-1")
    with pytest.raises(DeskError):
        desk.from_kiosk("K-2", call, sig.SdpOffer("v=0 not yours"))


def test_transfer_to_a_skill_queue_rings_an_agent_with_that_skill_and_keeps_the_place(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li", "sun")
    desk.set_state("sun", "not_ready")
    call = desk.enter("K-1", "c1", HELP)
    clock.advance(5)
    later = desk.enter("K-2", "c2", HELP)  # waits: li is busy
    desk.accept("li", call)
    desk.set_state("sun", "available")
    inbox.agent("sun"), inbox.agent("li")
    desk.transfer("li", call, sig.CallTransfer(to_skill="social_security", note="社保转移"))
    ring = [(c, b) for k, c, b in inbox.agent("sun") if k == "call.ring"]
    assert ring == [(call, {**ring[0][1], "skill": "social_security", "note": "社保转移"})]
    assert "call.transferring" in kinds(inbox.kiosk("K-1"))
    assert state(desk, "li") == "wrap_up"
    with Session(desk.engine) as s:
        assert s.get(HelpCall, later).state == "waiting"  # sun answers social security only
    desk.wrapup_done("li", call, "redirected_to_counter", "")
    assert [c for k, c, _ in inbox.agent("li") if k == "call.ring"] == [later]


def test_transfer_to_a_named_agent_rings_only_them(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li", "wang", "zhao")
    call = desk.enter("K-1", "c1", HELP)
    desk.accept("li", call)
    desk.transfer("li", call, sig.CallTransfer(to_agent="zhao"))
    assert [c for k, c, _ in inbox.agent("zhao") if k == "call.ring"] == [call]
    assert "call.ring" not in kinds(inbox.agent("wang"))  # wang was idle longer, but was not asked for
    with pytest.raises(DeskError):
        desk.transfer("zhao", call, sig.CallTransfer(to_agent="nobody"))


def test_at_night_with_no_agent_on_duty_the_kiosk_is_offered_a_callback_and_booking_opens_a_task(desk, clock):
    inbox = Inbox(desk)
    call = desk.enter("K-1", "c1", HELP)
    update = [b for k, _, b in inbox.kiosk("K-1") if k == "queue.update"]
    assert update[-1]["agents_on_duty"] == 0 and update[-1]["callback_offered"] is True
    target = desk.book_callback("K-1", call, "138 0013 8000")
    assert target == clock.now + 4 * 3600
    said = inbox.kiosk("K-1")
    assert ("callback.booked", call, {"target_at": target}) in said and said[-1][2] == {"reason": "callback_booked"}
    with Session(desk.engine) as s:
        task = s.scalars(select(HelpCallback)).one()
        assert (task.state, task.phone_masked) == ("open", "*******8000") and "8000" not in task.phone_sealed
    assert desk.seal.open(task.phone_sealed, str(task.id)) == "138 0013 8000"
    assert events(desk, "abandon")[0][2]["reason"] == "callback_booked"


def test_a_citizen_waiting_longer_than_the_limit_is_offered_a_callback(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li", available=False)
    desk.enter("K-1", "c1", HELP)
    first = [b for k, _, b in inbox.kiosk("K-1") if k == "queue.update"]
    assert first == [{"position": 1, "estimated_wait_s": 240.0, "agents_on_duty": 1, "callback_offered": False}]
    clock.advance(119)
    desk.tick()
    assert inbox.kiosk("K-1") == []  # nothing changed: nothing said
    clock.advance(2)
    desk.tick()
    assert [b["callback_offered"] for k, _, b in inbox.kiosk("K-1") if k == "queue.update"] == [True]


def test_leaving_the_queue_is_an_abandon_and_a_ringing_agent_is_freed(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li")
    call = desk.enter("K-1", "c1", HELP)
    clock.advance(7)
    desk.kiosk_hangup("K-1", call, "cancelled")
    assert ("call.ended", call, {"reason": "cancelled"}) in inbox.agent("li")
    assert state(desk, "li") == "available"
    assert events(desk, "abandon") == [(call, "", {"waited_s": 7.0, "reason": "cancelled"})]


def test_a_kiosk_that_vanishes_is_abandoned_and_an_agent_that_vanishes_goes_offline(desk, clock):
    online(desk, clock, "li", available=False)
    call = desk.enter("K-1", "c1", HELP)
    clock.advance(999)
    desk.heartbeat({}, {"li": "conn-li"})  # li's page is alive; the kiosk said nothing
    clock.advance(2)
    desk.tick()
    assert state(desk, "li") == "not_ready"
    assert events(desk, "abandon")[0][0] == call
    clock.advance(1000)
    desk.tick()
    assert events(desk, "abandon")[0][0] == call
    assert state(desk, "li") == "offline"


def test_two_processes_sweeping_at_once_ring_an_agent_once(db_engine, tmp_path, clock):
    one, two = make_desk(db_engine, tmp_path, clock), make_desk(db_engine, tmp_path, clock)
    online(one, clock, "li")
    one.set_state("li", "not_ready")
    one.enter("K-1", "c1", HELP)
    two.enter("K-2", "c2", HELP)
    one.set_state("li", "available")  # dispatches one call
    one.tick(), two.tick()
    assert len(events(one, "ring")) == 1


def test_agents_choose_only_their_own_states(desk, clock):
    online(desk, clock, "li")
    call = desk.enter("K-1", "c1", HELP)
    with pytest.raises(DeskError) as err:
        desk.set_state("li", "available")  # ringing: answer or reject, not choose
    assert err.value.code == "not_allowed"
    desk.reject("li", call)
    assert state(desk, "li") == "available"
    with Session(desk.engine) as s:
        assert s.get(HelpCall, call).state == "waiting"  # li declined it: it waits for someone else


def test_a_kiosk_that_drops_mid_call_resumes_with_its_token_on_a_new_socket_and_only_with_it(desk, clock):
    inbox = Inbox(desk)
    online(desk, clock, "li")
    call = desk.enter("K-1", "c1", HELP)
    desk.accept("li", call)
    token = [b for k, _, b in inbox.kiosk("K-1") if k == "call.assigned"][0]["resume_token"]
    desk.kiosk_gone("K-1", "c1")  # connected: kept for the resume window
    with pytest.raises(DeskError) as err:
        desk.resume("K-1", "c2", call, "not-the-token")
    assert err.value.code == "unauthorized"
    desk.resume("K-1", "c2", call, token)
    again = [b for k, _, b in inbox.kiosk("K-1") if k == "call.assigned"]
    assert again and again[0]["agent_name"] == "li" and again[0]["resume_token"] != token
    desk.from_kiosk("K-1", call, sig.SdpOffer("v=0 new peer connection"))
    assert ("sdp.offer", call, {"sdp": "v=0 new peer connection", "ice_servers": []}) in inbox.agent("li")
