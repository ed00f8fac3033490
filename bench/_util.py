"""Shared helpers for benchmarks: timing and a uniform figure line."""
from __future__ import annotations

import statistics
import time
from pathlib import Path


def measure(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, samples: list[float], goal_ms: float | None = None, unit_ms: bool = True) -> float:
    med = statistics.median(samples) * 1000
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1] * 1000
    goal = f"  goal < {goal_ms:g} ms: {'met' if med < goal_ms else 'MISSED'}" if goal_ms else ""
    print(f"{name:<52} median {med:9.4f} ms  p95 {p95:9.4f} ms  n={len(samples)}{goal}")
    return med


def rss_kib() -> int:
    """Resident memory of this process (kernel figure, KiB). No kiosk import: the bare baselines use it too."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
