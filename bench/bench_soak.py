"""Soak: does a kiosk that serves visit after visit, day and night, keep its memory?

Three fresh processes, measured in the same run:

- baseline: the bare engine, 10,000 sessions of a chain flow (no devices, no I/O);
- headless kiosk: 10,000 visits through the kiosk as `kiosk run --headless`
  assembles it (runtime.build and start): every shipped item, simulated
  devices, the demo backend over real HTTP on 127.0.0.1, the SQLite journal
  (documents go to the simulated printer as HTML; with --pdf a fourth run
  renders them as PDF, as a production kiosk does); an automated citizen
  answers every screen;
- touch UI: 500 visits through the real Kivy window under Xvfb, every action a
  tap on a drawn widget (forms typed on the on-screen keyboard).

Resident memory is read after a warm-up (caches, first imports, font
textures) and again at the end, after a garbage collection both times.
Goals: headless growth under 5 MB, UI growth under 15 MB.

    .venv/bin/python bench/bench_soak.py [--visits 10000] [--ui-visits 500] [--pdf]
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._util import rss_kib  # noqa: E402

WARMUP = 0.1  # the first tenth of the visits warms caches before the first reading
VIEW_TIMEOUT_S = 15.0  # a screen that never changes is a hang, not a slow run


class Trend:
    """RSS readings: one after the warm-up, then every tenth of the run (to tell a leak from a plateau)."""

    def __init__(self, total: int):
        self.total, self.readings = total, []

    def at(self, n: int) -> None:
        step = max(1, self.total // 10)
        if n >= int(self.total * WARMUP) and n % step == 0:
            self.readings.append(round(rss_mb(), 1))

    def result(self, **more) -> dict:
        self.readings.append(round(rss_mb(), 1))
        return {"warm": self.readings[0], "end": self.readings[-1], "trend": self.readings, **more}


def rss_mb() -> float:
    gc.collect()
    return rss_kib() / 1000


# ------------------------------------------------------------------ children
def engine_child(sessions: int) -> dict:
    from bench.bench_engine import chain_flow
    from kiosk.engine.clock import VirtualClock
    from kiosk.engine.messages import Action
    from kiosk.engine.session import Session
    from kiosk.flow.bundle import load_bundle
    from kiosk.system import logs

    logs.setup("json", "warning")
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "chain").mkdir()
        (Path(d) / "chain" / "flow.yaml").write_text(chain_flow(10))
        bundle = load_bundle(d)
    clock = VirtualClock()
    trend = Trend(sessions)
    t0 = time.perf_counter()
    for i in range(sessions):
        trend.at(i)
        s = Session(bundle.flows, "chain", session_id=f"s{i}", kiosk={"id": "K"}, clock=clock.monotonic,
                    wallclock=clock.wallclock)
        s.start()
        while s.result is None:
            s.handle(Action("ok"))
        s.wipe()
    return trend.result(visits=sessions, seconds=time.perf_counter() - t0)


ROLES = ("id_reader", "code_scanner", "receipt_printer", "document_printer", "ticket_dispenser", "help_panel")


class Kiosk:
    """The kiosk as `kiosk run --headless` assembles it (runtime.build and start), on simulated devices,
    against the demo backend over real HTTP on 127.0.0.1, with a provisioned journal key."""

    async def start(self, var: Path, pdf: bool = False) -> None:
        from kiosk import config, runtime
        from kiosk.demo import backend as demo_backend
        from kiosk.documents.pdf import render_document
        from kiosk.flow.registry import FlowRegistry

        self.backend, self.web, port = await demo_backend.start("127.0.0.1", 0)
        flows = FlowRegistry(ROOT / "flows")
        flows.reload()
        url = f"http://127.0.0.1:{port}"
        os.environ["SOAK_JOURNAL_KEY"] = os.urandom(32).hex()  # as provisioned: the citizen column is kept
        cfg = config.parse({"kiosk": {"id": "SOAK", "name": "浸泡测试"}, "flows": {"path": str(ROOT / "flows")},
                            "var_dir": str(var), "journal": {"key_env": "SOAK_JOURNAL_KEY"},
                            "devices": {role: {"driver": "sim", **({"hall_name": "示例政务服务中心"} if role ==
                                                                   "ticket_dispenser" else {})} for role in ROLES},
                            "services": {n: {"base_url": url, "timeout_s": 5} for n in flows.active.catalog.services}})
        self.kiosk = runtime.build(cfg, pdf_renderer=render_document if pdf else None)
        await runtime.start(self.kiosk)
        self.controller, self.devices, self.journal = self.kiosk.controller, self.kiosk.devices, self.kiosk.journal
        self.outcomes: dict[str, int] = {}
        self.changed = asyncio.Event()
        self.controller.subscribe(lambda _s: self.changed.set())
        self.controller.subscribe_events(self._event)
        self.items = [t.flow for t in self.controller.state.tiles if t.available]

    def _event(self, event) -> None:
        key = f"{event.flow}:{event.result}"
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    async def stop(self) -> None:
        from kiosk import runtime

        await runtime.stop(self.kiosk)
        await self.web.cleanup()

    async def wait_change(self, view) -> None:
        """Until the screen shows something other than `view`."""
        while self.controller.state.view is view and self.controller.state.mode == "visit":
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), VIEW_TIMEOUT_S)

    async def visit(self, n: int, act) -> None:
        """One citizen, one item, start to home; `act(move, value)` performs a move the way the caller drives."""
        from bench.citizen import next_move

        c = self.controller
        await act("start", self.items[n % len(self.items)])
        while c.state.mode == "visit":
            view = c.state.view
            move, value = next_move(view, n)
            if move == "card":
                self.devices["id_reader"].insert_card(value)
            elif move == "scan":
                self.devices["code_scanner"].scan(value)
            elif move != "wait":
                await act(move, value)
            await self.wait_change(view)


async def headless_child(visits: int, pdf: bool = False) -> dict:
    from kiosk.system import logs

    logs.setup("json", "warning")
    with tempfile.TemporaryDirectory() as d:
        k = Kiosk()
        await k.start(Path(d), pdf)

        async def act(move, value):
            if move == "start":
                assert k.controller.start(value), value
            else:
                refused = k.controller.act(move, value)
                assert not refused, (move, value, refused)

        trend = Trend(visits)
        t0 = time.perf_counter()
        for n in range(visits):
            trend.at(n)
            await k.visit(n, act)
        seconds = time.perf_counter() - t0
        journal = k.journal.counts()
        await k.stop()
    return trend.result(visits=visits, seconds=seconds, outcomes=k.outcomes, journal=journal)


async def ui_child(visits: int) -> dict:
    from kiosk.scenario.ui import tap_action
    from kiosk.system import logs
    from kiosk.ui.app import KioskWindow
    from kiosk.ui.live import LiveUi
    from kiosk.ui.theme import Theme

    logs.setup("json", "warning")
    win = KioskWindow(Theme())
    await win.start()
    with tempfile.TemporaryDirectory() as d:
        k = Kiosk()
        await k.start(Path(d))
        LiveUi(k.controller, win)  # redraws beside the soak's own listener

        async def act(move, value):
            await win.frame()  # a finger taps what is drawn
            if move == "start":
                kid = f"tile:{value}"
                if not win.tap(kid):
                    raise LookupError(f"no {kid!r} on the home screen")
            else:  # the citizen's moves are engine actions; choose and submit carry their value
                key, arg = (move, value) if move in ("choose", "submit") else ("action", move)
                await tap_action(win, key, arg)

        trend = Trend(visits)
        t0 = time.perf_counter()
        for n in range(visits):
            trend.at(n)
            await k.visit(n, act)
        await win.frame()
        seconds = time.perf_counter() - t0
        await k.stop()
    result = trend.result(visits=visits, seconds=seconds, outcomes=k.outcomes)
    await win.stop()
    return result


# ------------------------------------------------------------------ parent
def child(part: str, n: int, display: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", part, str(n)]
    if display and not os.environ.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise SystemExit("the UI soak needs a display or xvfb-run")
        cmd = [xvfb, "-a", "-s", "-screen 0 1920x1920x24"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        raise SystemExit(f"{part} soak failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return json.loads(line[6:])


def show(label: str, r: dict, goal_mb: float | None) -> None:
    growth = r["end"] - r["warm"]
    verdict = f"  goal < {goal_mb:g} MB: {'met' if growth < goal_mb else 'MISSED'}" if goal_mb else ""
    rate = r["visits"] / r["seconds"]
    print(f"{label:<46} {r['visits']:6d} visits {rate:8.1f}/s  RSS {r['warm']:6.1f} -> {r['end']:6.1f} MB  "
          f"growth {growth:+6.2f} MB{verdict}")
    print(f"{'':<46} trend (MB): {' '.join(f'{x:.1f}' for x in r['trend'])}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=10_000)
    ap.add_argument("--ui-visits", type=int, default=500)
    ap.add_argument("--pdf", action="store_true", help="also soak a headless kiosk that renders PDF documents")
    ap.add_argument("--child", nargs=2)
    args = ap.parse_args()
    if args.child:
        part, n = args.child[0], int(args.child[1])
        result = engine_child(n) if part == "engine" else asyncio.run(
            headless_child(n, pdf=part == "headless-pdf") if part.startswith("headless") else ui_child(n))
        sys.stdout.write("RESULT" + json.dumps(result, ensure_ascii=False) + "\n")
        return
    print("soak: resident memory after a warm-up and at the end, fresh process each")
    show("baseline: bare engine, chain flow", child("engine", args.visits), None)
    headless = child("headless", args.visits)
    show("kiosk headless: controller, HTTP, journal", headless, 5)
    if args.pdf:
        show("kiosk headless, documents rendered as PDF", child("headless-pdf", args.visits), 5)
    ui = child("ui", args.ui_visits, display=True)
    show("kiosk touch UI under Xvfb: real taps", ui, 15)
    outcomes = {}
    for r in (headless, ui):
        for k, v in r["outcomes"].items():
            outcomes[k] = outcomes.get(k, 0) + v
    print("visit outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    j = headless["journal"]
    print(f"journal after the headless soak: {j['started']} visits started, {j['ended']} with their outcome "
          f"({'nothing lost' if j['started'] == j['ended'] == headless['visits'] else 'RECORDS MISSING'})")


if __name__ == "__main__":
    main()
