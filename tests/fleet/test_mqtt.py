"""Fleet reporting against a real Mosquitto on 127.0.0.1: Will, birth, health, ordered events, commands."""
import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.fleet.gate import CommandGate, SeenIds
from kiosk.fleet.remote import CommandRegistry
from kiosk.fleet.reporter import MqttReporter
from kiosk.fleet.outbox import Outbox
from tests.fleet.mqtt_helpers import MOSQUITTO, Broker, Watcher
from tests.fleet.signed import BackOffice
from wire.commands import RELOAD_FLOWS, Reloaded
from wire.messages import Visit

pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed (make test installs it)")
HERE = Path(__file__).resolve().parent


def visit(n: int) -> Visit:
    return Visit(flow="queue-ticket", result="completed", reason="", printed={}, tickets=n)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    yield b
    b.stop()


def reporter_process(port, var, events):
    proc = subprocess.Popen([sys.executable, str(HERE / "reporter_proc.py"), str(port), str(var), str(events)],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.strip() == "READY":
            return proc
    raise AssertionError("reporter did not start")


def test_birth_state_and_the_will_after_kill_9(broker, tmp_path):
    watch = Watcher(broker.port, "kiosk/v1/K9/#")
    try:
        proc = reporter_process(broker.port, tmp_path, 0)
        _, birth = watch.wait_for(lambda t, b: t.endswith("/birth"))
        assert birth["session_seq"] == 1 and "ping" in birth["commands"]
        assert birth["health_interval_s"] == 60.0  # the console judges heartbeat age by the kiosk's own interval
        watch.wait_for(lambda t, b: t.endswith("/state") and b["state"] == "in_service")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _, lost = watch.wait_for(lambda t, b: t.endswith("/state") and b["state"] == "lost")
        assert lost["session_seq"] == 1  # the console can match it to the birth it belongs to
        proc = reporter_process(broker.port, tmp_path, 0)
        _, birth = watch.wait_for(lambda t, b: t.endswith("/birth"))
        assert birth["session_seq"] == 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        watch.close()


def test_events_stored_while_offline_survive_kill_9_and_arrive_in_order(tmp_path):
    broker = Broker(tmp_path)
    watch = None
    proc = reporter_process(broker.port, tmp_path, 5)  # no broker yet: everything goes to the outbox
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert Outbox(tmp_path / "outbox.db").depth() == 5
    broker.start()
    try:
        watch = Watcher(broker.port, "kiosk/v1/K9/events")
        proc = reporter_process(broker.port, tmp_path, 0)
        got = []
        watch.wait_for(lambda t, b: got.append(b["tickets"]) or len(got) == 5)
        assert got == [0, 1, 2, 3, 4]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if watch:
            watch.close()
        broker.stop()


async def test_broker_restart_loses_nothing_and_keeps_order(tmp_path):
    broker = Broker(tmp_path).start()
    watch = Watcher(broker.port, "kiosk/v1/K1/events")
    r = MqttReporter("K1", "127.0.0.1", broker.port, Outbox(tmp_path / "o.db"), tmp_path, keepalive=2)
    try:
        await r.start()
        await asyncio.wait_for(r.connected.wait(), 10)
        r.event(visit(0))
        await asyncio.to_thread(watch.wait_for, lambda t, b: b["tickets"] == 0)
        broker.stop()
        while r.connected.is_set():
            await asyncio.sleep(0.05)  # waiting for paho to notice the broker is gone, bounded below
        for n in range(1, 6):
            r.event(visit(n))
        assert r.outbox.depth() == 5
        broker.start()
        await asyncio.wait_for(r.connected.wait(), 30)
        got = []
        await asyncio.to_thread(watch.wait_for, lambda t, b: got.append(b["tickets"]) or len(got) == 5, 30)
        assert got == [1, 2, 3, 4, 5]
        for _ in range(100):
            if r.outbox.depth() == 0:
                break
            await asyncio.sleep(0.05)
        assert r.outbox.depth() == 0
    finally:
        await r.stop()
        watch.close()
        broker.stop()


async def test_signed_commands_are_answered_and_garbage_is_refused(broker, tmp_path):
    calls = []

    async def reload_flows(args):
        calls.append("reload_flows")
        return Reloaded(reloaded=True, flows=7)

    registry = CommandRegistry()
    registry.register(RELOAD_FLOWS, reload_flows)

    office = BackOffice(tmp_path)
    gate = CommandGate("K2", office.public, SeenIds(tmp_path / "commands.db"), )
    r = MqttReporter("K2", "127.0.0.1", broker.port, Outbox(tmp_path / "o.db"), tmp_path, commands=registry,
                     gate=gate)
    watch = Watcher(broker.port, "kiosk/v1/K2/cmd/resp")
    try:
        await r.start()
        await asyncio.wait_for(r.listening.wait(), 10)  # commands sent before the SUBACK would be dropped
        for payload in (b"\xff not json", b'{"id": "c0", "cmd": "ping"}', office.payload("K2", "ping", command_id="c1"),
                        office.payload("K2", "format_disk", command_id="c2"),
                        office.payload("K2", "reload_flows", command_id="c3")):
            watch.client.publish("kiosk/v1/K2/cmd", payload, qos=1)
        replies = []
        await asyncio.to_thread(watch.wait_for, lambda t, b: replies.append(b) or len(replies) == 5)
        by_id = {b["id"]: b for b in replies}
        assert by_id[None]["refused"] == "malformed" and by_id["c0"]["refused"] == "unsigned"
        assert by_id["c1"]["result"]["pong"] is True
        assert not by_id["c2"]["ok"] and by_id["c2"]["refused"] == "unknown_command"
        assert by_id["c3"] == {"v": 1, "id": "c3", "ok": True, "result": {"reloaded": True, "flows": 7}}
        assert calls == ["reload_flows"]
    finally:
        await r.stop()
        watch.close()


def test_the_outbox_is_bounded_and_counts_what_it_dropped(tmp_path):
    box = Outbox(tmp_path / "o.db", max_rows=10)
    for i in range(25):
        box.put("t", f'{{"n":{i}}}')
    assert box.depth() == 10 and box.dropped() == 15
    assert [r[2] for r in box.pending(3)] == ['{"n":15}', '{"n":16}', '{"n":17}']
