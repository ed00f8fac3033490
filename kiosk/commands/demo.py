"""`kiosk demo`: until the touch UI lands, a narrated headless run of every flow's first scenario."""
from __future__ import annotations

import sys
from pathlib import Path


def _narrate(sc, i):
    def show(view):
        line = f"  [{view.step}] {view.title or view.flow_title}"
        if view.text:
            line += f" — {view.text}"
        if view.options:
            line += "  (" + " / ".join(o.label for o in view.options) + ")"
        if view.items:
            line += "  " + "; ".join(f"{it.label}: {it.value}" for it in view.items)
        if view.busy:
            line += "  …"
        print(line)
    return show if i == 0 else None


def demo(args) -> int:
    from kiosk.scenario.runner import find_tests, run_file

    root = Path(args.flows)
    bundles: dict = {}
    status = 0
    for f in find_tests([root]):
        print(f"== {f.parent.name}")
        for outcome in run_file(f, bundles, _narrate)[:1]:
            print(f"  => {'ok' if outcome.passed else 'FAILED: ' + outcome.message}")
            status |= not outcome.passed
    print("(headless demo on simulated devices; the touch UI replaces this)", file=sys.stderr)
    return status


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the kiosk on simulated devices")
    p.add_argument("--flows", default="flows")
    p.set_defaults(func=demo)
