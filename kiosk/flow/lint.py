"""Semantic rules over a schema-valid flow: graph, outcomes, timeouts, retries, references, i18n.

Each rule yields problems with a rule id and a location; nothing here
raises. Expression rules live in :mod:`kiosk.flow.compile`, which the
linter runs as well, so a flow that lints clean also compiles.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from kiosk.flow import model
from kiosk.flow.outcomes import (DEVICE_DOWN, ERRORS, INTERACTIVE, MUST_TIME_OUT, all_texts, device_needed, next_map,
                                 outcomes, targets)
from kiosk.flow.problems import Problem, did_you_mean
from kiosk.flow.yamlsafe import Located, format_path


@dataclass
class BundleInfo:
    """What a flow may refer to outside itself."""

    catalog: model.Catalog | None = None
    flow_ids: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)  # document template names beside this flow


SECRET_KEY = re.compile(r"(?i)(authorization|password|passwd|secret|token|api[_-]?key)")
SECRET_VALUE = re.compile(r"(?i)(bearer\s+[a-z0-9._-]{8,}|basic\s+[a-z0-9+/=]{8,}|sk-[a-z0-9]{16,}|://[^/\s:@]+:[^/\s@]+@)")


class Linter:
    def __init__(self, flow: model.Flow, located: Located, file: str, bundle: BundleInfo):
        self.flow, self.located, self.file, self.bundle = flow, located, file, bundle
        self.ids = [s.id for s in flow.steps]
        self.by_id = {s.id: s for s in flow.steps}
        self.index = {s.id: i for i, s in reversed(list(enumerate(flow.steps)))}

    def problem(self, path: tuple, rule: str, message: str, *, key: bool = False, severity: str = "error") -> Problem:
        line, col = self.located.key_where(path) if key else self.located.where(path)
        return Problem(self.file, line, col, rule, message, severity, format_path(path))

    def step_path(self, step_id: str, *rest) -> tuple:
        return ("steps", self.index[step_id]) + rest

    def run(self) -> list[Problem]:
        out: list[Problem] = []
        for rule in (self.duplicate_steps, self.references, self.outcome_routing, self.timeouts,
                     self.reachability, self.cycles, self.retries, self.devices, self.services,
                     self.translations, self.secrets):
            out.extend(rule())
        return out

    # ---------------------------------------------------------------- rules
    def duplicate_steps(self) -> Iterator[Problem]:
        seen: set[str] = set()
        for i, step in enumerate(self.flow.steps):
            if step.id in seen:
                yield self.problem(("steps", i, "id"), "ref/duplicate-step", f"step id {step.id!r} is used twice")
            seen.add(step.id)

    def _ref(self, target: str, path: tuple) -> Iterator[Problem]:
        if target not in self.by_id:
            yield self.problem(path, "ref/unknown-step", f"no step {target!r}{did_you_mean(target, self.ids)}")

    def references(self) -> Iterator[Problem]:
        for name in ("start", "on_error", "on_cancel"):
            target = getattr(self.flow, name)
            if target:
                yield from self._ref(target, (name,))
        for i, step in enumerate(self.flow.steps):
            nxt = step.next
            if isinstance(nxt, str):
                yield from self._ref(nxt, ("steps", i, "next"))
            elif isinstance(nxt, dict):
                valid = outcomes(step)
                for outcome, target in nxt.items():
                    if outcome not in valid:
                        yield self.problem(("steps", i, "next", outcome), "outcome/unknown",
                                           f"a {step.kind} step has no outcome {outcome!r}"
                                           f"{did_you_mean(outcome, valid)}; it has {', '.join(valid) or 'none'}",
                                           key=True)
                    yield from self._ref(target, ("steps", i, "next", outcome))
            if step.kind == "branch":
                for j, case in enumerate(step.cases):
                    yield from self._ref(case.next, ("steps", i, "cases", j, "next"))
                yield from self._ref(step.default, ("steps", i, "default"))
            if step.kind == "end" and step.next is not None:
                yield self.problem(("steps", i, "next"), "outcome/unknown", "an end step has no outcomes to route")

    def outcome_routing(self) -> Iterator[Problem]:
        for i, step in enumerate(self.flow.steps):
            if step.kind in ("end", "branch"):
                continue
            routed = next_map(step)
            missing = [o for o in outcomes(step) if o not in routed
                       and not (o in ERRORS and self.flow.on_error) and o != "timeout"]
            if missing:
                yield self.problem(("steps", i, "id"), "graph/dead-end",
                                   f"step {step.id!r} has no branch for {', '.join(missing)}"
                                   + ("" if self.flow.on_error else " (and the flow declares no on_error catch-all)"))

    def timeouts(self) -> Iterator[Problem]:
        for i, step in enumerate(self.flow.steps):
            if step.kind in MUST_TIME_OUT and step.timeout_s is None:
                yield self.problem(("steps", i, "id"), "timeout/missing",
                                   f"a {step.kind} step waits and must declare timeout_s")
            if step.timeout_s is not None and "timeout" not in next_map(step):
                yield self.problem(("steps", i, "timeout_s"), "timeout/missing-branch",
                                   f"step {step.id!r} times out after {step.timeout_s}s but has no `timeout` branch in next")

    def _start(self) -> str:
        return self.flow.start or self.flow.steps[0].id

    def _resolve(self, target: str | None) -> str | None:
        """A broken reference counts as the step it most likely meant, so a typo is one error, not a cascade."""
        if target is None or target in self.by_id:
            return target
        guess = difflib.get_close_matches(target, self.ids, n=1, cutoff=0.6)
        return guess[0] if guess else None

    def reachability(self) -> Iterator[Problem]:
        roots = [self._start(), self.flow.on_error, self.flow.on_cancel]
        seen: set[str] = set()
        stack = [self._resolve(r) for r in roots]
        guessing = any(r is not None and self._resolve(r) is None for r in roots)
        while stack:
            sid = stack.pop()
            if sid is None or sid in seen:
                continue
            seen.add(sid)
            for t in targets(self.by_id[sid]):
                stack.append(self._resolve(t))
                guessing |= self._resolve(t) is None
        if not guessing:  # a reference to nowhere: what lies behind it is unknown until it is fixed
            for i, step in enumerate(self.flow.steps):
                if step.id not in seen:
                    yield self.problem(("steps", i, "id"), "graph/unreachable",
                                       f"step {step.id!r} can never be reached")
        if not any(s.kind == "end" for s in self.flow.steps):
            yield self.problem(("steps",), "graph/no-end", "the flow has no end step", key=True)

    def cycles(self) -> Iterator[Problem]:
        """A loop nobody has to act in would spin forever (call -> branch -> call)."""
        auto = {s.id for s in self.flow.steps if s.kind not in INTERACTIVE}
        graph = {sid: [t for t in targets(self.by_id[sid]) if t in auto] for sid in auto}
        for comp in _sccs(graph):
            if len(comp) > 1 or comp[0] in graph[comp[0]]:
                first = min(comp, key=self.index.__getitem__)
                yield self.problem(self.step_path(first, "id"), "graph/unbounded-cycle",
                                   f"steps {', '.join(sorted(comp))} form a loop in which the citizen never acts")

    def retries(self) -> Iterator[Problem]:
        for i, step in enumerate(self.flow.steps):
            retry = getattr(step, "retry", None)
            if retry is None or retry.max_attempts == 1:
                continue
            if step.kind == "call":
                op = self._operation(step.call)
                if op is not None and not op.idempotent and step.idempotency_key is None:
                    yield self.problem(("steps", i, "retry"), "retry/non-idempotent",
                                       f"{step.call} changes state; retrying it needs an idempotency_key")
            elif step.kind in ("print", "dispense_ticket") and step.idempotency_key is None:
                yield self.problem(("steps", i, "retry"), "retry/non-idempotent",
                                   f"a {step.kind} step may print twice on retry; declare an idempotency_key")

    def devices(self) -> Iterator[Problem]:
        required, optional = set(self.flow.requires), set(self.flow.optional)
        for j, role in enumerate(self.flow.optional):
            if role in required:
                yield self.problem(("optional", j), "device/required-and-optional",
                                   f"the {role} is in both `requires` and `optional`; an item either needs it or not")
        used = set()
        for i, step in enumerate(self.flow.steps):
            dev = device_needed(step)
            used.add(dev)
            if dev and dev not in required | optional:
                yield self.problem(("steps", i, "kind"), "device/not-required",
                                   f"step {step.id!r} uses the {dev} but the flow lists it in neither `requires` "
                                   "nor `optional`")
            elif dev in optional - required and self.flow.on_error is not None:  # without it: graph/dead-end
                routed = next_map(step)
                missing = [o for o in DEVICE_DOWN.get(step.kind, ()) if o not in routed]
                if missing:
                    where = ("steps", i, "next") if step.next is not None else ("steps", i, "kind")
                    yield self.problem(where, "device/optional-unrouted",
                                       f"step {step.id!r} leaves {', '.join(repr(o) for o in missing)} to the "
                                       f"flow's on_error; the {dev} is optional, so route each to a step that "
                                       "goes on without it")
        for j, role in enumerate(self.flow.optional):
            if role not in used:
                yield self.problem(("optional", j), "device/unused", f"no step uses the optional {role}",
                                   severity="warning")

    def _operation(self, ref: str) -> model.Operation | None:
        if self.bundle.catalog is None:
            return None
        svc, _, op = ref.partition(".")
        service = self.bundle.catalog.services.get(svc)
        return service.operations.get(op) if service else None

    def services(self) -> Iterator[Problem]:
        for i, step in enumerate(self.flow.steps):
            if step.kind == "call":
                path = ("steps", i, "call")
                svc, _, op = step.call.partition(".")
                if self.bundle.catalog is None:
                    yield self.problem(path, "ref/unknown-service", "no services.yaml found for this bundle")
                elif svc not in self.bundle.catalog.services:
                    yield self.problem(path, "ref/unknown-service", f"no service {svc!r} in services.yaml"
                                       f"{did_you_mean(svc, self.bundle.catalog.services)}")
                elif op not in self.bundle.catalog.services[svc].operations:
                    ops = self.bundle.catalog.services[svc].operations
                    yield self.problem(path, "ref/unknown-operation",
                                       f"service {svc!r} has no operation {op!r}{did_you_mean(op, ops)}")
                yield from self._codes(i, step)
            elif step.kind == "subflow":
                if step.flow not in self.bundle.flow_ids:
                    yield self.problem(("steps", i, "flow"), "ref/unknown-flow",
                                       f"no flow {step.flow!r} in the bundle{did_you_mean(step.flow, self.bundle.flow_ids)}")
                elif step.flow == self.flow.id:
                    yield self.problem(("steps", i, "flow"), "graph/subflow-cycle", "a flow cannot run itself")
            elif step.kind == "print" and self.bundle.documents is not None:
                if step.document not in self.bundle.documents:
                    yield self.problem(("steps", i, "document"), "ref/unknown-document",
                                       f"no template {step.document!r} beside the flow"
                                       f"{did_you_mean(step.document, self.bundle.documents)}")

    def _codes(self, i: int, step) -> Iterator[Problem]:
        """A result field's code table must exist (a typo would show raw codes to every English reader)."""
        catalog = self.bundle.catalog
        for name, spec in step.result.items():
            ref = spec.code_table(step.call)
            if ref is None or catalog is None:
                continue
            path = ("steps", i, "result", name, "codes")
            svc, table = ref
            service = catalog.services.get(svc)
            if service is None:
                yield self.problem(path, "ref/unknown-codes", f"no service {svc!r} in services.yaml"
                                   f"{did_you_mean(svc, catalog.services)}")
            elif table not in service.codes:
                yield self.problem(path, "ref/unknown-codes", f"service {svc!r} declares no code table {table!r}"
                                   f"{did_you_mean(table, service.codes)}")
            elif spec.type not in ("string", "int"):
                yield self.problem(path, "ref/unknown-codes", f"codes translate text or whole numbers, not {spec.type}")
            elif spec.privacy != model.PrivacyClass.PUBLIC:
                yield self.problem(path, "pii/personal-codes", f"a {spec.privacy} field cannot be a code: code "
                                   "values are listed in services.yaml and logged when unknown, so they are public")

    def translations(self) -> Iterator[Problem]:
        for path, text in all_texts(self.flow):
            missing = [loc for loc in self.flow.locales if not (text.get(loc) or "").strip()]
            if missing:
                yield self.problem(path, "i18n/missing-locale", f"no {', '.join(missing)} text")

    def secrets(self) -> Iterator[Problem]:
        for i, step in enumerate(self.flow.steps):
            for key, value in (getattr(step, "request", None) or {}).items():
                if SECRET_KEY.search(key) or SECRET_VALUE.search(value):
                    yield self.problem(("steps", i, "request", key), "secret/literal",
                                       "credentials never go in flows; configure them for the service")


def _sccs(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative so that a big flow cannot recurse deeply."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    out.append(comp)
    return out
