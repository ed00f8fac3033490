"""A real IPP printer for tests: CUPS's ippeveprinter on 127.0.0.1, with paper and faults under test control.

ippeveprinter needs a system D-Bus and avahi-daemon even with DNS-SD off;
when running as root in a CI sandbox they are started here if absent.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BINARY = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"


def ensure_system_services() -> None:
    if not Path("/run/dbus/system_bus_socket").exists() and os.geteuid() == 0 and shutil.which("dbus-daemon"):
        Path("/run/dbus").mkdir(parents=True, exist_ok=True)
        subprocess.run(["dbus-daemon", "--system", "--fork"], check=False, capture_output=True)
    if shutil.which("avahi-daemon") and subprocess.run(["avahi-daemon", "--check"], capture_output=True).returncode:
        if os.geteuid() == 0:
            subprocess.run(["avahi-daemon", "--no-drop-root", "-D"], check=False, capture_output=True)
            deadline = time.monotonic() + 10
            while subprocess.run(["avahi-daemon", "--check"], capture_output=True).returncode:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)  # daemon start-up, bounded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class IppPrinter:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.spool = workdir / "spool"
        self.out = workdir / "printed"
        self.spool.mkdir(parents=True, exist_ok=True)
        self.out.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.uri = f"ipp://localhost:{self.port}/ipp/print"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "IppPrinter":
        ensure_system_services()
        job = Path(__file__).with_name("ipp_job.py")
        wrapper = self.workdir / "job.sh"
        wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {job} \"$@\"\n")
        wrapper.chmod(0o755)
        env = {**os.environ, "KIOSK_IPP_OUT": str(self.out)}
        self.proc = subprocess.Popen([BINARY, "-p", str(self.port), "-n", "localhost", "-r", "off", "-k", "-d",
                                      str(self.spool), "-f", "application/pdf", "-c", str(wrapper), "KioskA4"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ippeveprinter exited (D-Bus/Avahi missing?)")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)  # port coming up, bounded
        raise RuntimeError("ippeveprinter did not start")

    def paper(self, level: int) -> None:
        """Main and by-pass tray level in sheets: 0 = empty (media-empty), 1-24 = low, 25+ = fine."""
        size = "iso_a4_210x297mm"
        url = (f"http://localhost:{self.port}/media?size1={size}&type1=stationery&level1={level}"
               f"&size3={size}&type3=stationery&level3={max(level, 25) if level else 0}")
        urllib.request.urlopen(url, timeout=5).read()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
