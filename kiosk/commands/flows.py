"""`kiosk flows ...`: the integrator's tools (check, test, list, graph, schema, migrate)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from kiosk.flow import graph
from kiosk.flow.bundle import check_paths, load_bundle
from kiosk.flow.loader import load_file
from kiosk.flow.problems import ProblemsError
from kiosk.i18n import pick


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else path
    except ValueError:
        return path


def check(args) -> int:
    started = time.monotonic()
    problems, count = check_paths(args.paths)
    if args.format == "json":
        json.dump([dict(p.as_dict(), file=_rel(p.file)) for p in problems], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(f"{_rel(p.file)}:{p.line}:{p.col}: {p.severity}[{p.rule}]: {p.message}")
        errors = sum(1 for p in problems if p.severity == "error")
        print(f"{count} flow file(s) checked in {time.monotonic() - started:.2f}s: "
              f"{errors} error(s)" if problems else f"{count} flow file(s) checked: all valid", file=sys.stderr)
    return 1 if any(p.severity == "error" for p in problems) else 0


def test(args) -> int:
    from kiosk.scenario.runner import find_tests, run_file

    files = find_tests(args.paths or ["flows"])
    bundles: dict = {}
    if args.ui:
        outcomes = _run_ui(files, args, bundles)
    else:
        outcomes = (o for f in files for o in run_file(f, bundles))
    passed = failed = 0
    ran = []
    for outcome in outcomes:
        ran.append(outcome)
        outcome.file = _rel(outcome.file)
        print(outcome, flush=True)
        passed += outcome.passed
        failed += not outcome.passed
    for line in _coverage(ran, bundles):
        print(line)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not (passed or failed) else 0


def _coverage(outcomes: list, bundles: dict) -> list[str]:
    """Per bundle, the flows its scenarios ran: steps and branches no scenario reached."""
    from kiosk.scenario.coverage import report

    lines = []
    for root, bundle in bundles.items():
        mine = [o for o in outcomes if o.root == root]
        hit = set().union(*(o.reached for o in mine)) if mine else set()
        for cov in report(bundle.flows, {o.flow for o in mine}, hit):
            lines += cov.lines(_rel)
    return lines


def _run_ui(files, args, bundles: dict) -> list:
    """All files through one window: Kivy opens one per process, and reusing it keeps a variant affordable."""
    import asyncio

    from kiosk.scenario.runner import run_file_async
    from kiosk.scenario.ui import UiDriver
    from kiosk.ui.app import KioskWindow
    from kiosk.ui.theme import Theme

    width, height = args.size
    theme = Theme(width=width, height=height, low_reach=args.low_reach)

    async def main():
        window = KioskWindow(theme)
        await window.start()
        driver = UiDriver(window, theme, Path(args.screenshots) if args.screenshots else None,
                          elderly=args.elderly, locale=args.locale, contrast=args.contrast)
        out = []
        started = time.monotonic()
        try:
            for f in files:
                out += await run_file_async(f, bundles, ui=driver)
        finally:
            await window.stop()
        print(f"{driver.checked} screens checked [{driver.variant}] in {time.monotonic() - started:.1f}s",
              file=sys.stderr)
        return out

    return asyncio.run(main())


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1080x1920 or 1920x1080") from None
    if not (480 <= w <= 7680 and 480 <= h <= 7680):
        raise argparse.ArgumentTypeError(f"{text!r}: each side must be 480 to 7680 px")
    return w, h


def _flows_root(args) -> Path:
    if getattr(args, "path", None):
        return Path(args.path)
    if getattr(args, "config", None):
        from kiosk import config

        return config.load(args.config).flows.path
    return Path("flows")


def list_(args) -> int:
    bundle = load_bundle(_flows_root(args))
    rows = []
    for fid, cf in sorted(bundle.flows.items()):
        f = cf.flow
        rows.append({"id": fid, "version": f.version, "title": pick(f.title, args.locale), "category": f.category,
                     "requires": [str(r) for r in f.requires], "listed": f.listed, "sha256": cf.sha256})
    if args.json:
        json.dump({"flows": rows, "bundle_sha256": bundle.sha256,
                   "broken": sorted({_rel(p.file) for p in bundle.problems})}, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        width = max((len(r["id"]) for r in rows), default=2)
        for r in rows:
            print(f"{r['id']:<{width}}  {r['version']:<8}  {r['title']}  [{', '.join(r['requires']) or '-'}]")
        for p in bundle.problems[:20]:
            print(f"warning: not loaded: {_rel(p.file)}:{p.line}: {p.message}", file=sys.stderr)
    return 0


def graph_(args) -> int:
    target = Path(args.flow)
    if not target.exists():
        bundle = load_bundle(_flows_root(args))
        if args.flow not in bundle.flows:
            print(f"error: no flow {args.flow!r} (give a flow id or a file)", file=sys.stderr)
            return 2
        target = Path(bundle.flows[args.flow].file)
    try:
        flow = load_file(target).doc
    except ProblemsError as exc:
        print(exc, file=sys.stderr)
        return 1
    out = graph.dot(flow, args.locale) if args.format == "dot" else graph.mermaid(flow, args.locale)
    sys.stdout.write(out)
    return 0


def schema(args) -> int:
    from kiosk.flow.schema import flow_schema, scenario_schema

    if args.markdown:
        from kiosk.flow.reference import reference

        sys.stdout.write(reference())
        return 0
    doc = scenario_schema() if args.scenario else flow_schema()
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def migrate(args) -> int:
    from kiosk.flow.migrate_cmd import migrate_files

    return migrate_files(args.files, write=args.write)


def register(sub) -> None:
    p = sub.add_parser("flows", help="check, test, list and draw flows")
    fs = p.add_subparsers(dest="flows_cmd", required=True)
    c = fs.add_parser("check", help="lint flow files; exit 1 on any error")
    c.add_argument("paths", nargs="+")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.set_defaults(func=check)
    t = fs.add_parser("test", help="run *.test.yaml scenarios")
    t.add_argument("paths", nargs="*")
    t.add_argument("--ui", action="store_true", help="run through the real touch UI")
    t.add_argument("--screenshots", metavar="DIR", help="with --ui: one PNG per step")
    t.add_argument("--size", default=(1080, 1920), type=_size,
                   help="with --ui: window size, 1080x1920 (portrait) or 1920x1080 (landscape)")
    t.add_argument("--low-reach", action="store_true", help="with --ui: controls in the lower half")
    t.add_argument("--elderly", action="store_true", help="with --ui: every screen in elderly mode (长辈模式)")
    t.add_argument("--locale", choices=["zh-CN", "en"], help="with --ui: every visit in this language "
                   "(the scenarios' own text expectations are then skipped)")
    t.add_argument("--contrast", action="store_true", help="with --ui: measure text (4.5:1) and control "
                   "boundary (3:1) contrast on the drawn pixels of every screen")
    t.set_defaults(func=test)
    ls = fs.add_parser("list", help="the items in a bundle")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--path", help="bundle root (default: flows/ or the configured one)")
    ls.add_argument("--locale", default="zh-CN")
    ls.set_defaults(func=list_)
    g = fs.add_parser("graph", help="draw a flow (Mermaid or DOT)")
    g.add_argument("flow", help="flow id or file")
    g.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    g.add_argument("--path", help="bundle root")
    g.add_argument("--locale", default="zh-CN")
    g.set_defaults(func=graph_)
    s = fs.add_parser("schema", help="print the JSON Schema of the flow format")
    s.add_argument("--scenario", action="store_true", help="the scenario (*.test.yaml) schema instead")
    s.add_argument("--markdown", action="store_true", help="the reference page of every field and value "
                   "(docs/flow-reference.md) instead")
    s.set_defaults(func=schema)
    m = fs.add_parser("migrate", help="bring flow files to the current format")
    m.add_argument("files", nargs="+")
    m.add_argument("--write", action="store_true", help="rewrite the files (default: print)")
    m.set_defaults(func=migrate)
