"""A three-node nats-server cluster with JetStream and an MQTT listener on each node, on loopback.

Debian's `nats-server` (2.9). Each node has its own store directory, client, route, MQTT and monitoring
ports; the routes name all three. MQTT needs a server_name and JetStream on every node. The same shape as
etc/nats/node-1.conf, which operators start from. Ready when every node's /healthz says JetStream is up.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.fleet.mqtt_helpers import free_port

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


@dataclass
class Node:
    name: str
    client: int
    route: int
    mqtt: int
    http: int
    conf: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def config(node: Node, nodes: list[Node], store: Path) -> str:
    routes = ", ".join(f"nats-route://127.0.0.1:{n.route}" for n in nodes if n is not node)
    return (f'server_name: "{node.name}"\nlisten: "127.0.0.1:{node.client}"\nhttp: "127.0.0.1:{node.http}"\n'
            f'jetstream {{\n  store_dir: "{store}"\n}}\n'
            f'cluster {{\n  name: "kiosks"\n  listen: "127.0.0.1:{node.route}"\n  routes: [{routes}]\n}}\n'
            f'mqtt {{\n  listen: "127.0.0.1:{node.mqtt}"\n  stream_replicas: {len(nodes)}\n}}\n')


class NatsCluster:
    def __init__(self, workdir: Path, size: int = 3):
        self.workdir = workdir
        self._started = False  # see start
        self.nodes = [Node(f"n{i + 1}", free_port(), free_port(), free_port(), free_port(), workdir / f"n{i + 1}.conf")
                      for i in range(size)]
        for node in self.nodes:
            node.conf.write_text(config(node, self.nodes, workdir / node.name))

    @property
    def servers(self) -> list[str]:
        return [n.url for n in self.nodes]

    def start(self, timeout: float = 60) -> "NatsCluster":
        """The first start waits until every node's JetStream assets are current. A restart of the same
        stores waits for JetStream to run on each node and the MQTT listener to take a client: a consumer
        replica on one node may take over a minute to be current again (seen in CI: healthz said "consumer
        ... is not current" on n3), while the cluster already serves its clients from a quorum, which is
        what a restart test is about."""
        for node in self.nodes:
            self.start_node(node)
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            self._wait_healthy(node, deadline, "?js-server-only=true" if self._started else "")
        self._first_mqtt_client(deadline)
        self._started = True
        return self

    def _first_mqtt_client(self, deadline: float) -> None:
        """The MQTT listener creates its JetStream streams (the back office reads `$MQTT_msgs`) when the
        first MQTT client connects: as the first kiosk of a new cluster would."""
        while time.monotonic() < deadline:
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="first-client")
            try:
                c.connect("127.0.0.1", self.nodes[0].mqtt, keepalive=10)
                c.loop_start()
                info = c.publish("cluster/ready", b"", qos=1)
                info.wait_for_publish(5)
                if info.is_published():
                    return
            except (OSError, RuntimeError, ValueError):
                pass
            finally:
                c.disconnect()
                c.loop_stop()
            time.sleep(0.2)  # the cluster's MQTT streams are being placed; bounded by the deadline
        raise TimeoutError("the cluster's MQTT listener never took a client")

    def start_node(self, node: Node) -> None:
        log = (self.workdir / f"{node.name}.log").open("ab")
        node.proc = subprocess.Popen([NATS_SERVER, "-c", str(node.conf)], stdout=log, stderr=subprocess.STDOUT)

    def _wait_healthy(self, node: Node, deadline: float, query: str = "") -> None:
        while time.monotonic() < deadline:
            if not node.alive():
                raise RuntimeError(f"nats-server {node.name} exited: {self.log(node)[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node.http}/healthz{query}", timeout=1) as r:
                    if json.load(r).get("status") == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.1)  # polling another process's readiness, bounded by the deadline
        raise TimeoutError(f"nats-server {node.name} not healthy: {self.log(node)[-2000:]}")

    def log(self, node: Node) -> str:
        try:
            return (self.workdir / f"{node.name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def kill(self, node: Node) -> None:
        """kill -9: no goodbye to the cluster, the clients or the store."""
        node.proc.kill()
        node.proc.wait(10)

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive():
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.proc.kill()
                    node.proc.wait()

    def by_name(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)
