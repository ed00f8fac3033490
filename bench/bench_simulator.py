"""The simulated fleet's cost: N kiosks of `backoffice fleet simulate` beside N bare paho clients.

Both run as their own process against a local Mosquitto for the same time, once connected. The baseline is
the naive way to give each kiosk its own connection and Will: one paho client with its own network thread
(`loop_start`) each, connected and idle, publishing nothing. The simulator also publishes health, events,
births and restarts. Figures: CPU time per second of wall time (percent of one core) and resident memory.

    .venv/bin/python bench/bench_simulator.py [N] [SECONDS]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fleet.mqtt_helpers import Broker  # noqa: E402

BASELINE = """
import sys, time, paho.mqtt.client as mqtt
port, n = int(sys.argv[1]), int(sys.argv[2])
clients = []
for i in range(n):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bare-{i}")
    c.will_set(f"kiosk/v1/BARE-{i}/state", "lost", qos=1, retain=True)
    c.connect("127.0.0.1", port, keepalive=30)
    c.loop_start()
    clients.append(c)
print("connected", flush=True)
time.sleep(3600)
"""


def cpu_and_rss(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return ticks / os.sysconf("SC_CLK_TCK"), rss


def run(argv: list[str], settle_s: float, seconds: float) -> tuple[float, int]:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        time.sleep(settle_s)  # everyone connected: the steady state is what is measured
        cpu0, _ = cpu_and_rss(proc.pid)
        t0 = time.monotonic()
        time.sleep(seconds)
        cpu1, rss = cpu_and_rss(proc.pid)
        return 100 * (cpu1 - cpu0) / (time.monotonic() - t0), rss
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp)).start()
        try:
            bare = run([sys.executable, "-c", BASELINE, str(broker.port), str(n)], 10, seconds)
            sim = run([sys.executable, "-m", "backoffice.cli", "fleet", "simulate", str(n), "--broker",
                       f"127.0.0.1:{broker.port}"], 10, seconds)
        finally:
            broker.stop()
    print(f"{'baseline: ' + str(n) + ' bare paho clients, a thread each, idle':<60} "
          f"cpu {bare[0]:5.1f}% of one core  rss {bare[1] / 1024:6.1f} MiB")
    print(f"{'backoffice fleet simulate ' + str(n) + ' (health every 30 s, visits)':<60} "
          f"cpu {sim[0]:5.1f}% of one core  rss {sim[1] / 1024:6.1f} MiB")


if __name__ == "__main__":
    main()
