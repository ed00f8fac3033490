"""kill -9 one NATS node and one back-office worker while a fleet reports: nothing a kiosk handed over is lost.

A simulated fleet publishes numbered reports (events and health, wire's `seq`) over MQTT 3.1.1 to two
nodes of a three-node cluster; two `backoffice serve` processes consume the replicated stream the MQTT
listener stores them in through one durable consumer into PostgreSQL. Mid-run the node leading that stream
and one worker are killed with SIGKILL. Every report a kiosk got a PUBACK for must then be in the store exactly once, and each kiosk's
current health must be its newest report, never an older one redelivered after the crash.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text

from backoffice import db
from tests.backoffice.fleet_sim import SimKiosk
from tests.backoffice.nats_cluster import NatsCluster
from tests.fleet.mqtt_helpers import free_port
from tests.processes import end_process

ROOT = Path(__file__).resolve().parents[2]
KIOSKS, REPORTS = 8, 150  # per kiosk: 1,200 reports in all, odd numbers events, even numbers health


class Worker:
    """One `backoffice serve` process of this worktree, consuming from the cluster."""

    def __init__(self, workdir: Path, servers: list[str], db_url: str):
        workdir.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "backoffice.toml"
        self.config.write_text(f"[server]\nport = {self.port}\n\n[database]\nurl = {json.dumps(db_url)}\n\n"
                               f"[broker]\nkind = \"nats\"\nservers = {json.dumps(servers)}\n\n"
                               f"[ingest]\nack_wait_s = 3\n")
        self.log = workdir / "backoffice.log"
        self.proc = subprocess.Popen([sys.executable, "-m", "backoffice.cli", "--config", str(self.config), "serve"],
                                     cwd=workdir, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})

    def status(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/ingest", timeout=2) as r:
                return json.load(r)
        except OSError:
            return None

    def wait_connected(self, timeout: float = 60) -> "Worker":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if (self.status() or {}).get("connected"):
                return self
            time.sleep(0.1)  # polling another process's readiness, bounded by the deadline
        raise TimeoutError(f"worker not connected:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        end_process(self.proc, 15)


def stream_leader(cluster: NatsCluster, stream: str = "$MQTT_msgs") -> str:
    for node in cluster.nodes:
        with urllib.request.urlopen(f"http://127.0.0.1:{node.http}/jsz?accounts=true&streams=true", timeout=2) as r:
            for account in json.load(r).get("account_details", []):
                for s in account.get("stream_detail", []):
                    if s["name"] == stream and s.get("cluster", {}).get("leader"):
                        return s["cluster"]["leader"]
    raise AssertionError("the stream has no leader")


def until(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)  # polling other processes' progress, bounded by the deadline
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_a_nats_node_and_a_worker_mid_run_loses_no_handed_over_report(tmp_path, pg_server):
    url = pg_server.create_database()
    engine = db.engine(url)
    db.upgrade(engine)  # once, before the workers: two first starts must not race to create the schema
    (tmp_path / "nats").mkdir()
    cluster = NatsCluster(tmp_path / "nats").start()
    workers, fleet = [], []
    try:
        workers = [Worker(tmp_path / f"w{i}", cluster.servers, url).wait_connected() for i in range(2)]
        leader = cluster.by_name(until(lambda: stream_leader(cluster), 30, "a stream leader"))
        others = [n for n in cluster.nodes if n is not leader]
        fleet = [SimKiosk(f"K-{i:03d}", others[i % 2].mqtt) for i in range(KIOSKS)]
        for seq in range(1, REPORTS + 1):
            for kiosk in fleet:
                kiosk.publish(seq)  # queued by paho, sent as PUBACKs make room
        total = KIOSKS * REPORTS
        until(lambda: sum(k.handed_over() for k in fleet) >= total // 4, 60, "a quarter of the reports handed over")
        cluster.kill(leader)
        workers[0].proc.kill()
        until(lambda: sum(k.handed_over() for k in fleet) == total, 90, "every report handed over")

        def stored():
            with engine.connect() as conn:
                events = conn.execute(text("SELECT kiosk_id, seq FROM events")).all()
                health = dict(conn.execute(text("SELECT id, health_seq FROM kiosks")).all())
            return events, health

        def complete():
            events, health = stored()
            have = {(k, s) for k, s in events}
            return all((k.kiosk_id, s) in have for k in fleet for s in k.acked("events")) and all(
                (health.get(k.kiosk_id) or 0) >= max(k.acked("health")) for k in fleet)

        until(complete, 90, "every handed-over report in the store")
        events, health = stored()
        assert len(events) == len(set(events))  # exactly once
        for k in fleet:
            mine = sorted(s for kid, s in events if kid == k.kiosk_id)
            assert mine == k.acked("events")  # all of them, each once (every report was handed over in the end)
            assert health[k.kiosk_id] == REPORTS  # the newest health, not one redelivered after the crash
        survivor = workers[1].status()
        assert survivor["connected"]  # the surviving worker carried on
    finally:
        for kiosk in fleet:
            kiosk.close()
        for w in workers:
            w.stop()
        cluster.stop()
        engine.dispose()
        pg_server.drop_database(url)
