"""Ingest against a real Mosquitto: what a kiosk publishes (built through wire) lands in the store and the API."""
import asyncio
import json
import logging

import pytest
from aiohttp import ClientSession

from backoffice.config import parse
from backoffice.server import Server
from tests.fleet.mqtt_helpers import Broker, connected_client, disconnect_client
from wire import messages, topics

pytestmark = pytest.mark.asyncio

SECRET = "110101199003077777"  # planted where a bad report carries it: it must reach no log


@pytest.fixture
async def server(tmp_path, broker, db_url):
    cfg = parse({"broker": {"host": "127.0.0.1", "port": broker.port}, "database": {"url": db_url}},
                "backoffice.toml", base=tmp_path)
    s = Server(cfg, port=0)
    await s.start()
    await asyncio.wait_for(s.ingest.subscribed.wait(), 10)
    yield s
    await s.stop()


async def publish(server, client, topic: str, payload: str | bytes, n: int = 1, within_s: float = 5):
    """Publish, then wait until ingest has handled that many more messages (stored, refused or stale)."""
    before = sum(server.ingest.counts.values()) + sum(server.ingest.bad.values())
    client.publish(topic, payload, qos=1).wait_for_publish(within_s)
    for _ in range(int(within_s * 100)):
        if sum(server.ingest.counts.values()) + sum(server.ingest.bad.values()) >= before + n:
            return
        await asyncio.sleep(0.01)  # polling the consumer, bounded
    raise AssertionError(f"ingest did not handle {topic}")


def birth(kiosk_id="K-001", seq=3):
    return messages.Birth(kiosk_id=kiosk_id, boot_id="b1", session_seq=seq, versions={"app": "0.1.0"},
                          commands=["ping"], command_envelope=1, commands_enabled=False, at=1000.0)


def health(seq=3, paper="paper_low"):
    return messages.Health(
        state="degraded", mode="home", maintenance_pending=False,
        devices={"receipt": messages.DeviceHealth("warning", [paper], "")},
        items={"queue": messages.ItemHealth(True, [])}, system={"uptime_s": 5}, versions={"app": "0.1.0"},
        counters=messages.VisitCounts(1, {}, {}, {}), journal=messages.JournalFlags(True), session_seq=seq,
        at=1001.0)


def visit(seq=3, at=1002.0):
    return messages.Visit(flow="queue", result="completed", reason="", printed={"receipt": 1}, tickets=1,
                          session_seq=seq, at=at)


async def api_kiosks(server):
    """The stored kiosks (the API behind sign-in is tested in test_fleet_api.py)."""
    return {k["id"]: k for k in await asyncio.to_thread(server.store.kiosks)}


async def test_a_kiosks_reports_reach_the_store_and_the_api(server, kiosk):
    await publish(server, kiosk, topics.topic("K-001", topics.BIRTH), birth().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.STATE),
                  messages.State("degraded", 3, 1000.5).encode())
    await publish(server, kiosk, topics.topic("K-001", topics.HEALTH), health().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.EVENTS), visit().encode())
    k = (await api_kiosks(server))["K-001"]
    assert (k["state"], k["session_seq"], k["versions"]) == ("degraded", 3, {"app": "0.1.0"})
    assert k["health"]["devices"]["receipt"]["reasons"] == ["paper_low"]
    assert [e["payload"]["flow"] for e in server.store.events("K-001")] == ["queue"]


async def test_the_same_event_delivered_twice_is_stored_once(server, kiosk):
    await publish(server, kiosk, topics.topic("K-001", topics.EVENTS), visit().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.EVENTS), visit().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.EVENTS), visit(at=1003.0).encode())
    assert [e["at"] for e in server.store.events("K-001")] == [1002.0, 1003.0]
    assert server.ingest.counts["duplicate"] == 1


async def test_a_late_will_does_not_mark_a_reconnected_kiosk_lost(server, kiosk):
    await publish(server, kiosk, topics.topic("K-001", topics.BIRTH), birth(seq=4).encode())
    await publish(server, kiosk, topics.topic("K-001", topics.STATE), messages.State("in_service", 4, 1.0).encode())
    await publish(server, kiosk, topics.topic("K-001", topics.STATE), messages.State("lost", 3, 2.0).encode())
    assert (await api_kiosks(server))["K-001"]["state"] == "in_service"
    await publish(server, kiosk, topics.topic("K-001", topics.STATE), messages.State("lost", 4, 3.0).encode())
    assert (await api_kiosks(server))["K-001"]["state"] == "lost"  # the current session's Will counts


# Each bad report, with the reason it is counted under; the NATS path is tested with the same list.
BAD_INPUT = [
    (topics.topic("K-001", topics.HEALTH), f'{{"v":1,"state":"{SECRET}"', "malformed"),
    (topics.topic("K-001", topics.STATE), json.dumps({"v": 1, "state": "lost", "session_seq": SECRET, "at": 1}),
     "malformed"),
    (topics.topic("K-001", topics.STATE), json.dumps({"v": 9, "state": SECRET, "session_seq": 1, "at": 1}),
     "version"),
    (topics.topic("K-001", topics.BIRTH), birth(kiosk_id="K-002").encode(), "wrong_kiosk"),
    (topics.topic("K-001", topics.EVENTS), json.dumps({"v": 1, "kind": SECRET}), "malformed"),
    (topics.topic("K-001", topics.HEALTH),
     json.dumps({**health().as_dict(), "devices": {SECRET: {"state": 1, "reasons": [], "detail": ""}}}), "malformed"),
    (topics.topic("K-001", topics.STATE), f'{{"v":1,"{SECRET}":1,"{SECRET}":2}}', "malformed"),
    (topics.topic("K-001", topics.HEALTH), "x" * 70000, "too_large"),
    ("kiosk/v1/K.001/state", messages.State("lost", 1, 1.0).encode(), "topic"),
]


@pytest.mark.parametrize("topic, payload, reason", BAD_INPUT)
async def test_bad_input_is_counted_logged_without_payload_never_stored(server, kiosk, caplog, capsys, topic,
                                                                           payload, reason):
    await bad_input_is_refused(server, kiosk, caplog, capsys, topic, payload, reason)


async def bad_input_is_refused(server, kiosk, caplog, capsys, topic, payload, reason):
    """Counted under its reason, never stored, nothing of it logged; the worker carries on (both broker paths)."""
    caplog.set_level(logging.DEBUG)
    await publish(server, kiosk, topic, payload)
    assert server.ingest.bad == {reason: 1}
    assert await api_kiosks(server) == {}
    await publish(server, kiosk, topics.topic("K-003", topics.STATE), messages.State("in_service", 1, 1.0).encode())
    assert list(await api_kiosks(server)) == ["K-003"]  # the worker carried on
    out = capsys.readouterr()
    assert SECRET not in caplog.text + out.out + out.err


async def test_two_workers_in_one_group_share_the_fleet_without_doubling_it(server, tmp_path, broker, kiosk):
    """Also: both meet the new kiosk K-001 at once; neither may lose its event to the other's insert."""
    cfg = parse({"broker": {"host": "127.0.0.1", "port": broker.port},
                 "database": {"url": server.cfg.database.url}}, "b.toml", base=tmp_path)
    second = Server(cfg, port=0)
    await second.start()
    await asyncio.wait_for(second.ingest.subscribed.wait(), 10)
    try:
        for i in range(20):
            kiosk.publish(topics.topic("K-001", topics.EVENTS), visit(at=2000.0 + i).encode(), qos=1)
        for _ in range(500):
            if server.ingest.counts["stored"] + second.ingest.counts["stored"] >= 20:
                break
            await asyncio.sleep(0.01)  # polling both consumers, bounded
        assert server.ingest.counts["stored"] + second.ingest.counts["stored"] == 20
        assert server.ingest.counts["stored"] and second.ingest.counts["stored"]  # the broker shared them out
        assert len(server.store.events("K-001")) == 20
    finally:
        await second.stop()


async def test_with_no_configuration_it_starts_its_own_broker_and_database_in_place(tmp_path):
    s = Server(parse({}, "backoffice.toml", base=tmp_path), port=0)
    await s.start()
    try:
        await asyncio.wait_for(s.ingest.subscribed.wait(), 10)
        assert (tmp_path / "backoffice.db").exists() and s.broker.port
        c = connected_client(s.broker.port, "fake-kiosk-2")
        try:
            await publish(s, c, topics.topic("K-009", topics.BIRTH), birth("K-009", 1).encode())
        finally:
            disconnect_client(c)
        assert list(await api_kiosks(s)) == ["K-009"]
    finally:
        await s.stop()
    assert s.broker.proc.poll() is not None  # stopped with the server: no broker left behind


async def test_ingest_survives_a_broker_restart(server, broker, tmp_path):
    broker.stop()
    await asyncio.wait_for(_until(lambda: not server.ingest.connected.is_set()), 10)
    assert server.ingest.status()["connected"] is False
    async with ClientSession() as http:  # what the console shows: the data is not current, and why
        async with http.get(f"http://127.0.0.1:{server.port}/api/v1/ingest") as r:
            assert {k: v for k, v in (await r.json()).items() if k in ("stale", "reason")} == {
                "stale": True, "reason": "broker_unreachable"}
    again = Broker(tmp_path, port=broker.port).start()
    try:
        await asyncio.wait_for(server.ingest.subscribed.wait(), 15)  # paho reconnects with backoff, resubscribes
        c = connected_client(broker.port, "fake-kiosk-3")
        try:
            await publish(server, c, topics.topic("K-004", topics.STATE), messages.State("in_service", 1, 1.0).encode())
        finally:
            disconnect_client(c)
        assert list(await api_kiosks(server)) == ["K-004"]
    finally:
        again.stop()


async def _until(pred):
    while not pred():
        await asyncio.sleep(0.01)  # polling a flag set from paho's thread; bounded by the caller's wait_for
