"""`backoffice fleet simulate N`: N kiosks on the wire, each with its identity card, in a realistic mix of states,
answering signed commands; counted by a plain subscriber, as the back office would see them."""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.fleet.mqtt_helpers import MOSQUITTO, Broker
from tests.fleet.signed import BackOffice
from wire import messages, topics

pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed")
ROOT = Path(__file__).resolve().parents[2]
IDENTITY = {"name", "model", "hall", "region", "address", "maintainer", "maintainer_phone", "asset_number"}


class Fleetwatch:
    """Everything under kiosk/v1/#, decoded through wire, by kiosk."""

    def __init__(self, port: int):
        self.lock = threading.Lock()
        self.births: dict[str, list[messages.Birth]] = collections.defaultdict(list)
        self.state: dict[str, str] = {}
        self.health: dict[str, messages.Health] = {}
        self.visits = 0
        self.replies: dict[str, object] = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{topics.PREFIX}/+/#", qos=1)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.subscribed.wait(10)

    def _message(self, client, userdata, m) -> None:
        kiosk_id, which = topics.parse_topic(m.topic)
        if which is topics.CMD:
            return
        msg = messages.decode(which, m.payload)
        with self.lock:
            if isinstance(msg, messages.Birth):
                self.births[kiosk_id].append(msg)
            elif isinstance(msg, messages.State):
                self.state[kiosk_id] = msg.state
            elif isinstance(msg, messages.Health):
                self.health[kiosk_id] = msg
            elif isinstance(msg, messages.Visit):
                self.visits += 1
            else:
                self.replies[msg.id] = msg

    def until(self, predicate, timeout: float = 30, what: str = ""):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(self):
                    return
            time.sleep(0.05)  # polling another process, bounded
        raise AssertionError(f"not seen within {timeout} s: {what}")

    def reasons(self) -> collections.Counter:
        return collections.Counter(r for h in self.health.values() for d in h.devices.values() for r in d.reasons)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_simulated_fleet_has_identity_cards_a_realistic_mix_and_answers_signed_commands(tmp_path):
    broker = Broker(tmp_path).start()
    office = BackOffice(tmp_path)
    watch = Fleetwatch(broker.port)
    log = (tmp_path / "sim.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "fleet", "simulate", "50", "--halls", "5",
                             "--broker", f"127.0.0.1:{broker.port}", "--interval", "2",
                             "--command-key", str(office.key_file)],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        watch.until(lambda w: len(w.births) == 50, what="50 births")
        for kiosk_id, births in watch.births.items():
            assert set(births[0].identity) == IDENTITY, kiosk_id
            assert births[0].commands_enabled
        assert len({b[0].identity["hall"] for b in watch.births.values()}) == 5
        assert len({b[0].identity["region"] for b in watch.births.values()}) >= 3
        # The mix: paper low and out, offline (the Will), restarting, out of service, maintenance, visits.
        watch.until(lambda w: (set(w.state.values()) >= {"in_service", "degraded", "lost", "out_of_service",
                                                          "maintenance"}
                               and w.reasons()["paper_low"] >= 2 and w.reasons()["paper_out"] >= 2
                               and any(len(b) > 1 for b in w.births.values()) and w.visits > 0),
                    what="the mix of states")
        restarted = [b for b in watch.births.values() if len(b) > 1][0]
        assert restarted[-1].session_seq > restarted[0].session_seq
        # A signed ping is answered as a kiosk would; a forged one is refused.
        target = next(k for k, s in watch.state.items() if s == "in_service")
        watch.client.publish(topics.topic(target, topics.CMD), office.payload(target, "ping", command_id="c1"), qos=1)
        forged = office.command(target, "restart", command_id="c2")
        forged["cmd"] = "maintenance_on"
        watch.client.publish(topics.topic(target, topics.CMD), json.dumps(forged), qos=1)
        watch.until(lambda w: {"c1", "c2"} <= set(w.replies), what="answers to the commands")
        assert watch.replies["c1"] == messages.Result("c1", {"pong": True, "state": "in_service"})
        assert watch.replies["c2"].refused == "bad_signature"
        # maintenance_on shows in its state; restart brings it back with a new session, as systemd would.
        other = next(k for k, s in watch.state.items() if s == "in_service" and k != target)
        sessions = watch.births[other][-1].session_seq
        watch.client.publish(topics.topic(other, topics.CMD), office.payload(other, "maintenance_on", command_id="c3"),
                             qos=1)
        watch.until(lambda w: w.state[other] == "maintenance", what="maintenance on")
        watch.client.publish(topics.topic(other, topics.CMD), office.payload(other, "restart", command_id="c4"), qos=1)
        watch.until(lambda w: w.births[other][-1].session_seq == sessions + 1 and w.state[other] == "in_service",
                    what="a restart")
        assert watch.replies["c4"].result == {"restarting": True, "after_visit": False}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        watch.until(lambda w: w.state[target] == "disconnected", what="a clean goodbye")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        watch.close()
        broker.stop()
    log.seek(0)
    out = log.read()
    assert "simulating 50 kiosks in 5 halls" in out and "Traceback" not in out
