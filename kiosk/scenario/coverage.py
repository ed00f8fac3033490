"""Which steps and branches of each flow no scenario exercised.

Counted from the sessions' traces, so it measures what the engine did, not
what a scenario meant to do. A branch is an outcome a step routes in
``next`` (or a case or the default of a ``branch`` step); outcomes left to
the flow's ``on_error`` catch-all are covered by reaching that step. The
outcomes of a step never reached are counted but not listed: reaching the
step comes first.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kiosk.flow.loader import load_file
from kiosk.flow.outcomes import primary
from kiosk.flow.problems import ProblemsError

Reached = set[tuple[str, str, str | None]]  # (flow id, step id, outcome or None for "entered")


def reached(entries: Iterable[dict]) -> Reached:
    """What one session's trace shows was entered and taken."""
    out: Reached = set()
    flow = ""
    for e in entries:
        event = e["event"]
        if event == "enter":
            flow = e["flow"]
            out.add((flow, e["step"], None))
        elif event == "outcome":
            out.add((e["flow"], e["step"], e["outcome"]))
        elif event == "branch":  # recorded right after the branch step's own enter
            out.add((flow, e["step"], "default" if e["case"] == "default" else f"cases[{e['case']}]"))
    return out


def branches(step) -> list[tuple[str, tuple, bool]]:
    """(outcome, path inside the step, whether the location is a key) for every branch the step routes."""
    if step.kind == "branch":
        return [(f"cases[{j}]", ("cases", j), False) for j in range(len(step.cases))] + [("default", ("default",), False)]
    if isinstance(step.next, str):
        return [(primary(step), ("next",), False)]
    return [(outcome, ("next", outcome), True) for outcome in (step.next or {})]


@dataclass(frozen=True)
class Gap:
    file: str
    line: int
    col: int
    step: str
    outcome: str | None = None

    def describe(self, rel: Callable[[str], str] = str) -> str:
        what = (f"step {self.step!r} never reached" if self.outcome is None
                else f"outcome {self.outcome!r} of step {self.step!r} never taken")
        return f"{rel(self.file)}:{self.line}:{self.col}: {what}"


@dataclass
class FlowCoverage:
    flow_id: str
    file: str
    steps: int = 0
    steps_hit: int = 0
    outcomes: int = 0
    outcomes_hit: int = 0
    gaps: list[Gap] = field(default_factory=list)

    def lines(self, rel: Callable[[str], str] = str) -> list[str]:
        if not self.gaps:
            return [f"coverage {self.flow_id}: all {self.steps} steps and {self.outcomes} outcomes reached"]
        head = (f"coverage {self.flow_id}: {self.steps_hit} of {self.steps} steps, "
                f"{self.outcomes_hit} of {self.outcomes} outcomes reached; not reached:")
        return [head] + ["  " + g.describe(rel) for g in self.gaps]


def measure(compiled, hit: Reached) -> FlowCoverage:
    """Coverage of one compiled flow; locations come from its file, read again for them."""
    try:
        located = load_file(compiled.file).located
    except ProblemsError:  # changed on disk since the run: report without columns rather than fail
        located = None

    def where(path: tuple, key: bool) -> tuple[int, int]:
        if located is None:
            return 1, 1
        return located.key_where(path) if key else located.where(path)

    fid = compiled.id
    cov = FlowCoverage(fid, compiled.file)
    for i, step in enumerate(compiled.flow.steps):
        cov.steps += 1
        routed = branches(step)
        cov.outcomes += len(routed)
        if (fid, step.id, None) not in hit:
            cov.gaps.append(Gap(compiled.file, *where(("steps", i, "id"), False), step.id))
            continue
        cov.steps_hit += 1
        for outcome, path, key in routed:
            if (fid, step.id, outcome) in hit:
                cov.outcomes_hit += 1
            else:
                cov.gaps.append(Gap(compiled.file, *where(("steps", i) + path, key), step.id, outcome))
    return cov


def report(flows: dict, tested: Iterable[str], hit: Reached) -> list[FlowCoverage]:
    """One entry per flow that has scenarios or was run inside one (a bundled item's parts), by id."""
    wanted = set(tested) | {fid for fid, _, _ in hit}
    return [measure(flows[fid], hit) for fid in sorted(wanted) if fid in flows]
