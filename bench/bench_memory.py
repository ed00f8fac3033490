"""Back-office memory with 100,000 kiosks' current state held, beside a bare baseline.

The back office: a worker's ingest pipeline and store (SQLite, or --db URL) take a birth and a health
report from each of KIOSKS kiosks, then the whole fleet's current state is read and held as the API's
/api/v1/kiosks serves it (the fleet page's source). The baseline: a bare Python process holding the same
payloads, parsed with json, in one dict. Each runs in its own process; the figure is its peak resident
memory (VmHWM), the kernel's count.

Goal (issue #12): under 1 GiB for the back office.

    .venv/bin/python bench/bench_memory.py [--kiosks 100000] [--db postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def reports(n: int):
    """(topic, payload) of each kiosk's birth and health, as kiosks send them (wire-encoded)."""
    from tests.backoffice.fleet_sim import health
    from wire import messages, topics
    for i in range(n):
        kiosk_id = f"K-{i:06d}"
        birth = messages.Birth(kiosk_id=kiosk_id, boot_id="0f4c", session_seq=1, versions={"app": "0.1.0"},
                               commands=["ping", "restart"], command_envelope=1, commands_enabled=True, at=1000.0,
                               identity={"name": f"自助终端 {i}", "hall": f"Hall {i % 400}", "region": f"R{i % 16}",
                                         "model": "KS-200", "maintainer_phone": "010-00000000"})
        yield topics.topic(kiosk_id, topics.BIRTH), birth.encode().encode()
        yield topics.topic(kiosk_id, topics.HEALTH), health(2).encode().encode()


def backoffice(n: int, url: str) -> dict:
    from backoffice import db
    from backoffice.pipeline import BATCH, Pipeline
    from backoffice.store import FleetStore
    from kiosk.system import logs
    logs.setup("console", "warning")
    engine = db.engine(url)
    db.upgrade(engine)
    pipeline = Pipeline(FleetStore(engine))
    batch = []
    for item in reports(n):
        batch.append(item)
        if len(batch) == BATCH:
            pipeline.process(batch)
            batch = []
    pipeline.process(batch)
    fleet = pipeline.store.kiosks()  # held, as the API hands it out
    assert len(fleet) == n, len(fleet)
    return {"peak_kib": peak_kib(), "counts": dict(pipeline.counts)}


def baseline(n: int) -> dict:
    held = {}
    for topic, payload in reports(n):
        held.setdefault(topic.split("/")[2], {})[topic.rsplit("/", 1)[1]] = json.loads(payload)
    assert len(held) == n
    return {"peak_kib": peak_kib()}


def child(mode: str, n: int, url: str | None) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--kiosks", str(n), *(["--db", url] if url else [])],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiosks", type=int, default=100_000)
    ap.add_argument("--db")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "baseline":
        return print(json.dumps(baseline(args.kiosks)))
    if args.child == "backoffice":
        return print(json.dumps(backoffice(args.kiosks, args.db)))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        base = child("baseline", args.kiosks, None)
        ours = child("backoffice", args.kiosks, url)
    mib = 1024
    print(f"{'bare Python, the payloads parsed and held in a dict':<56} peak {base['peak_kib'] / mib:8.0f} MiB")
    print(f"{'back office: ingested, stored, the fleet read and held':<56} peak {ours['peak_kib'] / mib:8.0f} MiB  "
          f"({url.split(':')[0]}; {ours['counts']})")
    print(f"{args.kiosks} kiosks; goal < 1024 MiB: {'met' if ours['peak_kib'] < 1024 * mib else 'MISSED'} "
          f"(ratio to baseline {ours['peak_kib'] / base['peak_kib']:.2f})")


if __name__ == "__main__":
    main()
