"""Compile a validated flow: every expression, template and pattern, once, at load.

Errors become located problems (rule ``expr/*``); a flow that compiles can
only fail at run time by evaluating to nothing, which guards treat as false.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiosk.expr import ExprError, ExprType, Loop, Scope, compile_expr, compile_loop, compile_template
from kiosk.expr.regex import PatternError, compile_safe
from kiosk.flow import model
from kiosk.flow.outcomes import SEEN, next_map, primary
from kiosk.flow.problems import Problem
from kiosk.flow.yamlsafe import Located, format_path



@dataclass
class CompiledFlow:
    flow: model.Flow
    file: str
    sha256: str
    folder: Path
    scope: Scope
    exprs: dict[tuple, object] = field(default_factory=dict)  # (step id, what, ...) -> Compiled or Template
    patterns: dict[tuple, object] = field(default_factory=dict)  # kiosk.expr.regex.SafePattern
    documents: dict[str, "object"] = field(default_factory=dict)  # name -> kiosk.documents.templates.DocumentTemplate
    steps_left: dict[str, int] = field(default_factory=dict)  # step id -> seen steps after it (steps_left())
    sources: dict[tuple, tuple] = field(default_factory=dict)  # exprs key -> (path in the file, source text)

    @property
    def id(self) -> str:
        return self.flow.id

    def step(self, step_id: str):
        return self._steps[step_id]

    def __post_init__(self):
        self._steps = {s.id: s for s in self.flow.steps}

    def start_step(self) -> str:
        return self.flow.start or self.flow.steps[0].id


class Compiler:
    def __init__(self, flow: model.Flow, located: Located, file: str, scope: Scope):
        self.flow, self.located, self.file, self.scope = flow, located, file, scope
        self.problems: list[Problem] = []
        self.exprs: dict[tuple, object] = {}
        self.patterns: dict[tuple, object] = {}
        self.sources: dict[tuple, tuple] = {}

    def _error(self, path: tuple, source: str, exc: ExprError) -> None:
        line, col = locate(self.located, path, source, exc.offset)
        hint = f" (did you mean {exc.suggestion!r}?)" if exc.suggestion else ""
        self.problems.append(Problem(self.file, line, col, exc.rule, exc.message + hint, path=format_path(path)))

    def guard(self, key: tuple, path: tuple, source: str) -> None:
        self.sources[key] = (path, source)
        try:
            self.exprs[key] = compile_expr(source, self.scope, expect=ExprType.BOOL)
        except ExprError as exc:
            self._error(path, source, exc)

    def template(self, key: tuple, path: tuple, source: str, scope: Scope | None = None) -> None:
        self.sources[key] = (path, source)
        try:
            self.exprs[key] = compile_template(source, scope or self.scope)
        except ExprError as exc:
            self._error(path, source, exc)

    def text(self, key: tuple, path: tuple, text: dict | None, scope: Scope | None = None) -> None:
        for locale, source in (text or {}).items():
            self.template(key + (locale,), path + (locale,), source, scope)

    def item(self, sid: str, j: int, path: tuple, item) -> None:
        """A show_result row, or with ``for_each`` a row per item: label and value see the item, ``empty`` not."""
        scope = self.scope
        if item.for_each:
            key = (sid, "item_each", j)
            self.sources[key] = (path + ("for_each",), item.for_each)
            try:
                name, iterable, scope = compile_loop(item.for_each, self.scope)
                self.exprs[key] = Loop(name, iterable, ())
            except ExprError as exc:
                self._error(path + ("for_each",), item.for_each, exc)
                return
            self.text((sid, "item_empty", j), path + ("empty",), item.empty)
        elif item.empty:
            line, col = self.located.key_where(path + ("empty",))
            self.problems.append(Problem(self.file, line, col, "tmpl/loop", "`empty:` belongs to a `for_each:` item",
                                         path=format_path(path + ("empty",))))
        self.text((sid, "item_label", j), path + ("label",), item.label, scope)
        self.template((sid, "item_value", j), path + ("value",), item.value, scope)

    def results(self, path: tuple, fields: dict) -> None:
        """``items:`` describes a list's items and ``fields:`` a map's; anywhere else they would be ignored."""
        for name, r in fields.items():
            for key, kind in (("items", "list"), ("fields", "map")):
                if getattr(r, key) is not None and r.type != kind:
                    line, col = self.located.key_where(path + (name, key))
                    self.problems.append(Problem(
                        self.file, line, col, "result/shape", f"`{key}:` describes a {kind}, but {name!r} has "
                        f"type {r.type}; add `type: {kind}`", path=format_path(path + (name, key))))
            self.results(path + (name, "items"), r.items or {})
            self.results(path + (name, "fields"), r.fields or {})

    def pattern(self, key: tuple, path: tuple, source: str | None) -> None:
        """Patterns run on citizen input: compiled for a matcher that cannot backtrack (no ReDoS)."""
        if source is None:
            return
        try:
            self.patterns[key] = compile_safe(source)
        except PatternError as exc:
            line, col = self.located.where(path)
            self.problems.append(Problem(self.file, line, col, "expr/regex", f"bad pattern: {exc}", path=format_path(path)))

    def run(self) -> None:
        f = self.flow
        self.text(("", "title"), ("title",), f.title)
        self.text(("", "description"), ("description",), f.description)
        for i, step in enumerate(f.steps):
            base = ("steps", i)
            sid = step.id
            for name in ("title", "text", "text_short", "speak", "consent", "service_name"):
                self.text((sid, name), base + (name,), getattr(step, name, None))
            for j, opt in enumerate(getattr(step, "options", None) or []):
                self.text((sid, "option", opt.id), base + ("options", j, "label"), opt.label)
                if opt.when:
                    self.guard((sid, "when", opt.id), base + ("options", j, "when"), opt.when)
            for j, fld in enumerate(getattr(step, "fields", None) or []):
                self.text((sid, "field", fld.name), base + ("fields", j, "label"), fld.label)
                self.text((sid, "help", fld.name), base + ("fields", j, "help"), fld.help)
                self.pattern((sid, "pattern", fld.name), base + ("fields", j, "pattern"), fld.pattern)
                for k, c in enumerate(fld.choices or []):
                    self.text((sid, "choice", fld.name, c.id), base + ("fields", j, "choices", k, "label"), c.label)
            for j, item in enumerate(getattr(step, "items", None) or []):
                self.item(sid, j, base + ("items", j), item)
            if step.kind == "call":
                self.results(base + ("result",), step.result)
            for j, case in enumerate(getattr(step, "cases", None) or []):
                self.guard((sid, "case", j), base + ("cases", j, "when"), case.when)
            for key, source in (getattr(step, "request", None) or {}).items():
                self.template((sid, "request", key), base + ("request", key), source)
            if getattr(step, "idempotency_key", None):
                self.template((sid, "idempotency_key"), base + ("idempotency_key",), step.idempotency_key)
            if step.kind == "scan_code":
                self.pattern((sid, "pattern"), base + ("pattern",), step.pattern)


def locate(located: Located, path: tuple, source: str, offset: int) -> tuple[int, int]:
    """The line and column of ``offset`` inside the YAML scalar at ``path`` (plain, quoted or block)."""
    line, col = located.where(path)
    style = located.styles.get(path)
    if style in ("|", ">"):
        before = source[:offset]
        return line + 1 + before.count("\n"), col + 2 + (len(before) - before.rfind("\n") - 1 if "\n" in before else offset)
    return line, col + offset + (1 if style in ("'", '"') else 0)


def forward(step) -> list[str]:
    """Where the step goes when nothing fails: every case of a branch, every option of a choice."""
    routes = next_map(step)
    if step.kind == "branch":
        return [c.next for c in step.cases] + [step.default]
    outs = [o.id for o in getattr(step, "options", None) or []] + [primary(step)]
    return [routes[o] for o in outs if o in routes]


def steps_left(flow: model.Flow) -> dict[str, int]:
    """For the progress indicator: how few steps the citizen still sees from each step to a completed end.

    Steps that cannot reach a completed end without a failure (an apology,
    a referral to a counter) are absent: they show no progress. Branches
    count for nothing, whichever way they go, so adding one never hides the
    indicator; the visit's own count of steps seen comes from the session.
    """
    by_id = {s.id: s for s in flow.steps}
    into: dict[str, list[str]] = {sid: [] for sid in by_id}
    for step in flow.steps:
        for target in forward(step):
            if target in into:
                into[target].append(step.id)
    left = {s.id: 0 for s in flow.steps if s.kind == "end" and s.result == "completed"}
    queue = sorted(left)
    while queue:  # Bellman-Ford over a few hundred steps at most: fewest seen steps to a completed end
        nxt = []
        for sid in queue:
            cost = left[sid] + (1 if by_id[sid].kind in SEEN else 0)
            for prev in into[sid]:
                if cost < left.get(prev, len(by_id) + 1):
                    left[prev] = cost
                    nxt.append(prev)
        queue = nxt
    return left


def compile_flow(flow: model.Flow, located: Located, file: str, sha256: str, scope: Scope) -> tuple[CompiledFlow, list[Problem]]:
    c = Compiler(flow, located, file, scope)
    c.run()
    compiled = CompiledFlow(flow, file, sha256, Path(file).parent, scope, c.exprs, c.patterns, {}, steps_left(flow),
                            c.sources)
    return compiled, c.problems
