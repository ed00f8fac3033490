"""The store on both engines (SQLite and PostgreSQL 15, see conftest's db_url): each report kept once, the
newest health never replaced by an older one, a batch written whole, a row the database refuses skipped."""
import json
import logging

from backoffice.pipeline import Pipeline
from backoffice.reports import Report
from backoffice.store import FleetStore
from tests.backoffice.fleet_sim import health, visit
from wire import messages, topics


def report(kiosk_id, msg):
    return Report(kiosk_id, type(msg), msg.as_dict())


def test_a_numbered_event_is_kept_once_and_an_unnumbered_one_by_its_content(db_engine):
    store = FleetStore(db_engine)
    assert store.write([report("K-1", visit(1)), report("K-1", visit(1)), report("K-1", visit(3))]) == [
        "stored", "duplicate", "stored"]
    assert store.write([report("K-1", visit(1))]) == ["duplicate"]  # a redelivery in a later batch
    old = messages.Visit(flow="queue", result="completed", reason="", printed={}, tickets=0, session_seq=1, at=5.0)
    assert store.write([report("K-1", old), report("K-1", old)]) == ["stored", "duplicate"]
    assert [e["seq"] for e in store.events("K-1")] == [None, 1, 3]  # by time: the old one at 5.0


def test_an_older_health_never_replaces_a_newer_one(db_engine):
    store = FleetStore(db_engine)
    assert store.write([report("K-1", health(4)), report("K-1", health(2)), report("K-1", health(4))]) == [
        "stored", "stale", "duplicate"]
    assert store.write([report("K-1", health(6))]) == ["stored"]
    assert store.kiosks()[0]["health"]["seq"] == 6


def test_a_will_from_an_older_session_is_stale_within_one_batch(db_engine):
    store = FleetStore(db_engine)
    birth = messages.Birth(kiosk_id="K-1", boot_id="b", session_seq=5, versions={}, commands=[], command_envelope=1,
                           commands_enabled=False, at=1.0, identity={"hall": "Hall 1"})
    out = store.write([report("K-1", birth), report("K-1", messages.State("in_service", 5, 2)),  # an int `at`
                       report("K-1", messages.State("lost", 4, 3.0))])
    assert out == ["stored", "stored", "stale"]
    (k,) = store.kiosks()
    assert (k["state"], k["hall"], k["session_seq"]) == ("in_service", "Hall 1", 5)


def test_many_kiosks_in_one_batch(db_engine):
    store = FleetStore(db_engine)
    batch = [report(f"K-{i}", health(2 * n)) for n in range(1, 4) for i in range(50)]
    batch += [report(f"K-{i}", messages.State("in_service", 1, i)) for i in range(25)]  # two kinds of change
    assert set(store.write(batch)) == {"stored"}
    assert {k["health"]["seq"] for k in store.kiosks()} == {6}
    assert len(store.kiosks()) == 50


def test_a_report_the_database_refuses_is_skipped_alone_and_logged_without_its_values(db_engine, caplog):
    """PostgreSQL refuses a NUL character in a text column (SQLite keeps it): the rest of the batch is
    stored, the worker goes on, and the log names the kind of error, not the value."""
    caplog.set_level(logging.DEBUG)
    pipeline = Pipeline(FleetStore(db_engine))
    nul = messages.Birth(kiosk_id="K-2", boot_id="b", session_seq=1, versions={}, commands=[], command_envelope=1,
                         commands_enabled=False, at=1.0, identity={"hall": "Hall\x00 110101199003077777"})
    pipeline.process([(topics.topic("K-1", topics.HEALTH), health(2).encode().encode()),
                      (topics.topic("K-2", topics.BIRTH), nul.encode().encode()),
                      (topics.topic("K-3", topics.HEALTH), health(2).encode().encode())])
    kiosks = {k["id"] for k in pipeline.store.kiosks()}
    assert {"K-1", "K-3"} <= kiosks
    if db_engine.dialect.name == "postgresql":
        assert pipeline.counts["failed"] == 1 and "K-2" not in kiosks
    else:
        assert "K-2" in kiosks
    assert pipeline.database.up
    assert "110101199003077777" not in caplog.text


def test_a_health_is_kept_as_the_kiosk_sent_it_and_a_field_the_back_office_does_not_know_never(db_engine):
    """A health read whole is stored from its payload as sent; one with fields the back office does not know
    is stored cut to what it knows, whichever way it came, nested parts too."""
    pipeline = Pipeline(FleetStore(db_engine))
    whole = health(2).as_dict()
    whole["system"]["note"] = "自助终端 \u00e9"  # free-form figures are the kiosk's: kept as sent
    extra = health(4).as_dict()
    extra["firmware_secret"] = "x1"
    extra["devices"]["receipt"]["serial"] = "x2"
    pipeline.process([(topics.topic("K-1", topics.HEALTH), json.dumps(whole, ensure_ascii=False).encode()),
                      (topics.topic("K-2", topics.HEALTH), json.dumps(whole, indent=2).encode()),
                      (topics.topic("K-3", topics.HEALTH), json.dumps(extra).encode())])
    assert pipeline.counts == {"stored": 3}
    kept = {k["id"]: k["health"] for k in pipeline.store.kiosks()}
    assert kept["K-1"] == kept["K-2"] == whole
    assert "firmware_secret" not in kept["K-3"] and "serial" not in kept["K-3"]["devices"]["receipt"]
    assert kept["K-3"]["seq"] == 4 and kept["K-3"]["devices"]["receipt"]["state"] == "ok"
