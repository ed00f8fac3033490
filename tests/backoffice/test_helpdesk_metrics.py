"""Help-desk figures from the event log, against figures worked out by hand for one scripted morning.

Script (seconds on the moved clock, ring timeout 20 s, service level 20 s):
- call A enters at 0, rings li, answered at 5 (wait 5); li hangs up at 65, wraps up at 85: handled 80 s.
- call B enters at 10, rings wang, no answer by 30 (RONA), waits (li busy), the citizen leaves at 40.
- call C enters at 100, rings li (available since 85), answered at 130 (wait 30, beyond 20 s); li hangs up at
  190, wraps up at 200: handled 70 s.
- call D enters at 300 while nobody is available and books a callback at 310 (not an abandon); the callback
  is done at 400, within its target.
- A's peers report two quality samples: (20 ms, 1 %, 15 fps) and (40 ms, 3 %, 13 fps).
By hand: offered 4, answered 2, ASA (5 + 30) / 2 = 17.5 s, service level 1 / 4, abandoned 1 → 1 / 4,
AHT (80 + 70) / 2 = 75 s, RONA 1, callbacks within target 1 of 1, A's quality 30 ms, 2 %, 14 fps.
"""
import pytest

from backoffice.helpdesk import metrics
from backoffice.helpdesk.callbacks import Callbacks
from tests.backoffice.auth_helpers import Clock
from tests.backoffice.helpdesk_helpers import HELP, make_desk, online
from wire import signaling as sig

T0 = 1_900_000_000.0


@pytest.fixture
def morning(db_engine, tmp_path):
    clock = Clock(T0)
    desk = make_desk(db_engine, tmp_path, clock, ring_timeout_s=20, presence_timeout_s=10_000,
                     service_level_s=20)

    def at(t):
        clock.now = T0 + t

    online(desk, clock, "li")  # available at T0
    at(0)
    a = desk.enter("K-1", "c1", HELP)
    at(5)
    desk.accept("li", a)
    desk.quality(a, "kiosk", "K-1", sig.Quality(20, 0.01, 15))
    desk.quality(a, "agent", "li", sig.Quality(40, 0.03, 13))
    at(8)
    online(desk, clock, "wang")
    at(10)
    b = desk.enter("K-2", "c2", HELP)  # rings wang, the only one available
    at(30)
    desk.tick()  # RONA: wang not ready, B waits
    at(40)
    desk.kiosk_hangup("K-2", b, "cancelled")
    at(65)
    desk.agent_hangup("li", a)
    at(85)
    desk.wrapup_done("li", a, "resolved", "")
    at(100)
    c = desk.enter("K-3", "c3", HELP)
    at(130)
    desk.accept("li", c)
    at(190)
    desk.agent_hangup("li", c)
    at(200)
    desk.wrapup_done("li", c, "resolved", "")
    desk.set_state("li", "not_ready")
    at(300)
    d = desk.enter("K-4", "c4", HELP)
    at(310)
    desk.book_callback("K-4", d, "13800138000")
    at(400)
    callbacks = Callbacks(db_engine, desk.seal, clock)
    (task,) = callbacks.list()
    callbacks.close(task.id, "li", "done")
    return desk, a


def test_the_figures_are_the_hand_computed_ones(morning, db_engine):
    _, a = morning
    f = metrics.figures(db_engine, 20, since=T0 - 1)
    assert (f.offered, f.answered, f.answered_within, f.abandoned, f.rona) == (4, 2, 1, 1, 1)
    assert (f.asa_s, f.service_level, f.abandon_rate, f.aht_s) == (17.5, 0.25, 0.25, 75.0)
    assert (f.callbacks_requested, f.callbacks_done, f.callbacks_within_target) == (1, 1, 1)
    q = f.quality[a]
    assert (q.samples, q.rtt_ms, q.fps) == (2, 30.0, 14.0) and q.loss == pytest.approx(0.02)


def test_metrics_lines_carry_the_same_figures_and_no_kiosk_or_agent(morning, db_engine):
    lines = metrics.helpdesk_metrics(db_engine, 20, now=T0 + 500)
    values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in lines if not line.startswith("#")}
    assert values["backoffice_helpdesk_asa_seconds"] == 17.5
    assert values["backoffice_helpdesk_service_level_ratio"] == 0.25
    assert values["backoffice_helpdesk_abandon_ratio"] == 0.25
    assert values["backoffice_helpdesk_aht_seconds"] == 75
    assert values["backoffice_helpdesk_rona"] == 1
    assert values["backoffice_helpdesk_callbacks_within_target"] == 1
    assert values["backoffice_helpdesk_call_rtt_ms"] == 30
    assert values['backoffice_helpdesk_agents{state="not_ready"}'] == 2  # li chose it, wang by RONA
    labels = {name.partition("{")[2] for name in values if "{" in name}
    assert labels == {f'state="{s}"}}' for s in sig.AGENT_STATUSES}  # one label, six values: nothing per call
