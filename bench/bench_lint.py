"""Lint time for 100 flows, beside plain YAML parsing of the same files.

The baseline parses the 100 files with libyaml's safe loader (the parser the linter uses) (no schema,
no lint, no expressions); the kiosk linter does everything `kiosk flows
check` does. Goal: 100 flows under 1 s.

    .venv/bin/python bench/bench_lint.py
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from kiosk.flow.bundle import check_paths, find_flow_files  # noqa: E402
from kiosk.system import logs  # noqa: E402

FLOWS = Path(__file__).resolve().parents[1] / "flows"
COUNT = 100


def make_bundle(dest: Path) -> list[Path]:
    shutil.copy(FLOWS / "services.yaml", dest / "services.yaml")
    sources = find_flow_files([FLOWS])
    out = []
    for src in sources:  # the originals, so that bundled items find their subflows
        shutil.copytree(src.parent, dest / src.parent.name)
        out.append(dest / src.parent.name / src.name)
    for i in range(COUNT - len(sources)):
        src = sources[i % len(sources)]
        folder = dest / f"item-{i:03d}"
        # A copy answers no demo operation: each operation's demo replies live in one item's folder only.
        shutil.copytree(src.parent, folder, ignore=shutil.ignore_patterns("demo.yaml"))
        flow = folder / "flow.yaml"
        text = flow.read_text()
        old_id = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("id:"))
        flow.write_text(text.replace(f"id: {old_id}", f"id: {old_id}-{i:03d}", 1))
        out.append(flow)
    return out


def main() -> None:
    logs.setup("console", "warning")  # as in production: no debug traces on the hot path
    with tempfile.TemporaryDirectory() as d:
        files = make_bundle(Path(d))
        t0 = time.perf_counter()
        for f in files:
            yaml.load(f.read_text(), Loader=yaml.CSafeLoader)
        base = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            problems, count = check_paths([d])
            runs.append(time.perf_counter() - t0)
        assert count == COUNT and not problems, problems[:3]
    best = min(runs)
    print(f"lint of {COUNT} flows (copies of the shipped ones, with their templates and services.yaml)")
    print(f"{'baseline: libyaml safe load only (PyYAML C)':<52} {base * 1000:8.1f} ms")
    print(f"{'kiosk flows check (best of 3)':<52} {best * 1000:8.1f} ms  goal < 1000 ms: "
          f"{'met' if best < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
