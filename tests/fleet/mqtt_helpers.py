"""A real Mosquitto on 127.0.0.1 and a watching subscriber, for the fleet-reporting tests."""
import json
import queue
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.processes import end_process

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds a listening TCP socket on `port` (Linux: /proc/net/tcp* and the fd table)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            f = row.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f[9])
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for fd in fds:
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now and not handed out before in this test run. The kernel may offer a port it offered a
    moment ago once that socket is closed: a NATS node got the same port for its monitor and its MQTT
    listener in CI, and could not start."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class Broker:
    def __init__(self, workdir: Path, port: int | None = None):
        self.port = port or free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                             f"persistence_location {workdir}/\nlog_dest none\n")
        self.proc = None

    def start(self) -> "Broker":
        """Ready when *this* mosquitto listens on the port: something else answering there (another test run's
        broker that took the port between free_port() and now) must not pass for it."""
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.proc.returncode} (port {self.port} taken?)")
            if listens(self.proc.pid, self.port):
                return self
            time.sleep(0.05)  # polling a broker that is coming up, bounded by the deadline
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        end_process(self.proc)


def connected_client(port: int, client_id: str) -> mqtt.Client:
    """A paho client standing in for kiosks, its network loop running; stop it with `disconnect_client`."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def disconnect_client(c: mqtt.Client) -> None:
    c.disconnect()  # first: it wakes paho's loop, which loop_stop then joins at once
    c.loop_stop()


class Watcher:
    """Subscribes to a kiosk's topics with a persistent session, so nothing is missed across restarts."""

    def __init__(self, port: int, pattern: str):
        self.messages: queue.Queue = queue.Queue()
        self.history: list[tuple[str, object]] = []  # everything wait_for has taken off the queue
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"watcher-{port}", clean_session=False)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(pattern, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload.decode(), m.retain))
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        if not self.subscribed.wait(10):  # nothing published before this would reach us
            raise RuntimeError("watcher could not subscribe")

    def wait_for(self, pred, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                topic, payload, retain = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            try:
                body = json.loads(payload)
            except ValueError:
                body = payload
            seen.append((topic, body))
            self.history.append((topic, body))
            if pred(topic, body):
                return topic, body
        raise AssertionError(f"no matching message within {timeout}s; saw {seen[-5:]}")

    def wait_seen(self, pred, timeout: float = 15.0):
        """Like wait_for, but a message an earlier wait_for passed over counts too."""
        for topic, body in self.history:
            if pred(topic, body):
                return topic, body
        return self.wait_for(pred, timeout)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
