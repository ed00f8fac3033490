"""A flow bundle: every item's folder under one root, plus services.yaml.

Loading is all-or-nothing per file and reports every problem at once;
the runtime activates a bundle only when it has none (see kiosk.flow.registry).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import documents
from kiosk.flow import model
from kiosk.flow.compile import CompiledFlow, compile_flow
from kiosk.flow.lint import BundleInfo, Linter
from kiosk.flow.loader import Loaded, load_file
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
            out.extend(sorted(q for q in p.rglob("*.yaml") if is_flow_file(q)))
        elif p.exists() or p.suffix in (".yaml", ".yml", ".json"):
            out.append(p)
    return out


def find_root(flow_file: Path) -> Path:
    for parent in flow_file.resolve().parents:
        if (parent / CATALOG).is_file():
            return parent
    return flow_file.resolve().parent.parent


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
    if not path.is_file():
        return None
    try:
        return load_file(path, model.Catalog).doc
    except ProblemsError as exc:
        problems.extend(exc.problems)
        return None


def load_bundle(root: str | Path, only: list[Path] | None = None) -> Bundle:
    """Load, lint and compile every flow under root (or just `only`, with the rest as context)."""
    root = Path(root).resolve()
    bundle = Bundle(root)
    bundle.catalog = _load_catalog(root, bundle.problems)
    files = find_flow_files([root])[:MAX_FLOWS]
    loaded: dict[Path, Loaded] = {}
    for f in files:
        try:
            loaded[f] = load_file(f)
        except ProblemsError as exc:
            if only is None or f.resolve() in only:
                bundle.problems.extend(exc.problems)
    by_id: dict[str, Loaded] = {}
    for f, ld in loaded.items():
        if ld.doc.id in by_id:
            line, col = ld.located.where(("id",))
            bundle.problems.append(Problem(ld.file, line, col, "ref/duplicate-flow",
                                           f"flow id {ld.doc.id!r} is also used by {by_id[ld.doc.id].file}"))
        by_id.setdefault(ld.doc.id, ld)
    digest = hashlib.sha256()
    for f, ld in sorted(loaded.items()):
        digest.update(ld.sha256.encode())
        if only is not None and f.resolve() not in only:
            continue
        compiled, problems = check_flow(ld, by_id, bundle.catalog)
        bundle.problems.extend(problems)
        if not problems:
            bundle.flows[ld.doc.id] = compiled
    _drop_broken_dependents(bundle, by_id)
    bundle.sha256 = digest.hexdigest()
    bundle.problems.sort()
    return bundle


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


def check_flow(ld: Loaded, by_id: dict[str, Loaded], catalog: model.Catalog | None) -> tuple[CompiledFlow, list[Problem]]:
    flow: model.Flow = ld.doc
    folder = Path(ld.file).parent
    templates = documents.template_files(folder)
    info = BundleInfo(catalog, set(by_id), set(templates))
    problems = Linter(flow, ld.located, ld.file, info).run()
    scope = flow_scope(_subflows(flow, by_id))
    compiled, expr_problems = compile_flow(flow, ld.located, ld.file, ld.sha256, scope)
    problems += expr_problems
    used = {s.document for s in flow.steps if s.kind == "print"}
    for name in sorted(used & set(templates)):
        tmpl, tproblems = documents.load_template(templates[name], scope)
        problems += tproblems
        if tmpl is not None:
            compiled.documents[name] = tmpl
            step_printer = {s.printer for s in flow.steps if s.kind == "print" and s.document == name}
            if step_printer and tmpl.printer not in step_printer:
                problems.append(Problem(str(templates[name]), 1, 1, "ref/document-printer",
                                        f"{templates[name].name} is for the {tmpl.printer}, but a step prints it on the "
                                        f"{', '.join(sorted(step_printer))}"))
    return compiled, problems


def check_paths(paths: list[str | Path]) -> tuple[list[Problem], int]:
    """The linter's entry point: problems in the named files (or folders), and how many flows were read."""
    files = find_flow_files(paths)
    problems: list[Problem] = []
    for p in paths:
        if not Path(p).exists():
            problems.append(Problem(str(p), 1, 1, "io/missing", "no such file or directory"))
    by_root: dict[Path, list[Path]] = {}
    for f in files:
        if f.exists():
            by_root.setdefault(find_root(f), []).append(f.resolve())
    for root, only in by_root.items():
        problems.extend(load_bundle(root, only).problems)
    seen, unique = set(), []
    for p in sorted(problems):
        if (p.file, p.line, p.col, p.rule, p.message) not in seen:
            seen.add((p.file, p.line, p.col, p.rule, p.message))
            unique.append(p)
    return unique, len(files)
