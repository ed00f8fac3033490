"""The demo backend's citizens and replies, as data: `demo.yaml` files in a flow bundle.

An integrator adding an item writes its demo replies beside its flow
(``flows/<item>/demo.yaml``) and `make demo` answers them, with no Python
to edit; a ``demo.yaml`` beside ``services.yaml`` may name more fictitious
citizens for every file to use. Only the demo backend and the linter read
these files: a kiosk never does (kiosk.flow.bundle does not look for them),
so a broken one can never keep a kiosk's flows from loading.

Files are untrusted input like flows: read with the safe YAML loader and
validated with located problems; a file with problems is left out whole and
the others still answer.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field, StringConstraints

from devices.id_reader.sample_cards import SAMPLE_CARDS
from kiosk.backend.reply import decode
from kiosk.flow import model
from kiosk.flow.loader import schema_problems
from kiosk.flow.problems import Problem, ProblemsError, did_you_mean
from kiosk.flow.yamlsafe import Located, YamlProblem, format_path, load

DEMO_FILE = "demo.yaml"
FORMAT_VERSION = 1
NOT_FOUND = {"ok": False, "error": {"code": "not_found"}}

OpRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]
IdNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{15,18}$")]
CitizenKey = Annotated[str, StringConstraints(pattern=r"^([a-z][a-z0-9_]{0,47}|[0-9A-Z]{15,18})$")]


class Reply(model.Strict):
    """One answer: the agreed envelope, or a failure the transport shows; either may come late."""

    ok: bool | None = Field(default=None, description="The envelope: true with `data`, false with `error`.")
    data: dict | None = Field(default=None, description="What an ok reply carries; call steps read their result from it.")
    error: dict | None = Field(default=None, description="{code: not_found}: an error reply's code.")
    delay_s: float = Field(default=0, ge=0, le=600, description="Answer this late (longer than the step's timeout_s "
                           "shows the timeout branch).")
    fail: Literal["unavailable", "timeout", "garbage"] | None = Field(
        default=None, description="Instead of an envelope: HTTP 503, no answer at all, or a page that is not JSON.")

    def mismatch(self) -> str | None:
        """Why this is not a reply the kiosk would accept from a real backend, or None."""
        if self.fail is not None:
            if self.ok is not None or self.data is not None or self.error is not None:
                return "a reply with `fail` sends no envelope: drop ok, data and error"
            return None
        if self.ok is None:
            return "a reply needs `ok: true` with `data`, `ok: false` with `error: {code: ...}`, or `fail`"
        outcome, _, detail = decode(200, json.dumps(self.envelope()).encode())
        if outcome == "error":  # decided by the kiosk's own reading of replies
            return (f"not the agreed envelope: {detail} (ok: true needs a `data` mapping; ok: false needs "
                    "`error: {code: ...}`, a code of letters, digits or _)")
        extra = "error" if self.ok else "data"
        if getattr(self, extra) is not None:
            return f"an `ok: {str(self.ok).lower()}` reply carries no `{extra}`"
        return None

    def envelope(self) -> dict:
        return {"ok": True, "data": self.data} if self.ok else {"ok": False, "error": self.error}


class OperationReplies(model.Strict):
    citizens: dict[CitizenKey, Reply] = Field(
        default_factory=dict, description="Sample card name (zhang_san) or ID number -> the reply for that citizen.")
    others: Reply | None = Field(default=None, description="The reply to anyone else (default: not_found).")


class DemoFile(model.Strict):
    """flows/<item>/demo.yaml, or flows/demo.yaml for citizens every file may use."""

    format: Literal[1]
    citizens: dict[model.Ident, IdNumber] = Field(
        default_factory=dict, description="More fictitious citizens, name -> ID number (the sample cards are known).")
    operations: dict[OpRef, OperationReplies] = Field(
        default_factory=dict, description="service.operation from services.yaml -> its replies.")


@dataclass(frozen=True)
class Answers:
    """One operation's replies, by ID number."""

    by_id: dict[str, Reply]
    others: Reply
    file: str


@dataclass
class DemoData:
    operations: dict[str, Answers] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def demo_files(root: Path) -> list[Path]:
    """The bundle's demo files: the shared one first, then each item's, never through a link."""
    root = Path(root)
    shared = [root / DEMO_FILE] if (root / DEMO_FILE).is_file() else []
    items = sorted(p for p in root.glob(f"*/{DEMO_FILE}") if p.is_file())
    return [p for p in shared + items if not p.is_symlink()]


def load_demo(root: Path, catalog: model.Catalog | None, only: list[Path] | None = None) -> DemoData:
    """Every demo file under a bundle root (or only the named ones, with the shared citizens), checked against
    its catalog; a file with problems is left out whole."""
    out = DemoData()
    parsed: list[tuple[Path, DemoFile, Located]] = []
    root = Path(root)
    shared = root / DEMO_FILE
    named = None if only is None else {Path(p).resolve() for p in only}
    for path in demo_files(root):
        if named is not None and path.resolve() not in named and path != shared:
            continue
        try:
            parsed.append((path, *_read(path)))
        except ProblemsError as exc:
            out.problems.extend(exc.problems)
    citizens = {key: card.id_number for key, card in SAMPLE_CARDS.items()}
    for path, doc, _ in parsed:
        if path == shared:
            citizens.update(doc.citizens)
    for path, doc, located in parsed:
        if named is not None and path.resolve() not in named:
            continue  # the shared file, read for its citizens only
        problems = list(_check(doc, located, str(path), catalog, citizens, out.operations))
        problems += [Problem(str(path), *located.key_where(("citizens", k)), "demo/shared-citizens",
                             f"citizens are named in {shared} only, for every item to use")
                     for k in doc.citizens if path != shared]
        out.problems.extend(problems)
        if not problems:
            for ref, replies in doc.operations.items():
                by_id = {citizens.get(k, k): r for k, r in replies.citizens.items()}
                others = replies.others or Reply.model_validate(NOT_FOUND)
                out.operations[ref] = Answers(by_id, others, str(path))
    out.problems = sorted(_masked(p) for p in out.problems)
    return out


ID_LIKE = re.compile(r"\b([0-9]{6})[0-9]{5,8}([0-9X]{4})\b")


def _masked(p: Problem) -> Problem:
    """A citizen keyed by ID number is named by its location, never by the number (problems reach logs)."""
    return dataclasses.replace(p, message=ID_LIKE.sub(r"\1…\2", p.message), path=ID_LIKE.sub(r"\1…\2", p.path))


def _read(path: Path) -> tuple[DemoFile, Located]:
    name = str(path)
    try:
        located = load(path.read_bytes(), name)
    except OSError as exc:
        raise ProblemsError([Problem(name, 1, 1, "io/unreadable", exc.strerror or str(exc))]) from exc
    except YamlProblem as exc:
        raise ProblemsError([exc.problem]) from None
    data = located.data
    if not isinstance(data, dict):
        raise ProblemsError([Problem(name, 1, 1, "schema/type", "the file must hold a mapping at the top level")])
    try:
        return DemoFile.model_validate(data), located
    except pydantic.ValidationError as exc:
        raise ProblemsError(schema_problems(exc, data, located, name, DemoFile)) from None


def _check(doc: DemoFile, located: Located, name: str, catalog: model.Catalog | None, citizens: dict[str, str],
           seen: dict[str, Answers]):
    def problem(path: tuple, rule: str, msg: str, key: bool = True) -> Problem:
        where = located.key_where(path) if key else located.where(path)
        return Problem(name, *where, rule, msg, path=format_path(path))

    for ref, replies in doc.operations.items():
        path = ("operations", ref)
        svc, _, op = ref.partition(".")
        if catalog is None:
            yield problem(path, "ref/unknown-service", "no services.yaml found for this bundle")
        elif svc not in catalog.services:
            yield problem(path, "ref/unknown-service",
                          f"no service {svc!r} in services.yaml{did_you_mean(svc, catalog.services)}")
        elif op not in catalog.services[svc].operations:
            ops = catalog.services[svc].operations
            yield problem(path, "ref/unknown-operation", f"service {svc!r} has no operation {op!r}"
                          f"{did_you_mean(op, ops)}; known: {', '.join(sorted(ops))}")
        answers = [(("citizens", k), r) for k, r in replies.citizens.items()]
        for where, reply in answers + ([(("others",), replies.others)] if replies.others else []):
            if (why := reply.mismatch()) is not None:
                yield problem(path + where, "demo/envelope", why, key=False)
        if ref in seen:
            yield problem(path, "demo/duplicate-operation", f"{ref} already has its replies in {seen[ref].file}")
        for key in replies.citizens:
            if key not in citizens and not key[0].isdigit():  # an ID number may be anyone's; a name must be known
                yield problem(path + ("citizens", key), "demo/unknown-citizen",
                              f"no citizen {key!r}{did_you_mean(key, citizens)}; a sample card "
                              f"({', '.join(sorted(SAMPLE_CARDS))}), a name under citizens: in the shared "
                              f"{DEMO_FILE}, or an ID number")


def check_demo(root: Path, catalog: model.Catalog | None, only: list[Path] | None = None) -> list[Problem]:
    """The linter's view: every problem in the bundle's demo files (there may be none, and no files)."""
    return load_demo(root, catalog, only).problems
