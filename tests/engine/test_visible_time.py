"""Time the citizen can see is the time the engine keeps: countdowns from monotonic deadlines, elderly extra
time, and 首页 (Home) ending the visit from any step."""
import dataclasses

import pytest

from kiosk.engine.clock import VirtualClock
from kiosk.engine.messages import Action, Finished, OpDone, StartOp, StartTimer, TimerFired
from kiosk.engine.session import Session
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import last_view as view, settle, shipped_kiosk


def visit(flows, flow_id="social-security-certificate", **kw) -> tuple[Session, VirtualClock, list]:
    clock = VirtualClock()
    s = Session(flows, flow_id, session_id="s-0014-abcdef", kiosk={"id": "K1"}, clock=clock.monotonic,
                wallclock=clock.wallclock, **kw)
    return s, clock, s.start()


def at_consent(flows, **kw) -> tuple[Session, VirtualClock]:
    s, clock, out = visit(flows, **kw)
    (read,) = [c for c in out if isinstance(c, StartOp)]
    assert view(s.handle(OpDone(read.op_id, "ok", make_card({"name": "钱示例"})))).step == "consent"
    return s, clock


def test_the_card_step_shows_the_time_really_left(flows):
    s, clock, out = visit(flows)
    assert view(out).timeout_s == 60 and view(out).deadline == 60
    clock.now = 30
    assert s.view().timeout_s == 30
    clock.now = 59.5
    assert s.view().timeout_s == 0.5


def test_the_idle_warning_counts_down_instead_of_standing_at_30(flows):
    s, clock = at_consent(flows)
    assert s.view().idle_warning_s is None
    clock.now = 60
    v = view(s.handle(TimerFired("idle")))
    assert v.idle_warning_s == 30 and v.deadline == 90
    assert v.consent, "the step stays on the view under the warning"
    clock.now = 62
    assert s.view().idle_warning_s == 28
    clock.now = 89
    assert s.view().idle_warning_s == 1


def test_a_tap_on_the_step_under_the_warning_counts_as_activity(flows):
    s, clock = at_consent(flows)
    clock.now = 60
    s.handle(TimerFired("idle"))
    v = view(s.handle(Action("agree")))
    assert v.step != "consent" and v.idle_warning_s is None and s.result is None


def test_elderly_mode_gives_half_as_much_time_again_by_default(flows):
    s, clock, out = visit(flows, elderly=True)
    assert StartTimer("step", 90) in out and view(out).timeout_s == 90
    s, clock = at_consent(flows, elderly=True)
    idle = [c for c in s.handle(Action("help")) if isinstance(c, StartTimer) and c.key == "idle"]
    assert idle == [StartTimer("idle", 90)]
    clock.now = 90
    out = s.handle(TimerFired("idle"))
    assert StartTimer("idle_warn", 45) in out and view(out).idle_warning_s == 45


def test_the_kiosk_and_then_the_flow_choose_the_multiplier(flows):
    _, _, out = visit(flows, elderly=True, elderly_multiplier=2.0)
    assert view(out).timeout_s == 120
    cf = flows["social-security-certificate"]
    own = cf.flow.model_copy(update={"accessibility": cf.flow.accessibility.model_copy(
        update={"timeout_multiplier": 3.0})})
    mine = {**flows, cf.id: dataclasses.replace(cf, flow=own)}
    _, _, out = visit(mine, elderly=True, elderly_multiplier=2.0)
    assert view(out).timeout_s == 180
    _, _, out = visit(mine, elderly=False)
    assert view(out).timeout_s == 60


def test_home_ends_the_whole_bundle_and_wipes_it(flows):
    s, _, _ = visit(flows, "one-thing-job-change")
    (read,) = [c for c in s.handle(Action("ok")) if isinstance(c, StartOp)]
    v = view(s.handle(OpDone(read.op_id, "ok", make_card({"name": "钱示例"}))))
    assert v.flow == "social-security-certificate", "inside the first bundled item"
    out = s.handle(Action("home"))
    (end,) = [c for c in out if isinstance(c, Finished)]
    assert (end.result, end.flow) == ("cancelled", "one-thing-job-change")
    assert s.vars["id"] == {} and s.vars["bundle"] == {} and not s.deadlines


async def test_home_returns_the_kiosk_home_at_once_journalled_as_cancelled(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path)
    assert c.start("social-security-certificate")
    devices["id_reader"].insert_card(make_card({"name": "钱示例"}))
    await settle()
    session = c.runner.session
    c.act("home")
    assert c.state.mode == "home" and c.state.view is None
    assert session.vars["id"] == {}
    (row,) = c.journal.rows()
    assert row["result"] == "cancelled"


def test_the_kiosk_sets_its_elderly_multiplier_in_idle_and_a_bad_one_is_named(tmp_path):
    from kiosk import config

    assert config.load("etc/kiosk.example.toml").idle.elderly_multiplier == 1.5
    f = tmp_path / "k.toml"
    f.write_text('[kiosk]\nid = "K1"\n[idle]\nelderly_multiplier = 0.5\n')
    with pytest.raises(config.ConfigError) as exc:
        config.load(f)
    assert "idle.elderly_multiplier" in str(exc.value)
