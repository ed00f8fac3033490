"""The production ingest path against a real three-node NATS cluster: kiosks speak MQTT 3.1.1 to its MQTT
listeners, unchanged; the back office consumes a replicated JetStream stream as a durable, shared consumer."""
import asyncio

import pytest
from aiohttp import ClientSession

from backoffice.auth.tokens import Tokens
from backoffice.config import parse
from backoffice.server import Server
from tests.backoffice import pg
from tests.backoffice.fleet_sim import SimKiosk
from tests.backoffice.nats_cluster import NatsCluster
from tests.backoffice.test_ingest import BAD_INPUT, api_kiosks, bad_input_is_refused, birth, health, publish, visit
from tests.fleet.mqtt_helpers import connected_client, disconnect_client
from wire import messages, topics

pytestmark = pytest.mark.asyncio


@pytest.fixture
def cluster(tmp_path):
    (tmp_path / "nats").mkdir()
    c = NatsCluster(tmp_path / "nats").start()
    yield c
    c.stop()


def nats_config(tmp_path, cluster, db_url, **ingest):
    return parse({"broker": {"kind": "nats", "servers": cluster.servers}, "database": {"url": db_url},
                  "ingest": ingest}, "backoffice.toml", base=tmp_path)


@pytest.fixture
async def server(tmp_path, cluster, db_url):
    s = Server(nats_config(tmp_path, cluster, db_url), port=0)
    await s.start()
    await asyncio.wait_for(s.ingest.subscribed.wait(), 30)
    yield s
    await s.stop()


@pytest.fixture
def kiosk(cluster):
    c = connected_client(cluster.nodes[0].mqtt, "fake-kiosk")
    yield c
    disconnect_client(c)


async def ingest_status(server) -> dict:
    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port}/api/v1/ingest") as r:
            return await r.json()


async def test_a_kiosk_speaking_mqtt_to_the_cluster_reaches_the_store(server, kiosk):
    await publish(server, kiosk, topics.topic("K-001", topics.BIRTH), birth().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.STATE), messages.State("degraded", 3, 1000.5).encode())
    await publish(server, kiosk, topics.topic("K-001", topics.HEALTH), health().encode())
    await publish(server, kiosk, topics.topic("K-001", topics.EVENTS), visit().encode())
    k = (await api_kiosks(server))["K-001"]
    assert (k["state"], k["session_seq"]) == ("degraded", 3)
    assert k["health"]["devices"]["receipt"]["reasons"] == ["paper_low"]
    assert [e["payload"]["flow"] for e in server.store.events("K-001")] == ["queue"]
    assert (await ingest_status(server))["stale"] is False


@pytest.mark.parametrize("topic, payload, reason", [b for b in BAD_INPUT if b[2] != "topic"])
async def test_bad_input_on_the_nats_path_is_counted_never_stored(server, kiosk, caplog, capsys, topic, payload,
                                                                  reason):
    """The same list as the MQTT path's (a topic with '.' cannot even be a NATS subject token, so that one
    stays with MQTT)."""
    await bad_input_is_refused(server, kiosk, caplog, capsys, topic, payload, reason)


async def test_ingest_reconnects_after_the_whole_cluster_restarts_and_says_it_was_stale(server, cluster, tmp_path):
    for node in cluster.nodes:
        cluster.kill(node)
    await asyncio.wait_for(_until(lambda: not server.ingest.connected.is_set()), 20)
    status = await ingest_status(server)
    assert (status["stale"], status["reason"]) == (True, "broker_unreachable")
    await asyncio.to_thread(cluster.start)  # same ports, same stores; the back office's loop runs meanwhile
    await asyncio.wait_for(_until(server.ingest.connected.is_set), 60)  # reconnected, and the consumer answers
    assert (await ingest_status(server))["stale"] is False
    c = connected_client(cluster.nodes[1].mqtt, "fake-kiosk-2")
    try:
        # the first report after a restart waits for the stream's replicas to agree: a loaded CI machine
        # took over 5 s once, so this bound is generous; the test is about getting there, not how fast
        await publish(server, c, topics.topic("K-004", topics.STATE), messages.State("in_service", 1, 1.0).encode(),
                      within_s=30)
    finally:
        disconnect_client(c)
    assert list(await api_kiosks(server)) == ["K-004"]
    assert (await ingest_status(server))["stale"] is False


async def _until(pred):
    while not pred():
        await asyncio.sleep(0.05)  # polling a flag another task sets; bounded by the caller's wait_for


@pytest.fixture
def own_pg():
    """A PostgreSQL of this test's own, since the test stops it; durable, since it is crashed."""
    why = pg.missing()
    if why:
        pytest.skip(why)
    server = pg.PostgresServer(durable=True).start()
    yield server
    server.remove()


async def test_a_database_outage_is_waited_out_nothing_acknowledged_is_lost_and_the_api_says_stale(
        tmp_path, cluster, own_pg):
    """PostgreSQL stops mid-run: the worker keeps running, the cluster keeps what kiosks hand over (the worker
    acknowledges only after commit), the API says the data is stale; when the database is back, all of it
    is stored and the data is current again."""
    s = Server(nats_config(tmp_path, cluster, own_pg.create_database()), port=0)
    await s.start()
    kiosk = SimKiosk("K-001", cluster.nodes[0].mqtt)
    try:
        await asyncio.wait_for(s.ingest.subscribed.wait(), 30)
        for seq in range(1, 11):
            kiosk.publish(seq)
        await asyncio.wait_for(_until(lambda: s.ingest.counts["stored"] >= 10), 30)
        token = Tokens(s.engine).issue("tests", "viewer", actor="test")
        own_pg.stop("immediate")
        for seq in range(11, 41):
            kiosk.publish(seq)
        await asyncio.wait_for(_until(lambda: kiosk.handed_over() == 40), 30)
        await asyncio.wait_for(_until(lambda: not s.ingest.database.up), 30)
        status = await ingest_status(s)
        assert (status["stale"], status["reason"]) == (True, "database_unreachable")
        async with ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            async with http.get(f"http://127.0.0.1:{s.port}/api/v1/kiosks") as r:
                assert r.status == 503 and (await r.json())["freshness"]["stale"] is True
        await asyncio.to_thread(own_pg.start)
        await asyncio.wait_for(_until(lambda: s.ingest.database.up and s.ingest.counts["stored"] >= 40), 60)
        assert [e["seq"] for e in s.store.events("K-001")] == list(range(1, 41, 2))
        k = (await api_kiosks(s))["K-001"]
        assert k["health"]["seq"] == 40
        assert (await ingest_status(s))["stale"] is False
    finally:
        kiosk.close()
        await s.stop()


async def test_the_kiosks_own_reporter_reports_through_the_cluster_unchanged(server, cluster, tmp_path):
    """The kiosk runtime's MQTT reporter, as shipped (Will, retained birth and state, outbox), pointed at a
    NATS node's MQTT listener: its birth, health and numbered events reach the back office."""
    from kiosk.fleet.outbox import Outbox
    from kiosk.fleet.reporter import MqttReporter
    reporter = MqttReporter("K-010", "127.0.0.1", cluster.nodes[2].mqtt, Outbox(tmp_path / "outbox.db"), tmp_path,
                            identity={"hall": "Hall 7"})
    await reporter.start()
    try:
        await asyncio.wait_for(reporter.listening.wait(), 30)  # subscribed to its commands: MQTT fully up
        reporter.set_health(health())
        reporter.event(visit())
        reporter.event(visit(at=1003.0))
        await asyncio.wait_for(_until(lambda: len(s_events(server, "K-010")) == 2), 30)
        events = s_events(server, "K-010")
        assert events[0]["seq"] < events[1]["seq"]  # numbered by the kiosk, in order
        await asyncio.wait_for(_until(lambda: (server.store.kiosks() or [{}])[0].get("health") is not None), 30)
        (k,) = server.store.kiosks()
        assert (k["id"], k["hall"], k["state"]) == ("K-010", "Hall 7", "starting")
        assert k["health"]["seq"] is not None
    finally:
        await reporter.stop()
        reporter.outbox.close()


def s_events(server, kiosk_id):
    return server.store.events(kiosk_id)

