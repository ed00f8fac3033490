"""The real kiosk process under a fake systemd: READY after the first frame, pings, and no pings when frozen."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed")


def run_kiosk(tmp_path, extra_env, seconds):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000",
           **extra_env}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(["xvfb-run", "-a", "-s", "-screen 0 1920x1920x24", sys.executable, "-m", "kiosk.cli",
                             "--config", str(ROOT / "etc" / "demo.toml"), "run", "--windowed"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    got = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                got.append(sock.recv(4096).decode())
            except socket.timeout:
                break
            if extra_env.get("STOP_AT_PINGS") and sum(m == "WATCHDOG=1" for m in got) >= 2:
                break
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
        sock.close()
    return got


def test_ready_after_the_first_frame_then_watchdog_pings(tmp_path):
    got = run_kiosk(tmp_path, {"STOP_AT_PINGS": "1"}, 60)
    # Xvfb in the test sends a bare READY=1 of its own; the kiosk's carries its status
    ours = [m for m in got if m.startswith("READY=1\nSTATUS=home: ")]
    assert ours and got.index(ours[0]) < got.index("WATCHDOG=1")
    assert got.count("WATCHDOG=1") >= 2


@pytest.mark.slow
def test_a_hung_ui_thread_stops_the_pings(tmp_path):
    # The test-only hook really blocks the UI thread (which also runs the asyncio loop) 3 s after start.
    got = run_kiosk(tmp_path, {"KIOSK_TEST_FREEZE": "ui-thread@3"}, 30)
    ready = next(i for i, m in enumerate(got) if m.startswith("READY=1\nSTATUS="))
    reported = [m for m in got if m.startswith("STATUS=unresponsive: ")]
    stale = got.index(reported[0])
    assert "ui-clock" in reported[-1] and "asyncio-loop" in reported[-1]  # both, once both have gone stale
    assert got[ready:stale].count("WATCHDOG=1") >= 2  # alive and pinging before the hang
    assert got[stale:].count("WATCHDOG=1") == 0
