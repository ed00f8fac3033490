"""Runs scenario files against their flows on simulated devices and a virtual clock.

Each scenario gets a fresh session, fresh twins and fresh stubs; inputs are
applied only when the engine has settled, so results never depend on timing.
After every scenario the trace and the log output are searched for the
card's name and ID number: finding them fails the scenario.
"""
from __future__ import annotations

import asyncio
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pydantic
import structlog

from kiosk import privacy
from kiosk.availability import availability
from kiosk.engine.actions import ALWAYS
from kiosk.engine.clock import VirtualClock
from kiosk.engine.ops import OpExecutor
from kiosk.engine.runner import SessionRunner
from kiosk.engine.session import Session
from kiosk.flow.bundle import Bundle, find_root, load_bundle
from kiosk.flow.loader import load_file
from kiosk.flow.problems import ProblemsError, did_you_mean
from kiosk.scenario import coverage, english
from kiosk.scenario.model import STEP_KEYS, Scenario, ScenarioFile
from kiosk.scenario.stubs import StubServices, StubState
from kiosk.scenario.twins import make_card, make_devices

SETTLE_ROUNDS = 200
KIOSK = {"id": "TEST01", "name": "测试终端", "hall": "示例政务服务中心"}  # proper nouns: allowed on English screens


@dataclass
class Outcome:
    file: str
    line: int
    name: str
    passed: bool
    message: str = ""
    views: list = field(default_factory=list)
    root: Path | None = None  # the bundle and flow the scenario ran, and what it reached there (for coverage)
    flow: str = ""
    reached: set = field(default_factory=set)

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        msg = f": {self.message}" if self.message else ""
        return f"{status} {self.file}:{self.line} {self.name}{msg}"


class Failure(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class ScenarioRun:
    def __init__(self, bundle: Bundle, flow_id: str, scenario: Scenario, located, index: int, file: str,
                 on_view=None, ui=None):
        self.bundle, self.flow_id, self.sc, self.located, self.index, self.file = bundle, flow_id, scenario, located, index, file
        self.ui = ui
        self.on_view = ui.on_view if ui is not None else on_view
        self.clock = VirtualClock()
        self.devices = make_devices()
        self.planted: set[str] = set()
        self.allowed_nouns: tuple[str, ...] = ()
        # a UI variant may start the visit in another language; the scenario's words are then not checked
        self.locale = getattr(ui, "locale", None) or scenario.locale
        self.words_checked = self.locale == scenario.locale

    def line(self, *path) -> int:
        return self.located.where(("scenarios", self.index) + path)[0]

    async def run(self) -> None:
        stubs = [StubState(s, self.line("stubs", i)) for i, s in enumerate(self.sc.stubs)]
        self.services = StubServices(stubs, self.clock)
        for device in self.devices.values():
            await device.open()
        for role, faults in self.sc.devices.items():
            for f in faults:
                self.devices[role].inject(f)
        self.check_available()
        self.executor = OpExecutor(self.devices, self.services)
        session = Session(self.bundle.flows, self.flow_id, session_id=f"test-{self.index:04d}-0000",
                          kiosk=dict(KIOSK),
                          locale=self.locale, elderly=self.sc.elderly,
                          clock=self.clock.monotonic, wallclock=self.clock.wallclock)
        self.session = session
        self.runner = SessionRunner(session, self.executor, self.clock, on_view=self.on_view)
        self.runner.start()
        await self.settle()
        self.check_english(self.line())
        pending_rejection: tuple[int, str] | None = None
        for i, step in enumerate(self.sc.steps):
            line = self.line("steps", i)
            if not isinstance(step, dict) or len(step) != 1 and not (len(step) == 2 and "source" in step):
                raise Failure(line, "each scenario step has exactly one key (plus an optional source)")
            key = next(k for k in step if k != "source")
            if pending_rejection and not (key == "expect" and isinstance(step[key], dict) and step[key].get("rejected")):
                raise Failure(*pending_rejection)
            pending_rejection = None
            rejected = await self.apply(key, step[key], step.get("source", "test"), line)
            self.check_english(line)
            if rejected:
                pending_rejection = (line, rejected)
        if pending_rejection:
            raise Failure(*pending_rejection)
        for s in stubs:
            if s.used == 0:
                raise Failure(s.line, f"stub for {s.stub.call} was never used")
            if s.used < s.stub.times:
                raise Failure(s.line, f"stub for {s.stub.call} answered {s.used} of its {s.stub.times} calls")
        if self.services.unexpected:
            raise Failure(self.line(), f"backend called without a stub: {', '.join(sorted(set(self.services.unexpected)))}")

    def check_english(self, line: int) -> None:
        """In an English run, each new view must read in English: Chinese fails here, with where it was. The run's
        language, not the scenario's: a UI variant may start an English scenario's visit in Chinese."""
        views, self._seen = self.runner.views[getattr(self, "_seen", 0):], len(self.runner.views)
        if self.locale != "en":
            return
        allowed = {v for v in KIOSK.values() if v} | set(self.allowed_nouns)
        for view in views:
            for where, chinese, text in english.untranslated(view, allowed):
                raise Failure(line, f"untranslated {chinese!r} on the English screen of step {view.step!r}, {where}: "
                              f"{_short(text)} (a code value needs a code table in services.yaml, a text its `en`)")

    def check_available(self) -> None:
        """A visit can only begin in a state the home screen would offer the item in."""
        if self.sc.mid_visit:
            return
        flow = self.bundle.flows[self.flow_id].flow
        statuses = {role: device.status for role, device in self.devices.items()}
        a = availability(flow, statuses, self.clock.wallclock())
        if not a.available:
            where = self.line("devices") if self.sc.devices else self.line()
            raise Failure(where, f"the home screen would not offer this item ({', '.join(a.reasons())}); inject the "
                          "fault with a `fault:` step once the visit is under way, or declare `mid_visit: true`")

    async def settle(self) -> None:
        """Let every op that can finish without time passing finish; no real time elapses."""
        quiet = 0
        for _ in range(SETTLE_ROUNDS):
            before = (len(self.runner.views), self.runner.running_ops)
            await asyncio.sleep(0)
            quiet = quiet + 1 if (len(self.runner.views), self.runner.running_ops) == before else 0
            if quiet >= 5:
                break
        if self.ui is not None:
            await self.ui.settled()

    async def advance(self, seconds: float) -> None:
        target = self.clock.now + seconds
        while self.clock.fire_next(target):
            await self.settle()
        self.clock.now = target
        await self.settle()

    async def apply(self, key: str, value, source: str, line: int) -> str | None:
        r = self.runner
        if key == "expect":
            self.check(Expectation.parse(value, line), line)
            return None
        if key == "card":
            card = make_card(value)
            if card is not None:
                self.planted |= {card.name, card.id_number, card.address}
                # the citizen's own proper nouns, whole or as screens mask them, may stay Chinese in English
                self.allowed_nouns += (privacy.mask_name(card.name), card.name, card.address, card.nation,
                                       card.authority)
            self.devices["id_reader"].insert_card(card)
        elif key == "scan":
            self.devices["code_scanner"].scan(str(value))
        elif key == "wait":
            await self.advance(float(value))
            return None
        elif key in ("fault", "clear"):
            for role, fault in dict(value).items():
                getattr(self.devices[role], "inject" if key == "fault" else "clear")(fault)
        elif key == "fault_after":
            for role, spec in dict(value).items():
                self.devices[role].inject_after(int(spec["jobs"]), spec["fault"])
        elif key == "help_answer":
            self.devices["help_panel"].answer = str(value)
        else:
            kind, arg = {"action": (value, None), "choose": ("choose", value), "submit": ("submit", value)}.get(
                key, (None, None))
            if kind is None:
                raise Failure(line, f"unknown scenario step {key!r}{did_you_mean(key, STEP_KEYS)}")
            if isinstance(arg, dict) and key == "submit":
                self.planted |= {str(v) for k, v in arg.items() if len(str(v)) >= 6}
            if self.ui is not None and source == "test":
                refused = await self.ui.perform(key, value, line)
                refused = refused and self.refusal(key, value, refused)
                await self.settle()
                return refused
            rejected = r.act(str(kind), arg, source)
            refused = rejected and self.refusal(key, value, rejected[0].reason)
            await self.settle()
            return refused or None
        await self.settle()
        return None

    def refusal(self, key: str, value, reason: str) -> str:
        """Which step refused which action, and what it would have taken instead."""
        shown = "{" + ", ".join(value) + "}" if isinstance(value, dict) else value  # field names, never values
        if self.runner.finished is not None:
            return f"the engine refused `{key}: {shown}`: {reason}"
        step = self.session.step
        return (f"the engine refused `{key}: {shown}` at step {step.id!r} (a {step.kind} step): {reason}; "
                f"it accepts {accepted_actions(step, self.runner.view)}")

    def check(self, exp: "Expectation", line: int) -> None:
        view = self.runner.view
        text = view.all_text() if view else ""
        fail = lambda msg: (_ for _ in ()).throw(Failure(line, msg))  # noqa: E731
        e = exp.e
        if e.step and view.step != e.step:
            fail(f"expected step {e.step!r}, at {view.step!r} ({self._why()})")
        for t in _list(e.text) if self.words_checked else ():
            if t not in text:
                fail(f"expected text {t!r} on screen; shown: {_short(text)}")
        for t in _list(e.no_text):  # what must not show (personal data) holds in every language
            if t in text:
                fail(f"text {t!r} must not be on screen")
        if e.ended and (self.runner.finished is None or self.runner.finished.result != e.ended):
            got = self.runner.finished.result if self.runner.finished else f"still at {view.step!r}"
            fail(f"expected the visit to end {e.ended}, got {got}")
        shown = view.ending if view is not None else None
        if e.ending and (shown is None or shown.outcome != e.ending):
            fail(f"expected the ending {e.ending!r}, " + (f"shown {shown.outcome!r}" if shown else "no ending shown"))
        if e.take is not None and (shown is None or list(shown.take) != e.take):
            fail(f"expected to be told to take {e.take}, told {list(shown.take) if shown else 'nothing'}")
        if e.printed is not None:
            self._check_printed(e.printed, fail)
        if e.not_printed and self.executor.printed:
            fail(f"expected nothing printed, {len(self.executor.printed)} document(s) were")
        if e.ticket is not None:
            if not self.executor.tickets or not re.fullmatch(e.ticket, self.executor.tickets[-1].number):
                got = self.executor.tickets[-1].number if self.executor.tickets else "none"
                fail(f"expected a ticket matching {e.ticket!r}, got {got}")
        if e.busy is not None and view.busy != e.busy:
            fail(f"expected busy={e.busy}")
        if e.idle_warning is not None and (view.idle_warning_s is not None) != e.idle_warning:
            fail(f"expected idle warning {'shown' if e.idle_warning else 'hidden'}")
        if e.option and e.option not in {o.id for o in view.options}:
            fail(f"expected option {e.option!r}; offered: {[o.id for o in view.options]}")
        if e.no_option and e.no_option in {o.id for o in view.options}:
            fail(f"option {e.no_option!r} must not be offered")
        if e.field_error and not next((f.error for f in view.fields if f.name == e.field_error), ""):
            fail(f"expected an error on field {e.field_error!r}")

    def _check_printed(self, spec: dict, fail) -> None:
        docs = self.executor.printed
        if "count" in spec and len(docs) != int(spec["count"]):
            fail(f"expected {spec['count']} printed document(s), got {len(docs)}")
        if not docs:
            fail("expected a printed document, none was printed")
        doc = docs[-1]
        if "printer" in spec and doc.printer != spec["printer"]:
            fail(f"expected it on the {spec['printer']}, it went to the {doc.printer}")
        for t in _list(spec.get("contains")) if self.words_checked else ():  # `lacks` (privacy) always holds
            if t not in doc.text:
                fail(f"printed document lacks {t!r}; it reads: {_short(doc.text)}")
        for t in _list(spec.get("lacks")):
            if t in doc.text:
                fail(f"printed document must not contain {t!r}")

    def _why(self) -> str:
        tail = [e for e in self.session.trace.entries if e["event"] in ("outcome", "fatal", "end")][-3:]
        return "; ".join(f"{e.get('step', '')} -> {e.get('outcome', e.get('result', e.get('detail', '')))}" for e in tail)

    def leaks(self, logged: str) -> list[str]:
        trace = json.dumps(self.session.trace.entries, ensure_ascii=False, default=str)
        found = []
        for value in self.planted:
            if value and (value in trace or value in logged):
                found.append("trace" if value in trace else "log")
        if any(str(v) for v in _flatten(self.session.vars.get("id"))) or self.session.vars.get("form"):
            if self.runner.finished is not None:
                found.append("session data after the visit ended")
        return found


def accepted_actions(step, view) -> str:
    """The scenario steps a step takes, written as a scenario would write them."""
    own = []
    options = [o.id for o in view.options] if view is not None else []
    if step.kind in ("choice", "show_result") and options:
        own.append("choose: " + " | ".join(options))
    if step.kind == "form":
        own.append("submit: {" + ", ".join(f.name for f in step.fields) + "}")
    if step.kind == "notice":
        own.append("action: agree | decline" if step.consent else "action: ok")
    if step.kind == "show_result":
        own.append("action: done")
    own += {"read_id_card": ["card: ..."], "scan_code": ["scan: ..."]}.get(step.kind, [])
    own.append("action: " + " | ".join(sorted(ALWAYS)))
    return "; ".join(own)


def _flatten(d):
    if isinstance(d, dict):
        for v in d.values():
            yield from _flatten(v)
    elif d:
        yield d


@dataclass
class Expectation:
    e: object

    @staticmethod
    def parse(value, line: int) -> "Expectation":
        from kiosk.scenario.model import Expect

        try:
            return Expectation(Expect.model_validate(value))
        except pydantic.ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(map(str, err["loc"]))
            if err["type"] == "extra_forbidden":
                raise Failure(line, f"unknown expectation {where!r}{did_you_mean(where, Expect.model_fields)}") from None
            raise Failure(line, f"bad expectation: {where}: {err['msg']}") from None


def _list(v) -> list[str]:
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def _short(text: str) -> str:
    return repr(text.replace("\n", " | ")[:160])


def is_test_file(p: Path) -> bool:
    return p.is_file() and p.name.endswith(".test.yaml")


def find_tests(paths) -> list[Path]:
    out = []
    for raw in paths:
        p = Path(raw)
        out += sorted(q for q in p.rglob("*.test.yaml")) if p.is_dir() else [p]
    return out


def run_file(path: Path, bundles: dict, on_view_factory=None) -> list[Outcome]:
    return asyncio.run(run_file_async(path, bundles, on_view_factory))


async def run_file_async(path: Path, bundles: dict, on_view_factory=None, ui=None) -> list[Outcome]:
    name = str(path)
    try:
        loaded = load_file(path, ScenarioFile)
    except ProblemsError as exc:
        return [Outcome(p.file, p.line, "(file)", False, f"{p.rule}: {p.message}") for p in exc.problems]
    root = find_root(path)
    if root not in bundles:
        bundles[root] = load_bundle(root)
    bundle = bundles[root]
    doc: ScenarioFile = loaded.doc
    if doc.flow not in bundle.flows:
        bad = [p for p in bundle.problems if Path(p.file).parent == path.parent.resolve()]
        reason = f"flow {doc.flow!r} did not load" + (f": {bad[0]}" if bad else "")
        return [Outcome(name, loaded.located.where(("flow",))[0], "(file)", False, reason)]
    results = []
    for i, sc in enumerate(doc.scenarios):
        outcome = await _run_one(bundle, doc.flow, sc, loaded.located, i, name, on_view_factory, ui)
        outcome.root, outcome.flow = root, doc.flow
        results.append(outcome)
    return results


async def _run_one(bundle, flow_id, sc, located, i, name, on_view_factory, ui=None) -> Outcome:
    on_view = on_view_factory(sc, i) if on_view_factory else None
    run = ScenarioRun(bundle, flow_id, sc, located, i, name, on_view, ui)
    if ui is not None:
        ui.attach(run, flow_id, i)
    line = located.where(("scenarios", i))[0]
    logged = io.StringIO()
    try:
        with structlog.testing.capture_logs() as captured:
            await run.run()
        logged.write(json.dumps(captured, ensure_ascii=False, default=str))
        leaks = run.leaks(logged.getvalue())
        if leaks:
            outcome = Outcome(name, line, sc.name, False, f"personal data found in {', '.join(sorted(set(leaks)))}")
        else:
            outcome = Outcome(name, line, sc.name, True, views=run.runner.views)
    except Failure as f:
        outcome = Outcome(name, f.line, sc.name, False, f.message)
    finally:
        if getattr(run, "runner", None):
            run.runner._shutdown()
    if getattr(run, "session", None):
        outcome.reached = coverage.reached(run.session.trace.entries)
    return outcome
