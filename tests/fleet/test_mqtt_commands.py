"""The command channel attacked through a real Mosquitto: the kiosk obeys only the back office's signed commands.

Each test assembles the kiosk's fleet side as `kiosk run` does (config,
controller, reporter, command handlers) without a window, and talks to it
only through the broker, as the back office and an attacker would.
"""
import asyncio
import json
import threading
from pathlib import Path

import pytest

from kiosk import config
from kiosk.controller import KioskController
from kiosk.engine.clock import VirtualClock
from kiosk.flow.registry import FlowRegistry
from kiosk.journal import Journal
from kiosk.fleet.remote import Coalescer
from kiosk.fleet.link import start_reporting
from kiosk.scenario.twins import make_card, open_devices
from tests.fleet.mqtt_helpers import MOSQUITTO, Broker, Watcher
from tests.fleet.signed import BackOffice
from tests.kiosk_kit import NoBackend

pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto is not installed (make test installs it)")
FLOWS = Path(__file__).resolve().parents[2] / "flows"
KIOSK = "K5"
CMD = f"kiosk/v1/{KIOSK}/cmd"


class Kiosk:
    """One start of the kiosk's fleet side; a second instance on the same var_dir is the kiosk after a restart."""

    def __init__(self, broker, var: Path, office: BackOffice | None, **telemetry):
        tel = {"host": "127.0.0.1", "port": broker.port, "health_interval_s": 3600, **telemetry}
        if office is not None:
            tel["command_key_file"] = str(office.key_file)
        self.cfg = config.parse({"kiosk": {"id": KIOSK}, "flows": {"path": str(FLOWS)}, "var_dir": str(var),
                                 "telemetry": tel})
        self.restarts = asyncio.Event()
        self.reporter = None

    async def start(self, reloader: Coalescer | None = None) -> "Kiosk":
        self.flows = FlowRegistry(FLOWS)
        self.flows.reload()
        self.devices = await open_devices()
        self.clock = VirtualClock()
        self.c = KioskController(self.flows, self.devices, NoBackend(), self.clock, kiosk={"id": KIOSK},
                                 journal=Journal(self.cfg.var_dir / "journal.db"), remote_maintenance_s=600)
        self.reporter = await start_reporting(self.cfg, self.flows, self.c, reloader=reloader,
                                              restart=self.restarts.set)
        await asyncio.wait_for(self.reporter.listening.wait(), 10)
        return self

    async def stop(self) -> None:
        if self.reporter is not None:
            await self.reporter.stop()
            if self.reporter.gate.seen is not None:
                self.reporter.gate.seen.close()
            self.c.journal.close()

    async def citizen_at_consent(self) -> None:
        assert self.c.start("social-security-certificate")
        self.devices["id_reader"].insert_card(make_card({"name": "赵示例"}))
        for _ in range(30):
            await asyncio.sleep(0)
        assert self.c.state.view.step == "consent"


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path).start()
    yield b
    b.stop()


@pytest.fixture
def office(tmp_path):
    return BackOffice(tmp_path)


@pytest.fixture
def watch(broker):
    w = Watcher(broker.port, f"kiosk/v1/{KIOSK}/#")
    yield w
    w.close()


async def reply(watch, command_id, timeout=15):
    _, body = await asyncio.to_thread(watch.wait_for, lambda t, b: t.endswith("/cmd/resp") and b["id"] == command_id,
                                      timeout)
    return body


def publish(watch, payload, *, retain=False):
    watch.client.publish(CMD, payload, qos=1, retain=retain).wait_for_publish(5)


async def test_a_retained_restart_does_not_restart_the_kiosk_at_start(broker, office, watch, tmp_path):
    # Signed and current, but retained: today it would run again at every start of the kiosk.
    publish(watch, office.payload(KIOSK, "restart", command_id="r1"), retain=True)
    k = await Kiosk(broker, tmp_path / "var", office).start()
    try:
        assert (await reply(watch, "r1"))["refused"] == "retained"
        publish(watch, office.payload(KIOSK, "ping", command_id="p1"))
        assert (await reply(watch, "p1"))["ok"]  # answered in order, after the retained one was dealt with
        assert not k.restarts.is_set()
        assert k.reporter.gate.stats().refused == {"retained": 1}
    finally:
        await k.stop()


async def test_a_command_replayed_after_the_restart_it_caused_is_refused(broker, office, watch, tmp_path):
    payload = office.payload(KIOSK, "restart", command_id="r2")
    k = await Kiosk(broker, tmp_path / "var", office).start()
    try:
        publish(watch, payload)
        assert (await reply(watch, "r2"))["result"] == {"restarting": True, "after_visit": False}
        await asyncio.wait_for(k.restarts.wait(), 10)
    finally:
        await k.stop()
    again = await Kiosk(broker, tmp_path / "var", office).start()  # the same var_dir: the kiosk after its restart
    try:
        publish(watch, payload)  # captured off the wire and sent again
        assert (await reply(watch, "r2"))["refused"] == "replayed"
        publish(watch, office.payload(KIOSK, "ping", command_id="p2"))
        await reply(watch, "p2")
        assert not again.restarts.is_set()
    finally:
        await again.stop()


async def test_unsigned_forged_expired_and_misaddressed_commands_are_answered_and_counted_in_health(
        broker, office, watch, tmp_path):
    k = await Kiosk(broker, tmp_path / "var", office).start()
    try:
        forged = dict(office.command(KIOSK, "maintenance_on", command_id="f1"), args={"force": True})
        sent = {
            "u1": json.dumps({"id": "u1", "cmd": "restart"}),
            "f1": json.dumps(forged),
            "e1": office.payload(KIOSK, "restart", issued_at=1_700_000_000, ttl=60, command_id="e1"),
            "w1": office.payload("K6", "restart", command_id="w1"),
        }
        for payload in sent.values():
            publish(watch, payload)
        reasons = {cid: (await reply(watch, cid))["refused"] for cid in sent}
        assert reasons == {"u1": "unsigned", "f1": "bad_signature", "e1": "expired", "w1": "wrong_kiosk"}
        _, health = await asyncio.to_thread(
            watch.wait_for, lambda t, b: t.endswith("/health") and sum(b["commands"]["refused"].values()) == 4)
        assert health["commands"] == {"enabled": True, "accepted": 0, "refused": {
            "bad_signature": 1, "expired": 1, "unsigned": 1, "wrong_kiosk": 1}}
        assert k.c.state.mode == "home" and not k.restarts.is_set()
    finally:
        await k.stop()


async def test_without_a_public_key_commands_are_refused_never_run_unsigned(broker, watch, tmp_path):
    k = await Kiosk(broker, tmp_path / "var", None).start()
    try:
        publish(watch, json.dumps({"id": "m1", "cmd": "maintenance_on", "args": {}}))
        assert (await reply(watch, "m1"))["refused"] == "disabled"
        assert k.c.state.mode == "home"
    finally:
        await k.stop()


async def test_maintenance_on_mid_visit_waits_for_the_citizen_and_state_follows_mode(broker, office, watch, tmp_path):
    k = await Kiosk(broker, tmp_path / "var", office).start()

    def states_up_to(name):
        """The retained state's changes, in order, until it says `name`."""
        watch.wait_seen(lambda t, b: t.endswith("/state") and b["state"] == name)
        states = [b["state"] for t, b in watch.history if t.endswith("/state")]
        return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]

    try:
        await asyncio.to_thread(states_up_to, "in_service")
        await k.citizen_at_consent()
        publish(watch, office.payload(KIOSK, "maintenance_on", command_id="m1"))
        answer = await reply(watch, "m1")
        assert answer["result"] == {"maintenance": "pending", "mode": "visit", "ends_after_s": 600}
        assert k.c.state.mode == "visit" and k.c.state.view.step == "consent"  # the citizen is not cut off
        _, health = await asyncio.to_thread(watch.wait_seen, lambda t, b: t.endswith("/health") and
                                            b["maintenance_pending"])
        assert health["mode"] == "visit"  # the console sees it is waiting for the citizen
        k.c.act("cancel")
        k.c.act("done")  # taps through the thank-you screen
        assert k.c.state.mode == "remote_maintenance"
        await asyncio.to_thread(states_up_to, "maintenance")
        publish(watch, office.payload(KIOSK, "maintenance_off", command_id="m2"))
        assert (await reply(watch, "m2"))["result"] == {"maintenance": "left", "mode": "home"}
        k.c.out_of_service("test")
        states = await asyncio.to_thread(states_up_to, "out_of_service")
        assert states == ["in_service", "maintenance", "in_service", "out_of_service"]
    finally:
        await k.stop()


async def test_maintenance_on_with_force_records_the_visit_as_interrupted(broker, office, watch, tmp_path):
    k = await Kiosk(broker, tmp_path / "var", office).start()
    try:
        await k.citizen_at_consent()
        publish(watch, office.payload(KIOSK, "maintenance_on", {"force": True}, command_id="m3"))
        assert (await reply(watch, "m3"))["result"]["maintenance"] == "started"
        assert k.c.state.mode == "remote_maintenance" and k.c.state.view is None
        (row,) = k.c.journal.rows()
        assert row["result"] == "interrupted" and row["ended_at"]
        _, event = await asyncio.to_thread(watch.wait_seen, lambda t, b: t.endswith("/events") and b["kind"] == "visit")
        assert event["result"] == "interrupted"
        wire = json.dumps(watch.history, ensure_ascii=False)
        assert "赵示例" not in wire and "110105196005010014" not in wire  # the citizen never reaches the fleet
    finally:
        await k.stop()


async def test_health_is_published_when_a_device_changes_not_only_on_the_timer(broker, office, watch, tmp_path):
    k = await Kiosk(broker, tmp_path / "var", office).start()  # the timer is an hour
    try:
        await k.citizen_at_consent()  # mid-visit: the home screen's tiles do not change
        k.devices["document_printer"].inject("paper_out")
        _, health = await asyncio.to_thread(watch.wait_for, lambda t, b: t.endswith("/health") and
                                            b["devices"]["document_printer"]["state"] != "ok")
        assert health["devices"]["document_printer"]["reasons"] == ["paper_out"] and health["mode"] == "visit"
    finally:
        await k.stop()


async def test_changes_made_together_give_one_health_report_after_the_tap_that_made_them(
        broker, office, watch, tmp_path):
    """A tap that starts a visit changes the mode and the tiles; a device may change in the same breath. The
    snapshot is taken after the tap has returned (the screen is drawn first), once for all of it."""
    k = await Kiosk(broker, tmp_path / "var", office).start()  # the timer is an hour
    try:
        await asyncio.to_thread(watch.wait_for, lambda t, b: t.endswith("/health") and b["mode"] == "home")
        assert k.c.start("social-security-certificate")
        k.devices["document_printer"].inject("paper_out")
        _, health = await asyncio.to_thread(watch.wait_for, lambda t, b: t.endswith("/health") and
                                            b["mode"] == "visit")
        assert health["devices"]["document_printer"]["reasons"] == ["paper_out"]  # not a report per change
    finally:
        await k.stop()


async def test_a_burst_of_reloads_is_coalesced_off_the_loop_and_a_ping_is_answered_meanwhile(
        broker, office, watch, tmp_path):
    release = threading.Event()
    runs = []

    def slow_reload():
        runs.append(1)
        release.wait(30)  # the first reload holds until the ping has been answered and the burst admitted
        return True

    k = Kiosk(broker, tmp_path / "var", office, command_burst=1000, command_rate_per_min=6000)
    reloader = Coalescer(slow_reload)
    await k.start(reloader)
    try:
        payloads = [office.payload(KIOSK, "reload_flows", command_id=f"r{i}") for i in range(300)]
        for p in payloads[:150]:
            watch.client.publish(CMD, p, qos=1)
        watch.client.publish(CMD, office.payload(KIOSK, "ping", command_id="ping"), qos=1)
        for p in payloads[150:]:
            watch.client.publish(CMD, p, qos=1)
        # The ping is answered while the first reload still holds the worker: the loop is free.
        await reply(watch, "ping")
        for _ in range(1000):  # until every reload has been admitted (they queue behind the held one)
            if k.reporter.gate.accepted == 301:
                break
            await asyncio.sleep(0.01)
        release.set()
        replies = {}
        await asyncio.to_thread(watch.wait_for, lambda t, b: t.endswith("/cmd/resp") and (
            replies.update({b["id"]: b}) or len(replies) == 300), 60)
        assert all(replies[f"r{i}"]["result"] == {"reloaded": True, "flows": len(k.flows.flows)} for i in range(300))
        assert len(runs) == reloader.runs == 2  # the one running when the burst came, and one queued: not 300
    finally:
        release.set()
        await k.stop()
