"""Cancel inside a bundled item leaves that item only; the bundle goes on or ends, and says what was done."""

from kiosk.engine.clock import VirtualClock
from kiosk.engine.messages import Action, Finished, OpDone, StartOp
from kiosk.engine.session import Session
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import last_view as view


def in_first_item(flows) -> Session:
    """A one-thing visit with the card read, at the first item's consent."""
    clock = VirtualClock()
    s = Session(flows, "one-thing-job-change", session_id="s-0004-abcdef", kiosk={"id": "K1"},
                clock=clock.monotonic, wallclock=clock.wallclock)
    s.start()
    (read,) = [c for c in s.handle(Action("ok")) if isinstance(c, StartOp)]
    v = view(s.handle(OpDone(read.op_id, "ok", make_card({}))))
    assert (v.flow, v.step) == ("social-security-certificate", "consent")
    return s


def test_cancel_in_an_item_returns_to_the_bundle_with_that_item_not_done(flows):
    s = in_first_item(flows)
    out = s.handle(Action("cancel"))
    assert not [c for c in out if isinstance(c, Finished)] and s.result is None
    v = view(out)
    assert (v.flow, v.step) == ("one-thing-job-change", "after_social")
    assert [o.id for o in v.options] == ["go_on", "finish"] and v.can_cancel
    assert s.vars["bundle"] == {"social": "cancelled"}
    assert s.vars["id"], "the card read for the bundle is kept for the other items"


def test_the_citizen_goes_on_with_the_others_then_ends_and_sees_what_was_done(flows):
    s = in_first_item(flows)
    s.handle(Action("cancel"))
    v = view(s.handle(Action("choose", "go_on")))
    assert (v.flow, v.step) == ("housing-fund-query", "consent")  # the card is not asked for again
    v = view(s.handle(Action("cancel")))
    assert v.step == "after_housing"
    v = view(s.handle(Action("choose", "finish")))
    assert v.step == "summary"
    assert "社保参保证明打印：未办理" in v.text and "公积金缴存查询：未办理" in v.text and "医保信息查询：未办理" in v.text
    (end,) = [c for c in s.handle(Action("ok")) if isinstance(c, Finished)]
    assert end.result == "completed"
    assert end.items == (("social", "cancelled"), ("housing", "cancelled"))


def test_cancel_on_the_bundles_own_step_still_ends_the_visit(flows):
    s = in_first_item(flows)
    s.handle(Action("cancel"))
    (end,) = [c for c in s.handle(Action("cancel")) if isinstance(c, Finished)]
    assert (end.result, end.items) == ("cancelled", (("social", "cancelled"),))
    assert s.vars["id"] == {} and s.vars["bundle"] == {}
