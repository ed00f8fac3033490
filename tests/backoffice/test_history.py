"""Health history through the store: a sample per report, hourly after full_days, gone after hourly_days."""
import time

import pytest

from backoffice import history
from backoffice.fleetstate import derive
from backoffice.store import FleetStore
from wire import messages

T0 = 1_700_000_000.0
HOUR0 = (T0 // 3600) * 3600


def health(at, *, uptime, sessions=0, done=None, paper=None, mem=500, latency=None, seq=1, state="in_service"):
    system = {"uptime_s": uptime, "mem_available_mib": mem, "rss_mib": 100}
    if latency is not None:
        system["backend_latency_ms"] = latency
    return messages.Health(
        state=state, mode="home", maintenance_pending=False,
        devices={"receipt_printer": messages.DeviceHealth("warning" if paper else "ok", [paper] if paper else [], "")},
        items={"queue": messages.ItemHealth(True, [])}, system=system, versions={"app": "1.0"},
        counters=messages.VisitCounts(sessions, done or {}, {}, {}), journal=messages.JournalFlags(True),
        session_seq=seq, at=at)


@pytest.fixture
def store(db_engine):
    s = FleetStore(db_engine)
    s.now = T0
    s.clock = lambda: s.now
    return s


def report(store, at, **kw):
    store.now = at
    assert store.health("K-1", health(at, **kw))


def test_each_report_is_a_sample_with_visits_and_restarts_since_the_previous(store, db_engine):
    report(store, T0, uptime=100, sessions=7, done={"queue": 5})  # no baseline yet: nothing counted
    report(store, T0 + 60, uptime=160, sessions=9, done={"queue": 6, "pension": 1})
    report(store, T0 + 120, uptime=5, sessions=1, done={"queue": 1})  # restarted: counters start again
    rows = history.samples(db_engine, "K-1", 0, T0 + 999)
    assert [(r["visits"], r["items"], r["restarts"]) for r in rows] == [
        (0, {}, 0), (2, {"queue": 1, "pension": 1}, 0), (1, {"queue": 1}, 1)]
    assert rows[0]["paper"] == {"receipt_printer": 2} and rows[0]["mem_available_mib"] == 500


def test_a_redelivered_report_is_not_a_second_sample(store, db_engine):
    report(store, T0, uptime=100)
    report(store, T0, uptime=100)
    assert len(history.samples(db_engine, "K-1", 0, T0 + 999)) == 1


def test_visits_count_from_the_latest_health_whichever_worker_stored_it(store, db_engine):
    """A worker remembers the last health it stored for the next sample's deltas; when another worker has
    stored a newer one meanwhile, the deltas are taken from that one, as the database has it."""
    other = FleetStore(db_engine)
    other.clock = lambda: store.now
    report(store, T0, uptime=100, sessions=2)
    report(store, T0 + 60, uptime=160, sessions=4)
    store.now = T0 + 120
    assert other.health("K-1", health(T0 + 120, uptime=220, sessions=10))
    report(store, T0 + 180, uptime=280, sessions=12)
    rows = history.samples(db_engine, "K-1", 0, T0 + 999)
    assert [r["visits"] for r in rows] == [0, 2, 6, 2]


def test_samples_older_than_full_days_become_one_row_per_hour(store, db_engine):
    for i in range(6):  # two hours, three reports each; paper low in one, latency in some
        at = HOUR0 + (i // 3) * 3600 + (i % 3) * 600
        report(store, at, uptime=100 + i * 600, sessions=i, mem=400 + 100 * (i % 3),
               paper="paper_low" if i == 1 else None, latency=50.0 if i % 3 == 0 else None)
    report(store, HOUR0 + 3 * 3600, uptime=99999, sessions=6)  # a later hour: still within full_days
    now = HOUR0 + 3 * 3600 + 1 * 86400  # full_days=1: the first two hours are due, the third not yet
    done = history.compact(db_engine, now, full_days=1, hourly_days=30)
    assert done["merged"] == 6 and done["hourly"] == 2
    rows = history.samples(db_engine, "K-1", 0, now)
    assert [(r["resolution"], r["at"], r["n"]) for r in rows] == [
        (3600, HOUR0, 3), (3600, HOUR0 + 3600, 3), (0, HOUR0 + 3 * 3600, 1)]
    first, second = rows[0], rows[1]
    assert first["mem_available_mib"] == 500.0  # the mean of 400, 500, 600
    assert first["paper"] == {"receipt_printer": 1}  # the worst of the hour
    assert first["visits"] == 2 and second["visits"] == 3  # summed: 0+1+1, 1+1+1
    assert first["latency_ms"] == 50.0  # the mean of what was sent
    again = history.compact(db_engine, now, full_days=1, hourly_days=30)
    assert again["merged"] == 0 and len(history.samples(db_engine, "K-1", 0, now)) == 3  # idempotent


def test_a_late_sample_joins_its_hours_row(store, db_engine):
    report(store, HOUR0 + 100, uptime=100, sessions=0)
    report(store, HOUR0 + 200, uptime=200, sessions=2)
    history.compact(db_engine, HOUR0 + 2 * 86400, full_days=1, hourly_days=30)
    report(store, HOUR0 + 300, uptime=300, sessions=3)
    history.compact(db_engine, HOUR0 + 2 * 86400, full_days=1, hourly_days=30)
    (row,) = history.samples(db_engine, "K-1", 0, HOUR0 + 3 * 86400)
    assert (row["resolution"], row["n"], row["visits"]) == (3600, 3, 3)


def test_retention_drops_rows_and_changes_older_than_hourly_days(store, db_engine):
    store.now = HOUR0
    store.birth("K-1", messages.Birth("K-1", "boot-a", 1, {"app": "1"}, [], 1, False, HOUR0))
    report(store, HOUR0, uptime=1)
    report(store, HOUR0 + 10 * 86400, uptime=2)
    now = HOUR0 + 10 * 86400 + 3600
    history.compact(db_engine, now, full_days=1, hourly_days=5)
    rows = history.samples(db_engine, "K-1", 0, now)
    assert [r["at"] for r in rows] == [HOUR0 + 10 * 86400]  # the old one merged, then dropped
    assert history.changes(db_engine, "K-1", 0) == []


def test_births_and_state_changes_make_the_timeline(store, db_engine):
    store.now = T0
    store.birth("K-1", messages.Birth("K-1", "boot-a", 1, {"app": "1"}, [], 1, False, T0))
    store.state("K-1", messages.State("in_service", 1, T0))
    store.state("K-1", messages.State("in_service", 1, T0 + 1))  # no change: no line
    store.now = T0 + 50
    store.state("K-1", messages.State("maintenance", 1, T0 + 50))
    store.now = T0 + 60
    store.birth("K-1", messages.Birth("K-1", "boot-b", 2, {"app": "2"}, [], 1, False, T0 + 60))
    timeline = history.changes(db_engine, "K-1", 0)
    assert [(c["kind"], c["value"]) for c in timeline] == [
        ("birth", "boot-b"), ("state", "maintenance"), ("state", "in_service"), ("birth", "boot-a")]
    assert timeline[0]["detail"] == {"versions": {"app": "2"}}


def test_a_new_birth_ends_an_older_sessions_will_and_a_late_will_changes_nothing(store):
    store.now = T0
    store.birth("K-1", messages.Birth("K-1", "boot-a", 4, {}, [], 1, False, T0))
    store.state("K-1", messages.State("lost", 4, T0 + 1))
    (k,) = store.kiosks()
    assert derive(k, T0 + 2).state == "lost"
    store.birth("K-1", messages.Birth("K-1", "boot-b", 5, {}, [], 1, False, T0 + 3))
    assert not store.state("K-1", messages.State("lost", 4, T0 + 4))  # the old session's Will, late
    (k,) = store.kiosks()
    assert derive(k, T0 + 5).state == "starting"


def test_listeners_hear_of_each_stored_change(store):
    heard = []
    store.listeners.append(heard.append)
    store.state("K-1", messages.State("in_service", 1, T0))
    store.state("K-2", messages.State("in_service", 1, T0))
    assert heard == ["K-1", "K-2"]


def test_the_server_runs_downsampling_and_retention_by_itself(tmp_path, console_broker):
    from backoffice import db
    from tests.backoffice.live_console import LiveConsole
    url = f"sqlite:///{tmp_path / 'backoffice.db'}"
    engine = db.engine(url)
    db.upgrade(engine)
    store = FleetStore(engine)
    now = time.time()
    for k in range(4):  # three days old: due for the hourly rows at full_days=1
        store.now = now - 3 * 86400 + k * 60
        store.clock = lambda: store.now
        assert store.health("K-1", health(store.now, uptime=100 + k * 60))
    engine.dispose()
    console = LiveConsole(tmp_path, console_broker.port, {"database": {"url": url},
                                                          "history": {"full_days": 1, "hourly_days": 30}})
    console.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the job runs at start, on its own task: poll the database
            rows = history.samples(console.server.engine, "K-1", 0, now)
            if rows and all(r["resolution"] == 3600 for r in rows):
                break
            time.sleep(0.05)
        assert sum(r["n"] for r in rows) == 4 and {r["resolution"] for r in rows} == {3600}
    finally:
        console.stop()
