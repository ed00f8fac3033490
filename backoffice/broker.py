"""The embedded default broker: a local Mosquitto on a free loopback port, when none is configured."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import structlog

log = structlog.get_logger("backoffice.broker")


ADDRESS = "address"  # host:port of the running local broker, in var_dir/mosquitto/


class BrokerError(Exception):
    pass


def local_address(var_dir: Path) -> tuple[str, int] | None:
    """Where the local broker of a running `backoffice serve` with this var_dir listens, if it does."""
    try:
        host, _, port = (var_dir / "mosquitto" / ADDRESS).read_text().strip().rpartition(":")
        return host, int(port)
    except (OSError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalBroker:
    """Loopback only, anonymous: kiosks on other machines need a real broker (configure [broker])."""

    def __init__(self, var_dir: Path):
        self.dir = var_dir / "mosquitto"
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 10.0) -> int:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise BrokerError("no broker configured and mosquitto is not installed (apt-get install mosquitto)")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        conf = self.dir / "mosquitto.conf"
        conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                        f"persistence_location {self.dir}/\nlog_dest none\n")
        self.proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError(f"mosquitto exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                (self.dir / ADDRESS).write_text(f"127.0.0.1:{self.port}\n")  # for `fleet simulate` and the demo
                log.info("broker.started", port=self.port)
                return self.port
            except OSError:
                time.sleep(0.05)  # mosquitto is coming up; bounded by the deadline
        self.stop()
        raise BrokerError("mosquitto did not start")

    def stop(self) -> None:
        (self.dir / ADDRESS).unlink(missing_ok=True)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
