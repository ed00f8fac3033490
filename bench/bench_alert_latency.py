"""Paper out on a kiosk to the alert shown on an open console page; goal: p95 under 2 s.

A kiosk's health report with its receipt printer out of paper is published to a real Mosquitto; the
console (ingest, the alert evaluator, the /alerts page in Chromium, all real) stores it, raises the alert,
and the open page shows the row on its next poll. The page's own clock stamps the moment the row appears
(a MutationObserver), so Playwright's round trips are not counted. Baseline, in the same run: the same
publish to a bare paho subscriber on the same broker, which is what the network part costs.

    PYTHONPATH=. .venv/bin/python bench/bench_alert_latency.py [rounds]

The console runs in-process (tests/backoffice/served.py); the page signs in through /login as an operator.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402

from backoffice.broker import LocalBroker  # noqa: E402
from tests.backoffice import reports  # noqa: E402
from tests.backoffice.console import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.backoffice.served import ThreadedConsole  # noqa: E402
from wire import codec, topics  # noqa: E402

GOAL_S = 2.0
WATCH = """() => { window.__seen = {}; new MutationObserver(() => {
  for (const row of document.querySelectorAll('tr.alert[data-rule="paper_out"]')) {
    const k = row.dataset.kiosk;
    if (!(k in window.__seen)) window.__seen[k] = performance.timeOrigin + performance.now(); }
}).observe(document.getElementById("alert-rows"), {childList: true, subtree: true}); }"""


def line(name: str, samples: list[float], goal: float | None = None) -> None:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]
    verdict = f"  goal p95 < {goal * 1000:.0f} ms: {'met' if p95 < goal else 'MISSED'}" if goal else ""
    print(f"{name:<52} median {statistics.median(samples) * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms  "
          f"n={len(samples)}{verdict}")


def client(port: int, name: str) -> mqtt.Client:
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def publish(c: mqtt.Client, kiosk_id: str, which, msg) -> float:
    t0 = time.time()
    c.publish(topics.topic(kiosk_id, which), codec.dump(msg.as_dict()), qos=1).wait_for_publish(5)
    return t0


def baseline(port: int, rounds: int) -> list[float]:
    """Publish to a bare subscriber: what the broker hop costs, the floor under any console."""
    got, arrived = threading.Event(), [0.0]

    def on_message(c, u, m):
        arrived[0] = time.time()
        got.set()
    sub = client(port, "bench-bare")
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = on_message
    sub.subscribe(f"{topics.PREFIX}/+/health", qos=1)
    subscribed.wait(5)
    pub = client(port, "bench-bare-kiosk")
    out = []
    for i in range(rounds):
        got.clear()
        t0 = publish(pub, f"B-{i:03d}", topics.HEALTH, reports.health(paper="paper_out"))
        if not got.wait(5):
            raise SystemExit("the bare subscriber got nothing")
        out.append(arrived[0] - t0)
    for c in (sub, pub):
        c.disconnect()
        c.loop_stop()
    return out


def console_rounds(port: int, rounds: int, workdir: Path) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright
    console = ThreadedConsole(workdir, port)
    kiosk = client(port, "bench-kiosk")
    shown, stored = [], []
    try:
        for i in range(rounds):
            publish(kiosk, f"K-{i:03d}", topics.BIRTH, reports.birth(f"K-{i:03d}"))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            console.sign_in(page, "/alerts?status=open")
            page.evaluate(WATCH)
            for i in range(rounds):
                k = f"K-{i:03d}"
                time.sleep(random.uniform(0, 0.5))  # a fault comes at any point of the page's poll cycle
                t0 = publish(kiosk, k, topics.HEALTH, reports.health(paper="paper_out"))
                page.wait_for_function(f"() => '{k}' in window.__seen", timeout=10_000)
                shown.append(page.evaluate(f"() => window.__seen['{k}']") / 1000 - t0)
                (alert,) = console.running.app[_alerts_key()].store.alerts(kiosk_id=k)
                stored.append(alert["raised_at"] - t0)
            browser.close()
    finally:
        kiosk.disconnect()
        kiosk.loop_stop()
        console.stop()
    return stored, shown


def evaluator_cost(workdir: Path, n: int = 20000) -> tuple[float, float]:
    """Seconds per health report the evaluator adds to ingest's store thread when nothing changes (the common
    case), beside decoding the same report through wire, which ingest does for every report anyway."""
    from backoffice import db
    from backoffice.alerts.evaluator import Evaluator
    from backoffice.alerts.settings import AlertsConfig
    from backoffice.alerts.store import AlertStore
    from backoffice.store import FleetStore
    from wire import messages
    engine = db.engine(f"sqlite:///{workdir / 'eval.db'}")
    db.upgrade(engine)
    FleetStore(engine).birth("K-1", reports.birth("K-1"))
    evaluator = Evaluator(AlertStore(engine), AlertsConfig(), lambda event, alert: False)
    health = reports.health(paper="paper_out")
    raw = codec.dump(health.as_dict()).encode()
    evaluator.on_report("K-1", health)
    t0 = time.perf_counter()
    for _ in range(n):
        evaluator.on_report("K-1", health)
    judged = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        messages.decode(topics.HEALTH, raw)
    decoded = (time.perf_counter() - t0) / n
    engine.dispose()
    return judged, decoded


def _alerts_key():
    from backoffice.keys import ALERTS
    return ALERTS


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        broker = LocalBroker(Path(tmp))
        port = broker.start()
        try:
            bare = baseline(port, rounds)
            stored, shown = console_rounds(port, rounds, Path(tmp))
            judged, decoded = evaluator_cost(Path(tmp))
        finally:
            broker.stop()
    print(f"paper out -> alert, {rounds} kiosks, Mosquitto on loopback, page polls every 500 ms")
    line("baseline: publish -> bare paho subscriber", bare)
    line("publish -> alert raised in the store", stored)
    line("publish -> alert row shown in Chromium", shown, GOAL_S)
    print(f"{'evaluator per unchanged health report':<52} {judged * 1e6:8.1f} us   "
          f"(baseline: wire decode of the same report {decoded * 1e6:.1f} us)")


if __name__ == "__main__":
    main()
