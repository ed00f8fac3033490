"""Where personal data may go: the privacy rules of the linter.

Every interpolation carries a privacy label from the expression checker
(kiosk.expr.types.Label), so a value computed from personal data is personal
wherever it ends up. These rules name each place a value can reach and say
which labels may reach it:

* screens (titles, texts, voice, options, result items): masked form only.
  reveal() is refused (screens are seen by others and mirrored to help-desk
  staff), and so is a derived value, which has no masked form (it would show
  as ***, and is how masking gets beaten: one digit at a time);
* receipts and tickets: nothing personal, masked or not (thermal slips are
  left behind in trays; a ticket's service name also goes to the hall queue
  system, which no service declaration covers);
* idempotency keys: nothing personal (they are logged, kept in the local
  queue database and sent as Idempotency-Key or request id to devices and
  backends other than the step's own);
* a call's request: personal data only in the fields the operation declares
  in services.yaml (``personal: [...]``), and never to a GET operation, whose
  request goes in the URL query (proxy and server logs);
* an A4 document: personal values only if every step that prints it
  declares ``personal: true``; only there does reveal() print a value whole.

Guards (branch conditions, option visibility) may read personal data: they
decide which step comes next and show nothing themselves.
"""
from __future__ import annotations

from collections.abc import Iterator

from kiosk.documents.templates import DocumentTemplate, spots
from kiosk.expr import Mask, Template
from kiosk.flow import model
from kiosk.flow.compile import CompiledFlow, locate
from kiosk.flow.problems import Problem
from kiosk.flow.yamlsafe import Located, format_path

NOT_SCREENS = frozenset({"request", "idempotency_key", "service_name", "when", "case"})


class PrivacyRules:
    def __init__(self, compiled: CompiledFlow, located: Located, catalog: model.Catalog | None):
        self.cf, self.located, self.catalog = compiled, located, catalog
        self.steps = {s.id: s for s in compiled.flow.steps}

    def run(self) -> list[Problem]:
        out: list[Problem] = []
        for key, tmpl in self.cf.exprs.items():
            if isinstance(tmpl, Template):
                out.extend(self._template(key, tmpl))
        out.extend(self._revealed_items())
        out.extend(self._print_steps())
        return out

    def _problem(self, key: tuple, offset: int, rule: str, message: str) -> Problem:
        path, source = self.cf.sources[key]
        line, col = locate(self.located, path, source, offset)
        return Problem(self.cf.file, line, col, rule, message, path=format_path(path))

    def _template(self, key: tuple, tmpl: Template) -> Iterator[Problem]:
        what = key[1]
        for offset, part in tmpl.spots:
            lb = part.label
            if lb.public:
                continue
            src = part.source.strip()
            if what == "idempotency_key":
                yield self._problem(key, offset, "pii/idempotency-key",
                                    f"{src!r} is personal; an idempotency key is logged, stored in the local queue "
                                    "database and sent to devices and backends: use session.id")
            elif what == "service_name":
                yield self._problem(key, offset, "pii/on-ticket",
                                    f"{src!r} is personal; a ticket and the hall queue system get no personal data")
            elif what == "request":
                yield from self._request(key, offset, src)
            elif what not in NOT_SCREENS:
                yield from self._screen(key, offset, src, lb)

    def _screen(self, key: tuple, offset: int, src: str, lb) -> Iterator[Problem]:
        if lb.reveals:
            yield self._problem(key, offset, "pii/reveal-on-screen",
                                f"{src!r}: reveal() is not allowed on a screen (seen by others, mirrored to the "
                                "help desk); screens show personal data masked")
        elif lb.mask == Mask.HIDE:
            yield self._problem(key, offset, "pii/derived-on-screen",
                                f"{src!r} is personal and has no masked form (it would show as ***); a value "
                                "computed from personal data is personal: show the declared value, or branch on it")

    def _request(self, key: tuple, offset: int, src: str) -> Iterator[Problem]:
        step = self.steps[key[0]]
        field = key[2]
        op = self._operation(step.call)
        if op is None:
            return  # ref/unknown-* already says why
        if op.method == "GET":
            yield self._problem(key, offset, "pii/get-query",
                                f"{src!r} is personal, and {step.call} is a GET operation: its request goes in the "
                                "URL query, which proxies and servers log; make the operation a POST")
        elif field not in op.personal:
            declared = ", ".join(op.personal) or "none"
            yield self._problem(key, offset, "pii/undeclared-service",
                                f"{src!r} is personal, but {step.call} does not declare {field!r} among the fields "
                                f"that may carry personal data (services.yaml `personal:`; declared: {declared})")

    def _operation(self, ref: str) -> model.Operation | None:
        svc, _, op = ref.partition(".")
        service = self.catalog.services.get(svc) if self.catalog else None
        return service.operations.get(op) if service else None

    def _revealed_items(self) -> Iterator[Problem]:
        for i, step in enumerate(self.cf.flow.steps):
            for j, item in enumerate(getattr(step, "items", None) or []):
                tmpl = self.cf.exprs.get((step.id, "item_value", j))
                if item.reveal and isinstance(tmpl, Template) and not all(p.label.public for _, p in tmpl.spots):
                    line, col = self.located.where(("steps", i, "items", j, "reveal"))
                    yield Problem(self.cf.file, line, col, "pii/reveal-on-screen",
                                  "`reveal: true` on a screen: personal data is shown masked on screens",
                                  path=format_path(("steps", i, "items", j, "reveal")))

    def _print_steps(self) -> Iterator[Problem]:
        for i, step in enumerate(self.cf.flow.steps):
            if step.kind == "print" and step.personal and step.printer == "receipt_printer":
                line, col = self.located.where(("steps", i, "personal"))
                yield Problem(self.cf.file, line, col, "pii/on-receipt",
                              "a receipt never carries personal data; `personal: true` is for A4 documents",
                              path=format_path(("steps", i, "personal")))


def document_problems(tmpl: DocumentTemplate, steps: list[model.Print]) -> list[Problem]:
    """A template's personal values against the steps that print it; sets ``may_reveal`` for the renderer."""
    undeclared = sorted(s.id for s in steps if not s.personal)
    tmpl.may_reveal = tmpl.kind == "html" and bool(steps) and not undeclared
    out: list[Problem] = []
    for line, col, part in spots(tmpl):
        if part.label.public:
            continue
        src = part.source.strip()
        if tmpl.kind == "receipt":
            out.append(Problem(tmpl.file, line, col, "pii/on-receipt",
                               f"{src!r} is personal; a receipt is left behind in trays and carries no personal "
                               "data, masked or not"))
        elif undeclared:
            out.append(Problem(tmpl.file, line, col, "pii/undeclared-document",
                               f"{src!r} is personal, but step {', '.join(undeclared)} prints this document without "
                               "declaring `personal: true`"))
    return out


def catalog_problems(catalog: model.Catalog, located: Located, file: str) -> Iterator[Problem]:
    for name, service in catalog.services.items():
        for table, entries in service.codes.items():
            for code, texts in entries.items():
                missing = [loc for loc in model.LOCALES if not (texts.get(loc) or "").strip()]
                if missing:
                    path = ("services", name, "codes", table, code)
                    line, col = located.where(path)
                    yield Problem(file, line, col, "i18n/missing-locale", f"code {code!r} of {name}.{table} has "
                                  f"no {', '.join(missing)} text", path=format_path(path))
        for op_name, op in service.operations.items():
            if op.method == "GET" and op.personal:
                path = ("services", name, "operations", op_name, "personal")
                line, col = located.where(path)
                yield Problem(file, line, col, "pii/get-query",
                              f"{name}.{op_name} is a GET operation: its request goes in the URL query, which "
                              "proxies and servers log, so it may take no personal fields", path=format_path(path))
