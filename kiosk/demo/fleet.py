"""The demo's back office and simulated fleet, as programs beside the kiosk: every user's view in one command.

The kiosk never imports the back office (the kiosk image does not carry it): it runs `backoffice` as a
program. `backoffice demo prepare` writes the back office's configuration, key and demo accounts into
var/demo/backoffice and prints them as JSON; `backoffice serve` then starts (with its own Mosquitto, whose
address it writes into its var_dir), and `backoffice fleet simulate` joins a few hundred simulated kiosks to
it. The demo kiosk reports to the same broker and trusts the back office's key, so it is one of the fleet.
"""
from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger("kiosk.demo.fleet")
CONSOLE_PORT = 8700  # the console's usual port when free; another one otherwise
HANDOVER_ENV = "KIOSK_DEMO_FLEET"  # the running fleet, for the demo started again after a remote restart


class DemoFleetError(Exception):
    pass


def available() -> bool:
    """Whether the back office is installed here (a kiosk image has no back office: the demo runs without)."""
    return importlib.util.find_spec("backoffice") is not None


def _port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise DemoFleetError("no free port")


@dataclass
class DemoFleet:
    """`start()` brings the back office and N simulated kiosks up; `stop()` takes them down in reverse."""
    directory: Path
    kiosks: int = 300
    halls: int = 12
    console_port: int = CONSOLE_PORT  # taken if free, else any free one; 0: any free one
    facts: dict = field(default_factory=dict)  # from `backoffice demo prepare`: config, public_key, console, ...
    broker: tuple[str, int] | None = None
    procs: list = field(default_factory=list)

    def _backoffice(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "backoffice.cli", *args]

    @property
    def console(self) -> str:
        return self.facts["console"]

    @property
    def public_key(self) -> Path:
        return Path(self.facts["public_key"])

    def start(self, timeout_s: float = 30.0) -> "DemoFleet":
        self.directory.mkdir(parents=True, exist_ok=True)
        prepared = subprocess.run(self._backoffice("demo", "prepare", str(self.directory),
                                                   "--port", str(_port(self.console_port))),
                                  capture_output=True, text=True, timeout=120)
        lines = [line for line in prepared.stdout.splitlines() if line.startswith("{")]
        if prepared.returncode != 0 or not lines:
            raise DemoFleetError(f"backoffice demo prepare failed: {(prepared.stderr or prepared.stdout)[-800:]}")
        self.facts = json.loads(lines[-1])
        address = self.directory / "mosquitto" / "address"
        address.unlink(missing_ok=True)  # a previous run's, killed before it could tidy up
        self._spawn("serve", self._backoffice("--config", self.facts["config"], "serve"))
        deadline = time.monotonic() + timeout_s
        while not (address.exists() and _answers(self.console)):
            if self.procs[0].poll() is not None:
                raise DemoFleetError(f"backoffice serve exited: see {self.directory / 'serve.log'}")
            if time.monotonic() > deadline:
                raise DemoFleetError(f"backoffice serve did not come up in {timeout_s:.0f} s")
            time.sleep(0.1)  # waiting for another program to listen, bounded by the deadline
        host, _, port = address.read_text().strip().rpartition(":")
        self.broker = (host, int(port))
        self._spawn("simulator", self._backoffice("--config", self.facts["config"], "fleet", "simulate",
                                                  str(self.kiosks), "--halls", str(self.halls)))
        log.info("demo.fleet_started", console=self.console, broker=f"{host}:{port}", kiosks=self.kiosks)
        return self

    def _spawn(self, name: str, argv: list[str]) -> None:
        with (self.directory / f"{name}.log").open("wb") as out:
            self.procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.directory,
                                               preexec_fn=_die_with_parent))

    def stop(self) -> None:
        for proc in reversed(self.procs):  # the simulator first, then the back office (and its broker)
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()

    def handover(self) -> str:
        """What the demo, started again in this same process (a restart), needs to carry on with this fleet."""
        return json.dumps({"directory": str(self.directory), "kiosks": self.kiosks, "halls": self.halls,
                           "facts": self.facts, "broker": self.broker, "pids": [p.pid for p in self.procs]})

    @classmethod
    def resume(cls, handover: str) -> "DemoFleet":
        d = json.loads(handover)
        return cls(Path(d["directory"]), d["kiosks"], d["halls"], facts=d["facts"], broker=tuple(d["broker"]),
                   procs=[_Child(pid) for pid in d["pids"]])

    def banner(self) -> str:
        """What `make demo` prints: the console, the accounts, the fleet."""
        accounts = ", ".join(f"{a['name']}" + (f" / {a['password']}" if a.get("password") else "")
                             + (f" ({a['role']})" if a.get("role") else "") for a in self.facts["accounts"])
        return (f"operations console: {self.console}\n"
                f"demo accounts: {accounts}\n"
                f"simulated fleet: {self.kiosks} kiosks in {self.halls} halls, plus this one, on MQTT "
                f"{self.broker[0]}:{self.broker[1]}; logs in {self.directory}")


class _Child:
    """A child started before this process re-executed itself: the same pid, so still ours to stop and reap."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def _signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)  # reaping a child that is shutting down, bounded by the deadline
        return self.returncode


def _die_with_parent() -> None:
    """In the child: SIGTERM when the demo ends without stopping it (the window's X connection lost, kill -9),
    so no back office outlives its demo (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _answers(url: str) -> bool:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False
