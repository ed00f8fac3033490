"""The engine without any UI: views out, actions in from any source, privacy kept."""
import asyncio
import shutil
from pathlib import Path

import pytest

from kiosk.engine.clock import VirtualClock
from kiosk.engine.messages import Action, Finished, Rejected, Show, StartOp
from kiosk.engine.ops import OpExecutor
from kiosk.engine.runner import SessionRunner
from kiosk.engine.session import Session
from kiosk.flow.bundle import load_bundle
from kiosk.flow.registry import FlowRegistry
from kiosk.scenario.twins import make_card, make_devices

FLOWS = Path(__file__).resolve().parents[2] / "flows"
KIOSK = {"id": "K1", "name": "测试", "hall": "示例大厅"}


@pytest.fixture(scope="module")
def bundle():
    b = load_bundle(FLOWS)
    assert b.ok, b.problems
    return b


def new_session(bundle, flow="social-security-certificate", **kw):
    clock = VirtualClock()
    return Session(bundle.flows, flow, session_id="s-0001-abcdef", kiosk=KIOSK,
                   clock=clock.monotonic, wallclock=clock.wallclock, **kw), clock


def shows(commands):
    return [c.view for c in commands if isinstance(c, Show)]


def test_start_shows_the_first_step_and_asks_the_reader(bundle):
    s, _ = new_session(bundle)
    out = s.start()
    (view,) = shows(out)
    assert view.step == "read_card" and view.waiting_for == "id_card"
    assert view.title == "请将身份证放在读卡区"
    assert any(isinstance(c, StartOp) and c.target == "id_reader" for c in out)


def test_a_staff_action_is_handled_like_a_touch(bundle):
    s, _ = new_session(bundle, flow="queue-ticket")
    s.start()
    out = s.handle(Action("choose", "social", source="staff"))
    assert any(isinstance(c, StartOp) and c.name == "dispense" for c in out)
    assert s.trace.events("action")[0]["source"] == "staff"


def test_an_impossible_action_is_refused_not_crashed(bundle):
    s, _ = new_session(bundle, flow="queue-ticket")
    s.start()
    (r,) = [c for c in s.handle(Action("submit", {"x": 1})) if isinstance(c, Rejected)]
    assert "choice" in r.reason
    (r,) = [c for c in s.handle(Action("choose", "nonexistent")) if isinstance(c, Rejected)]


def test_locale_switch_keeps_the_step(bundle):
    s, _ = new_session(bundle, flow="queue-ticket")
    s.start()
    (view,) = shows(s.handle(Action("set_locale", "en")))
    assert view.step == "choose" and view.title == "Which service do you need?"


async def run_visit(bundle, card_fields):
    clock = VirtualClock()
    session = Session(bundle.flows, "social-security-certificate", session_id="s-0002-abcdef", kiosk=KIOSK,
                      clock=clock.monotonic, wallclock=clock.wallclock)
    devices = make_devices()

    class Backend:
        async def call(self, ref, request, *, timeout, idempotency_key=None):
            assert request == {"id_number": card_fields["id_number"]}  # the backend gets the real value
            return "ok", {"record": {"insured_since": "2001-01-01", "months": 300, "unit": "示例单位", "status": "正常参保"}}, ""

    runner = SessionRunner(session, OpExecutor(devices, Backend()), clock)
    runner.start()
    devices["id_reader"].insert_card(make_card(card_fields))
    for _ in range(20):
        await asyncio.sleep(0)
    runner.act("agree")
    for _ in range(20):
        await asyncio.sleep(0)
    return session, runner


async def test_views_mask_personal_data_and_the_end_wipes_it(bundle):
    fields = {"name": "欧阳示例", "id_number": "11010519491231002X"}
    session, runner = await run_visit(bundle, fields)
    preview = runner.view
    assert preview.step == "preview"
    assert "1101**********002X" in preview.all_text()
    assert "11010519491231002X" not in preview.all_text() and "欧阳示例" not in preview.all_text()
    assert session.vars["id"]["id_number"] == fields["id_number"]
    runner.act("cancel")
    assert runner.finished.result == "cancelled"
    assert session.vars["id"] == {} and session.vars["data"] == {}
    text = repr(session.trace.entries)
    assert "欧阳示例" not in text and "11010519491231002X" not in text


def test_a_session_keeps_its_flow_version_across_a_reload(tmp_path):
    root = tmp_path / "flows"
    shutil.copytree(FLOWS, root)
    reg = FlowRegistry(root)
    assert reg.reload()
    s, _ = new_session(type("B", (), {"flows": reg.flows})(), flow="queue-ticket")
    s.start()
    flow_file = root / "queue-ticket" / "flow.yaml"
    flow_file.write_text(flow_file.read_text().replace("请选择办理的业务", "请选择业务（新版）").replace("version: 1.0.0", "version: 1.1.0"))
    assert reg.reload()
    assert reg.flows["queue-ticket"].flow.version == "1.1.0"
    assert s.view().title == "请选择办理的业务"  # the running visit is untouched
    flow_file.write_text("format: 2\nid: [broken")
    assert not reg.reload()  # a broken upload is refused...
    assert reg.flows["queue-ticket"].flow.version == "1.1.0"  # ...and the last good set stays


def test_session_cap_ends_the_visit(bundle):
    s, _ = new_session(bundle, flow="queue-ticket")
    s.start()
    from kiosk.engine.messages import TimerFired

    out = s.handle(TimerFired("cap"))
    assert [c for c in out if isinstance(c, Finished)][0].result == "timeout"
