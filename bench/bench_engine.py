"""Engine overhead per step transition, beside a bare dict state machine.

Device and backend time are excluded: the flow is a chain of notice steps,
so each transition is the engine's own work (routing, timers, trace, view
with localized templates). The baseline does the minimum any engine must:
look up the next state and build a view dict.

    .venv/bin/python bench/bench_engine.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import measure, report  # noqa: E402
from kiosk.engine.clock import VirtualClock  # noqa: E402
from kiosk.engine.messages import Action  # noqa: E402
from kiosk.engine.session import Session  # noqa: E402
from kiosk.flow.bundle import load_bundle  # noqa: E402
from kiosk.system import logs  # noqa: E402

STEPS = 50


def chain_flow(n: int) -> str:
    lines = ["format: 2", "id: chain", "version: 1.0.0", "title: {zh-CN: 链, en: Chain}", "category: bench", "steps:"]
    for i in range(n):
        lines += [f"  - id: s{i}", "    kind: notice",
                  f"    title: {{zh-CN: \"第{i}步 {{{{ kiosk.name }}}}\", en: \"Step {i} {{{{ kiosk.name }}}}\"}}",
                  f"    text: {{zh-CN: \"请继续，{{{{ locale }}}}\", en: \"Go on, {{{{ locale }}}}\"}}",
                  f"    next: s{i + 1}"]
    lines += [f"  - id: s{n}", "    kind: end"]
    return "\n".join(lines) + "\n"


def main() -> None:
    logs.setup("console", "warning")  # as in production: no debug traces on the hot path
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "chain"
        folder.mkdir()
        (folder / "flow.yaml").write_text(chain_flow(STEPS))
        bundle = load_bundle(d)
        assert bundle.ok, bundle.problems
    clock = VirtualClock()
    sessions = []

    def fresh():
        s = Session(bundle.flows, "chain", session_id="bench-0001", kiosk={"id": "K", "name": "终端"},
                    clock=clock.monotonic, wallclock=clock.wallclock)
        s.start()
        return s

    samples = []
    for _ in range(40):
        s = fresh()
        sessions.append(s)
        for _ in range(STEPS - 1):
            samples.extend(measure(lambda: s.handle(Action("ok")), 1))

    table = {f"s{i}": {"ok": f"s{i + 1}"} for i in range(STEPS)}
    titles = {f"s{i}": f"第{i}步" for i in range(STEPS)}
    state = {"at": "s0"}

    def baseline():
        nxt = table[state["at"]]["ok"]
        state["at"] = nxt if nxt in table else "s0"
        return {"step": state["at"], "title": titles.get(state["at"], ""), "options": []}

    base = measure(baseline, len(samples))
    print(f"engine overhead per step transition ({len(samples)} transitions, view included)")
    report("baseline: dict state machine + view dict", base)
    report("kiosk engine: Session.handle(ok)", samples, goal_ms=1.0)


if __name__ == "__main__":
    main()
