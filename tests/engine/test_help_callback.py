"""The desk's call-back offer on the kiosk (issue #13 must-show 2): a citizen waiting too long, or calling when
nobody is on duty, is offered a call back beside keep-waiting and end, types a number on the keypad, and sees
the time staff will call by; the visit stays where it was and the number goes nowhere but to the help panel."""
import structlog

from devices.errors import DeviceError

from kiosk.helpcall import BOOKED_SHOWN_S, ENDED_SHOWN_S, NUMBER_FORM_S
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import advance, settle, shipped_kiosk

PHONE, ID_NUMBER, NAME = "13912345678", "110101199003071233", "张三丰"


async def waiting_at_consent(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path)
    panel = devices["help_panel"]
    panel.hold_calls()
    events = []
    c.subscribe_events(events.append)
    assert c.start("social-security-certificate")
    devices["id_reader"].insert_card(make_card({"name": NAME, "id_number": ID_NUMBER}))
    await settle()
    c.act("help")
    await settle()
    assert c.state.call.phase == "waiting" and c.state.view.step == "consent"
    return c, panel, clock, events


async def test_an_offered_call_back_takes_a_number_confirms_the_time_and_keeps_the_visit(tmp_path):
    c, panel, clock, events = await waiting_at_consent(tmp_path)
    assert c.state.callback is None  # no offer until the desk makes one
    with structlog.testing.capture_logs() as logged:
        panel.offer_callback()  # the desk: waited past callback_after_s, or nobody on duty
        await settle()
        assert c.state.call.callback_offered and c.state.callback.step == "offer"
        c.act("call_callback")
        assert c.state.callback.step == "number"
        c.act("call_callback_submit", {"phone": "139 1234 5678"})  # spaces, as a citizen may group digits
        await settle()
    assert panel.callbacks == ["139****5678"]  # the panel got the number (the twin keeps it masked)
    assert c.state.call.phase == "ended" and c.state.call.reason == "callback_booked"
    assert c.state.callback.step == "booked" and ":" in c.state.callback.when
    assert (c.state.mode, c.state.view.step) == ("visit", "consent")  # the visit is where it was
    advance(clock, clock.now + ENDED_SHOWN_S + 1)
    assert c.state.callback.step == "booked"  # the confirmation stays long enough to read
    c.act("call_close")  # 知道了
    assert c.state.call is None and c.state.callback is None
    advance(clock, clock.now + BOOKED_SHOWN_S)
    seen = repr(logged) + repr(events) + repr(vars(c.call)) + repr(c.state)
    assert PHONE not in seen and "13912345678" not in seen.replace(" ", "")
    assert PHONE.encode() not in (tmp_path / "journal.db").read_bytes()


async def test_a_bad_number_is_refused_with_a_clear_message_and_nothing_is_sent(tmp_path):
    c, panel, clock, events = await waiting_at_consent(tmp_path)
    panel.offer_callback()
    await settle()
    c.act("call_callback")
    for bad in ("1234", "23912345678", "139123456789", ""):
        c.act("call_callback_submit", {"phone": bad})
        await settle()
        assert (c.state.callback.step, c.state.callback.error) == ("number", "call:callback_bad_phone")
    assert panel.callbacks == [] and c.state.call.phase == "waiting"
    c.act("call_callback_back")
    c.act("call_callback_wait")  # keep waiting: the offer steps back, the call goes on
    assert c.state.callback.step == "waiting" and c.state.call.phase == "waiting"
    panel.pick_up()  # staff answer: the offer is gone
    await settle()
    assert c.state.callback is None


async def test_no_offer_no_call_back(tmp_path):
    c, panel, clock, events = await waiting_at_consent(tmp_path)
    c.act("call_callback")
    c.act("call_callback_submit", {"phone": PHONE})
    await settle()
    assert c.state.callback is None and panel.callbacks == [] and c.state.call.phase == "waiting"


async def test_a_desk_that_does_not_book_it_says_so_and_the_citizen_can_keep_waiting(tmp_path):
    c, panel, clock, events = await waiting_at_consent(tmp_path)
    panel.offer_callback()
    await settle()

    async def refused(phone):
        raise DeviceError("help_panel: the help desk refused the call back (unknown_call)")
    panel.request_callback = refused
    c.act("call_callback")
    c.act("call_callback_submit", {"phone": PHONE})
    await settle()
    assert (c.state.callback.step, c.state.callback.error) == ("failed", "call:callback_failed")
    assert c.state.call.phase == "waiting"  # still in the queue
    c.act("call_callback")  # and may try again
    assert c.state.callback.step == "number"


async def at_number_form(tmp_path):
    """Waiting at the consent step, the desk's offer taken: the keypad for the number is open."""
    c, panel, clock, events = await waiting_at_consent(tmp_path)
    panel.offer_callback()
    await settle()
    c.act("call_callback")
    assert c.state.callback.step == "number"
    return c, clock


async def test_a_number_form_left_open_closes_by_itself(tmp_path):
    c, clock = await at_number_form(tmp_path)
    advance(clock, clock.now + NUMBER_FORM_S + 1)  # the citizen walked away: the form (and what was typed) goes
    assert c.state.callback.step == "offer" and c.state.call.phase == "waiting"


async def test_a_number_being_typed_goes_with_the_visit_while_the_call_stays(tmp_path):
    c, _ = await at_number_form(tmp_path)
    c.act("home")  # 首页 on the call: the visit ends, the citizen may still wait for staff
    await settle()
    assert c.state.mode == "home" and c.state.call.phase == "waiting"
    assert c.state.callback.step == "offer"  # the keypad, and the digits the window kept for it, are gone
