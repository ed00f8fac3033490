"""The "第 N / M 步" indicator counts the screens a citizen sees, whatever branches lie between them."""
from pathlib import Path

import pytest

from kiosk.engine.clock import VirtualClock
from kiosk.engine.messages import Action, Show
from kiosk.engine.session import Session
from kiosk.flow.bundle import load_bundle

FLOWS = Path(__file__).resolve().parents[2] / "flows"
T = "{zh-CN: 字, en: Text}"
BRANCHED = f"""\
format: 2
id: branched
version: 1.0.0
title: {T}
category: demo
steps:
  - id: welcome
    kind: notice
    title: {T}
    next: check
  - id: check
    kind: branch
    cases: [{{when: "locale == 'zh-CN'", next: terms}}]
    default: unsupported
  - id: terms
    kind: notice
    title: {T}
    next: confirm
  - id: confirm
    kind: notice
    title: {T}
    next: done
  - id: unsupported
    kind: notice
    title: {T}
    next: failed
  - id: done
    kind: end
  - id: failed
    kind: end
    result: failed
"""


def session(flows, flow_id: str) -> Session:
    clock = VirtualClock()
    return Session(flows, flow_id, session_id="s-0003-abcdef", kiosk={"id": "K1"}, clock=clock.monotonic,
                   wallclock=clock.wallclock)


def progress(commands) -> tuple[str, tuple[int, int]]:
    (view,) = [c.view for c in commands if isinstance(c, Show)]
    return view.step, view.progress


@pytest.fixture
def branched(tmp_path):
    (tmp_path / "services.yaml").write_text("format: 2\nservices: {}\n")
    (tmp_path / "branched").mkdir()
    (tmp_path / "branched" / "flow.yaml").write_text(BRANCHED)
    bundle = load_bundle(tmp_path)
    assert bundle.ok, bundle.problems
    return bundle.flows


def test_steps_after_a_branch_keep_their_number(branched):
    s = session(branched, "branched")
    seen = [progress(s.start())]
    for _ in range(3):
        seen.append(progress(s.handle(Action("ok"))))
    assert seen == [("welcome", (1, 4)), ("terms", (2, 4)), ("confirm", (3, 4)), ("done", (4, 4))]


def test_back_counts_from_the_step_returned_to(branched):
    s = session(branched, "branched")
    s.start()
    s.handle(Action("ok"))
    s.handle(Action("ok"))
    assert progress(s.handle(Action("back"))) == ("terms", (2, 4))
    assert progress(s.handle(Action("ok"))) == ("confirm", (3, 4))


def test_a_way_that_cannot_succeed_shows_no_progress(branched):
    s = session(branched, "branched")
    s.locale = "en"
    s.start()
    assert progress(s.handle(Action("ok"))) == ("unsupported", (0, 0))


def test_an_optional_detour_adds_its_screens_to_the_count():
    flows = load_bundle(FLOWS).flows
    s = session(flows, "housing-fund-query")
    assert progress(s.start()) == ("read_card", (1, 4))
    s.frame.walked += ["consent", "show"]  # as if the card was read and the query answered
    s.vars["data"].update(status="正常缴存", since=s.context()["now"], balance=100)
    s.frame.step_id = "show"
    assert s.views.progress(s.step) == (3, 4)  # straight on to 完成
    assert progress(s.handle(Action("choose", "slip"))) == ("slip", (4, 6))


def test_a_bundled_item_counts_its_own_screens_not_the_card_it_reused():
    from kiosk.engine.messages import OpDone, StartOp
    from kiosk.scenario.twins import make_card

    s = session(load_bundle(FLOWS).flows, "one-thing-job-change")
    assert progress(s.start())[1] == (1, 4)  # intro, card, summary, done: each item counts its own screens
    (read,) = [c for c in s.handle(Action("ok")) if isinstance(c, StartOp)]
    # social-security-certificate: consent, preview, print, take_document, done; its card step passed unseen
    assert progress(s.handle(OpDone(read.op_id, "ok", make_card({})))) == ("consent", (1, 5))
