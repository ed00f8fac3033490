"""Alert semantics on a real database: conditions clear themselves, events wait for an operator, one alert
per kiosk and rule, maintenance suppresses, a broker outage does not declare the fleet offline."""
from __future__ import annotations

import pytest

from backoffice.alerts.evaluator import Evaluator
from backoffice.alerts.settings import AlertsConfig
from backoffice.alerts.store import AlertError, AlertStore
from backoffice.store import FleetStore
from tests.backoffice import reports


class Clock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Sent:
    """The notifier's place in the evaluator: records what would have been sent."""

    def __init__(self):
        self.notices: list[tuple[str, str, str]] = []

    def __call__(self, event: str, alert: dict) -> bool:
        self.notices.append((event, alert["kiosk_id"], alert["rule"]))
        return True


@pytest.fixture
def world(db_engine):
    fleet, alerts, clock, sent = FleetStore(db_engine), AlertStore(db_engine), Clock(), Sent()
    evaluator = Evaluator(alerts, AlertsConfig(), sent, clock=clock)

    def report(kiosk_id, msg):
        """What ingest does: store the report, then hand it to its observers."""
        stored = {"Birth": fleet.birth, "Health": fleet.health, "State": fleet.state}[type(msg).__name__](kiosk_id, msg)
        assert stored
        evaluator.on_report(kiosk_id, msg)
    return fleet, alerts, evaluator, clock, sent, report


def rules_of(alerts, **filters):
    return sorted((a["kiosk_id"], a["rule"], a["status"]) for a in alerts.alerts(**filters))


def test_paper_out_raises_once_and_clears_itself_when_paper_is_back(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    for _ in range(3):  # the same fault in every report: one alert
        report("K-1", reports.health(paper="paper_out"))
    assert rules_of(alerts) == [("K-1", "paper_out", "open")]
    report("K-1", reports.health())
    assert rules_of(alerts) == [("K-1", "paper_out", "cleared")]
    assert sent.notices == [("raised", "K-1", "paper_out"), ("cleared", "K-1", "paper_out")]
    report("K-1", reports.health(paper="paper_out"))  # a new fault later is a new alert
    assert [a["status"] for a in alerts.alerts(rule="paper_out")] == ["open", "cleared"]


def test_each_rule_names_the_fact_behind_it(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_low", reader="offline", state="out_of_service",
                                 system={"clock_synchronized": False, "disk_free_mib": 120, "state_persistent": False}))
    assert {a["rule"]: a["detail"] for a in alerts.alerts()} == {
        "paper_low": {"devices": ["receipt_printer"]}, "reader_error": {"devices": ["id_reader"]},
        "out_of_service": {}, "clock_unsynchronized": {}, "disk_low": {"free_mib": 120}, "state_not_persistent": {}}
    assert {a["hall"] for a in alerts.alerts()} == {"市民中心"}


def test_an_acknowledged_condition_stays_until_its_fact_is_gone(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_out"))
    (alert,) = alerts.alerts()
    assert alerts.acknowledge(alert["id"], "op1")["status"] == "acknowledged"
    report("K-1", reports.health(paper="paper_out"))
    assert rules_of(alerts) == [("K-1", "paper_out", "acknowledged")]  # not raised again while it holds
    report("K-1", reports.health())
    assert rules_of(alerts) == [("K-1", "paper_out", "cleared")]
    with pytest.raises(AlertError, match="already cleared"):
        alerts.acknowledge(alert["id"], "op1")


def test_a_restart_loop_is_an_event_that_only_an_operator_ends(world):
    fleet, alerts, evaluator, clock, sent, report = world
    for seq in (1, 2):
        report("K-1", reports.birth("K-1", seq=seq))
        clock.now += 60
    assert alerts.alerts() == []
    report("K-1", reports.birth("K-1", seq=3))  # three starts in ten minutes
    assert rules_of(alerts) == [("K-1", "restart_loop", "open")]
    report("K-1", reports.health(seq=3))
    clock.now += 3600
    evaluator.sweep()  # an hour of good health does not end it
    assert rules_of(alerts) == [("K-1", "restart_loop", "open")]
    (alert,) = alerts.alerts()
    alerts.acknowledge(alert["id"], "op1")
    evaluator.forget("K-1", "restart_loop")
    assert rules_of(alerts) == [("K-1", "restart_loop", "acknowledged")]
    for seq in (4, 5, 6):
        report("K-1", reports.birth("K-1", seq=seq))
    assert rules_of(alerts, status="open") == [("K-1", "restart_loop", "open")]


def test_starts_spread_over_more_than_the_window_are_no_loop(world):
    fleet, alerts, evaluator, clock, sent, report = world
    for seq in range(1, 6):
        report("K-1", reports.birth("K-1", seq=seq))
        clock.now += 6 * 60
    assert alerts.alerts() == []


def test_offline_is_raised_by_the_timer_and_cleared_by_the_next_report(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health())
    fleet.engine.dispose()
    _set_last_seen(fleet, "K-1", clock.now)
    clock.now += 9 * 60
    evaluator.sweep()
    assert alerts.alerts() == []
    clock.now += 2 * 60  # eleven minutes of silence
    evaluator.sweep(full=False)  # the light sweep: heartbeats only
    assert rules_of(alerts) == [("K-1", "offline", "open")]
    evaluator.sweep()
    assert rules_of(alerts) == [("K-1", "offline", "open")]
    report("K-1", reports.health())
    assert rules_of(alerts) == [("K-1", "offline", "cleared")]


def test_a_lost_kiosk_is_offline_until_it_says_it_is_back(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.state("lost"))
    _set_last_seen(fleet, "K-1", clock.now)
    clock.now += 11 * 60
    evaluator.sweep()
    assert rules_of(alerts) == [("K-1", "offline", "open")]
    report("K-1", reports.state("lost"))  # its retained Will, delivered again when ingest reconnects
    evaluator.sweep()
    assert rules_of(alerts) == [("K-1", "offline", "open")]
    report("K-1", reports.birth("K-1", seq=2))
    report("K-1", reports.state("in_service", seq=2))
    assert rules_of(alerts) == [("K-1", "offline", "cleared")]


def test_a_broker_outage_neither_raises_nor_clears_offline(world):
    fleet, alerts, evaluator, clock, sent, report = world
    for k in ("K-1", "K-2"):
        report(k, reports.birth(k))
        report(k, reports.health())
        _set_last_seen(fleet, k, clock.now)
    clock.now += 20 * 60
    evaluator.sweep()
    assert rules_of(alerts) == [("K-1", "offline", "open"), ("K-2", "offline", "open")]
    evaluator.online_since = None  # ingest lost its broker
    clock.now += 20 * 60
    report("K-2", reports.health())  # (a report that was already on its way)
    evaluator.sweep()
    assert rules_of(alerts, status="open") == [("K-1", "offline", "open")]
    evaluator.online_since = clock.now  # back: K-1 stays as it was until it could have been heard
    for k in ("K-3",):
        report(k, reports.birth(k))
        report(k, reports.health())
        _set_last_seen(fleet, k, clock.now - 3600)  # silent since long before the outage
    clock.now += 60
    evaluator.sweep()
    assert rules_of(alerts, status="open") == [("K-1", "offline", "open")]
    clock.now += 10 * 60
    evaluator.sweep()
    assert rules_of(alerts, status="open") == [("K-1", "offline", "open"), ("K-3", "offline", "open")]


def test_a_maintenance_window_suppresses_raising_but_not_clearing(world):
    fleet, alerts, evaluator, clock, sent, report = world
    for k, hall in (("K-1", "市民中心"), ("K-2", "市民中心"), ("K-3", "社区中心")):
        report(k, reports.birth(k, hall=hall))
    report("K-2", reports.health(paper="paper_low"))
    alerts.add_window(kiosk_id=None, hall="市民中心", starts_at=clock.now - 1, ends_at=clock.now + 3600,
                      reason="换纸", user="op1")
    for k in ("K-1", "K-2", "K-3"):
        report(k, reports.health(paper="paper_out"))
    assert rules_of(alerts) == [("K-2", "paper_low", "cleared"), ("K-3", "paper_out", "open")]
    clock.now += 3601  # the window is over and the paper still out: raised by the timer
    evaluator.sweep()
    assert rules_of(alerts, status="open") == [("K-1", "paper_out", "open"), ("K-2", "paper_out", "open"),
                                               ("K-3", "paper_out", "open")]


def test_a_technician_at_the_machine_raises_nothing(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_out", state="maintenance", mode="pin"))
    assert alerts.alerts() == []


def test_a_window_for_one_kiosk_leaves_its_neighbours_alone(world):
    fleet, alerts, evaluator, clock, sent, report = world
    for k in ("K-1", "K-2"):
        report(k, reports.birth(k))
    alerts.add_window(kiosk_id="K-1", hall=None, starts_at=clock.now, ends_at=clock.now + 60, reason="", user="op1")
    for k in ("K-1", "K-2"):
        report(k, reports.health(paper="paper_out"))
    assert rules_of(alerts) == [("K-2", "paper_out", "open")]
    with pytest.raises(AlertError):
        alerts.add_window(kiosk_id=None, hall=None, starts_at=0, ends_at=1, reason="", user="op1")


def test_two_workers_meeting_one_fault_raise_one_alert(world, db_engine):
    fleet, alerts, evaluator, clock, sent, report = world
    other_sent = Sent()
    other = Evaluator(AlertStore(db_engine), AlertsConfig(), other_sent, clock=clock)
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_out"))
    other.on_report("K-1", reports.health(paper="paper_out"))
    assert rules_of(alerts) == [("K-1", "paper_out", "open")]
    assert len(sent.notices) + len(other_sent.notices) == 1
    other.on_report("K-1", reports.health())  # the other worker sees the refill: cleared by it
    assert rules_of(alerts) == [("K-1", "paper_out", "cleared")]


def test_disabled_rules_are_never_raised(db_engine):
    fleet, alerts = FleetStore(db_engine), AlertStore(db_engine)
    evaluator = Evaluator(alerts, AlertsConfig(disabled_rules=["paper_low"]), Sent())
    fleet.birth("K-1", reports.birth("K-1"))
    evaluator.on_report("K-1", reports.health(paper="paper_low"))
    assert alerts.alerts() == []


def _set_last_seen(fleet, kiosk_id, when):
    from sqlalchemy import update
    from backoffice.models import Kiosk
    with fleet.engine.begin() as conn:
        conn.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen=when))


def test_ended_alerts_are_deleted_after_keep_days_and_active_ones_never(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_out"))
    report("K-1", reports.health(paper="paper_low"))  # paper_out cleared, paper_low active
    clock.now += 181 * 86400
    _set_last_seen(fleet, "K-1", clock.now)
    evaluator.sweep()
    assert rules_of(alerts) == [("K-1", "paper_low", "open")]


def test_a_clean_stop_can_be_exempt_from_offline(db_engine):
    fleet, alerts, clock = FleetStore(db_engine), AlertStore(db_engine), Clock()
    evaluator = Evaluator(alerts, AlertsConfig(offline_after_clean_stop=False), Sent(), clock=clock)
    for k, last in (("K-1", "disconnected"), ("K-2", "lost")):
        fleet.birth(k, reports.birth(k))
        fleet.state(k, reports.state(last))
        _set_last_seen(fleet, k, clock.now)
    clock.now += 3600
    evaluator.sweep()
    assert rules_of(alerts) == [("K-2", "offline", "open")]


def test_a_light_sweep_reads_no_health_and_so_clears_nothing_else(world):
    fleet, alerts, evaluator, clock, sent, report = world
    report("K-1", reports.birth("K-1"))
    report("K-1", reports.health(paper="paper_out"))
    _set_last_seen(fleet, "K-1", clock.now)
    clock.now += 11 * 60
    evaluator.sweep(full=False)
    assert rules_of(alerts) == [("K-1", "offline", "open"), ("K-1", "paper_out", "open")]
