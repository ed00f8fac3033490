"""A flow bundle: every item's folder under one root, plus services.yaml.

Loading is all-or-nothing per file and reports every problem at once;
the runtime activates a bundle only when it has none (see kiosk.flow.registry).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.documents.templates import load_template, template_files
from kiosk.flow import model
from kiosk.flow.compile import CompiledFlow, compile_flow
from kiosk.flow.lint import BundleInfo, Linter
from kiosk.flow.loader import Loaded, load_file
from kiosk.flow.media import media_problems
from kiosk.flow.pii import PrivacyRules, catalog_problems, document_problems
from kiosk.flow.problems import Problem, ProblemsError
from kiosk.flow.scope import flow_scope

CATALOG = "services.yaml"
MAX_FLOWS = 500


def is_flow_file(p: Path) -> bool:
    return p.is_file() and (p.name == "flow.yaml" or p.name.endswith(".flow.yaml"))


def find_flow_files(paths: list[str | Path]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.yaml") if is_flow_file(q) and not q.is_symlink()))
        elif p.exists() or p.suffix in (".yaml", ".yml", ".json"):
            out.append(p)
    return out


def find_root(flow_file: Path) -> Path:
    """The bundle a scenario's flow belongs to (the scenario runner loads the whole bundle)."""
    return bundle_root(flow_file) or flow_file.resolve().parent.parent


def bundle_root(flow_file: Path) -> Path | None:
    """The nearest folder above a flow that holds services.yaml, or None for a flow outside any bundle."""
    for parent in flow_file.resolve().parents:
        if (parent / CATALOG).is_file():
            return parent
    return None


def link_problems(folder: Path, recursive: bool = False) -> list[Problem]:
    """Flow folders hold their own files only: a symlinked slip.receipt would print any file the kiosk can read."""
    out: list[Problem] = []
    real = folder.resolve()
    for dirpath, dirs, files in (os.walk(folder) if recursive else [(str(folder), [], _names(folder))]):
        for name in sorted(dirs + files):
            p = Path(dirpath) / name
            if p.is_symlink() or not p.resolve().is_relative_to(real):
                out.append(Problem(str(p), 1, 1, "io/symlink",
                                   f"{name} is a symbolic link (or resolves outside its folder); a flow folder may "
                                   "hold only its own files"))
    return out


def _names(folder: Path) -> list[str]:
    try:
        return [p.name for p in folder.iterdir()]
    except OSError:
        return []


@dataclass
class Bundle:
    root: Path
    flows: dict[str, CompiledFlow] = field(default_factory=dict)
    catalog: model.Catalog | None = None
    sha256: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def _load_catalog(root: Path, problems: list[Problem]) -> model.Catalog | None:
    path = root / CATALOG
    if path.is_symlink():
        problems.append(Problem(str(path), 1, 1, "io/symlink", f"{CATALOG} is a symbolic link; a bundle holds its own files"))
        return None
    if not path.is_file():
        return None
    try:
        loaded = load_file(path, model.Catalog)
    except ProblemsError as exc:
        problems.extend(exc.problems)
        return None
    found = list(catalog_problems(loaded.doc, loaded.located, loaded.file))
    problems.extend(found)
    return None if found else loaded.doc


def load_bundle(root: str | Path) -> Bundle:
    """Load, lint and compile every flow under root; a flow with any problem is left out."""
    root = Path(root).resolve()
    bundle = Bundle(root)
    bundle.catalog = _load_catalog(root, bundle.problems)
    bundle.problems.extend(link_problems(root, recursive=True))
    files = find_flow_files([root])[:MAX_FLOWS]
    loaded: dict[Path, Loaded] = {}
    for f in files:
        try:
            loaded[f] = load_file(f)
        except ProblemsError as exc:
            bundle.problems.extend(exc.problems)
    by_id: dict[str, Loaded] = {}
    for f, ld in loaded.items():
        if ld.doc.id in by_id:
            bundle.problems.append(_duplicate(ld, by_id[ld.doc.id]))
        by_id.setdefault(ld.doc.id, ld)
    digest = hashlib.sha256()
    tables: dict = {}  # code tables, shared by the bundle's flows
    for f, ld in sorted(loaded.items()):
        digest.update(ld.sha256.encode())
        compiled, problems = check_flow(ld, by_id, bundle.catalog, tables)
        bundle.problems.extend(problems)
        if not problems:
            bundle.flows[ld.doc.id] = compiled
    _drop_broken_dependents(bundle, by_id)
    bundle.sha256 = digest.hexdigest()
    bundle.problems = sorted(set(bundle.problems))
    return bundle


def _duplicate(ld: Loaded, other: Loaded) -> Problem:
    line, col = ld.located.where(("id",))
    return Problem(ld.file, line, col, "ref/duplicate-flow", f"flow id {ld.doc.id!r} is also used by {other.file}")


def check_single(files: list[Path]) -> list[Problem]:
    """Named flow files, each against its own folder only, whatever their names.

    A flow inside a bundle (a services.yaml above it) is checked against that
    catalog and may name the bundle's other flows as subflows; their own
    problems are theirs and not reported here. A flow outside any bundle has
    no services and no subflows to call.
    """
    problems: list[Problem] = []
    groups: dict[Path | None, list[Path]] = {}
    for f in files:
        if f.is_symlink():  # never read through it: a schema error would quote whatever it points at
            problems.extend(link_problems(f.parent))
            continue
        groups.setdefault(bundle_root(f), []).append(f.resolve())
    for root, named in groups.items():
        catalog = _load_catalog(root, problems) if root else None
        loaded: list[Loaded] = []
        for f in named:
            try:
                loaded.append(load_file(f))
            except ProblemsError as exc:
                problems.extend(exc.problems)
        others = _others(root, named) if root else {}
        by_id = dict(others)
        for ld in loaded:
            if ld.doc.id in by_id:
                problems.append(_duplicate(ld, by_id[ld.doc.id]))
            by_id[ld.doc.id] = ld
        for ld in loaded:
            problems.extend(check_flow(ld, by_id, catalog)[1])
    return problems


def _others(root: Path, named: list[Path]) -> dict[str, Loaded]:
    """The bundle's other flows, for subflow references only; the ones that do not load are simply absent."""
    out: dict[str, Loaded] = {}
    for f in find_flow_files([root])[:MAX_FLOWS]:
        if f.resolve() in named:
            continue
        try:
            ld = load_file(f)
        except ProblemsError:
            continue
        out.setdefault(ld.doc.id, ld)
    return out


def _drop_broken_dependents(bundle: Bundle, by_id: dict[str, Loaded]) -> None:
    """A flow whose subflow did not load cannot run either: it would fail in the middle of a visit."""
    changed = True
    while changed:
        changed = False
        for fid, cf in list(bundle.flows.items()):
            for i, step in enumerate(cf.flow.steps):
                if step.kind == "subflow" and step.flow not in bundle.flows:
                    line, col = by_id[fid].located.where(("steps", i, "flow"))
                    bundle.problems.append(Problem(cf.file, line, col, "ref/broken-flow",
                                                   f"subflow {step.flow!r} has errors, so this flow cannot run"))
                    del bundle.flows[fid]
                    changed = True
                    break


def _subflows(flow: model.Flow, by_id: dict[str, Loaded]) -> list[model.Flow]:
    seen, stack, out = {flow.id}, [flow], [flow]
    while stack:
        for step in stack.pop().steps:
            if step.kind == "subflow" and step.flow in by_id and step.flow not in seen:
                seen.add(step.flow)
                out.append(by_id[step.flow].doc)
                stack.append(by_id[step.flow].doc)
    return out


def check_flow(ld: Loaded, by_id: dict[str, Loaded], catalog: model.Catalog | None,
               tables: dict | None = None) -> tuple[CompiledFlow, list[Problem]]:
    flow: model.Flow = ld.doc
    folder = Path(ld.file).parent
    links = link_problems(folder)
    templates = {} if links else template_files(folder)  # never read through a link
    info = BundleInfo(catalog, set(by_id), set(templates))
    problems = links + Linter(flow, ld.located, ld.file, info).run()
    if not links:  # never stat through a link
        problems += media_problems(flow, ld.located, ld.file, folder)
    scope = flow_scope(_subflows(flow, by_id), catalog, tables)
    compiled, expr_problems = compile_flow(flow, ld.located, ld.file, ld.sha256, scope)
    problems += expr_problems
    problems += PrivacyRules(compiled, ld.located, catalog).run()
    used = {s.document for s in flow.steps if s.kind == "print"}
    for name in sorted(used & set(templates)):
        tmpl, tproblems = load_template(templates[name], scope)
        problems += tproblems
        if tmpl is not None:
            steps = [s for s in flow.steps if s.kind == "print" and s.document == name]
            problems += document_problems(tmpl, steps)
            compiled.documents[name] = tmpl
            step_printer = {s.printer for s in steps}
            if step_printer and tmpl.printer not in step_printer:
                problems.append(Problem(str(templates[name]), 1, 1, "ref/document-printer",
                                        f"{templates[name].name} is for the {tmpl.printer}, but a step prints it on the "
                                        f"{', '.join(sorted(step_printer))}"))
    return compiled, problems


NOT_FLOWS = {
    ".test.yaml": "is a scenario file, not a flow; run it with: kiosk flows test {path}",
    ".receipt": "is a receipt template; it is checked with the flow that prints it: kiosk flows check {folder}",
    ".html": "is an A4 document template; it is checked with the flow that prints it: kiosk flows check {folder}",
}


def _refusal(path: Path) -> Problem | None:
    """Files that are part of a bundle but are not flows: say what they are and how to check them."""
    if path.name == CATALOG:
        return Problem(str(path), 1, 1, "input/not-a-flow", f"{CATALOG} is a bundle's service catalog, not a flow; "
                       f"it is checked with its bundle: kiosk flows check {path.parent}")
    for suffix, why in NOT_FLOWS.items():
        if path.name.endswith(suffix):
            return Problem(str(path), 1, 1, "input/not-a-flow",
                           f"{path.name} {why.format(path=path, folder=path.parent)}")
    return None


def _is_demo_file(p: Path) -> bool:
    from kiosk.demo.data import DEMO_FILE

    return p.name == DEMO_FILE and p.is_file() and bundle_root(p) is not None


def _demo_problems(root: Path, catalog: model.Catalog | None, only: list[Path] | None = None) -> list[Problem]:
    """The demo backend's data files (kiosk.demo.data), linted with the flows; a kiosk never loads them, so
    load_bundle does not look for them and the demo's code is imported only here."""
    from kiosk.demo.data import check_demo

    return check_demo(root, catalog, only)


def check_paths(paths: list[str | Path]) -> tuple[list[Problem], int]:
    """The linter's entry point: problems in exactly the named files and folders, and how many flows were read.

    A folder holding services.yaml is a bundle and is checked whole; any other
    folder, each flow file under it; a named file, as a flow whatever its name
    (or refused with the reason, if it is a catalog, scenario or template).
    """
    problems: list[Problem] = []
    count = 0
    singles: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            problems.append(Problem(str(p), 1, 1, "io/missing", "no such file or directory"))
        elif p.is_dir() and (p / CATALOG).exists():
            count += len(find_flow_files([p])[:MAX_FLOWS])
            bundle = load_bundle(p)
            problems.extend(bundle.problems + _demo_problems(bundle.root, bundle.catalog))
        elif _is_demo_file(p):
            root = bundle_root(p)
            problems.extend(_demo_problems(root, _load_catalog(root, problems), [p]))
        elif p.is_dir():
            found = find_flow_files([p])
            if not found:
                problems.append(Problem(str(p), 1, 1, "io/no-flows",
                                        f"no flow files (flow.yaml or *.flow.yaml) under {p}"))
            singles += found
        elif (refused := _refusal(p)) is not None:
            problems.append(refused)
        else:
            singles.append(p)
    count += len(singles)
    problems.extend(check_single(singles))
    return sorted(set(problems)), count
