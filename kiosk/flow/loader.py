"""From a file on disk to a validated model, or a list of located problems."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pydantic

from kiosk.flow import model
from kiosk.flow.migrate import MigrationError, migrate
from kiosk.flow.problems import Problem, ProblemsError, did_you_mean
from kiosk.flow.yamlsafe import Located, YamlProblem, format_path, load


@dataclass(frozen=True)
class Loaded:
    doc: object  # model.Flow or model.Catalog
    located: Located
    file: str
    sha256: str
    migrated_from: int


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(model).values():
        if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
            names.update(obj.model_fields)
    return names


FIELD_NAMES = _all_field_names()


def load_file(path: str | Path, kind: type[pydantic.BaseModel] = model.Flow) -> Loaded:
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ProblemsError([Problem(name, 1, 1, "io/unreadable", exc.strerror or str(exc))]) from exc
    return load_bytes(raw, name, kind)


def load_bytes(raw: bytes, name: str, kind: type[pydantic.BaseModel] = model.Flow) -> Loaded:
    try:
        located = load(raw, name)
    except YamlProblem as exc:
        p = exc.problem
        raise ProblemsError([Problem(name, p.line, p.col, p.rule, p.message)]) from None
    data = located.data
    if not isinstance(data, dict):
        raise ProblemsError([Problem(name, 1, 1, "schema/type", "the file must hold a mapping at the top level")])
    data = {k: v for k, v in data.items() if k != "$schema"}  # an editor modeline, not content
    try:
        data, original = migrate(data)
    except MigrationError as exc:
        line, col = located.where(("format",))
        raise ProblemsError([Problem(name, line, col, "format/version", str(exc))]) from None
    try:
        doc = kind.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ProblemsError(schema_problems(exc, data, located, name)) from None
    return Loaded(doc, located, name, hashlib.sha256(raw).hexdigest(), original)


def schema_problems(exc: pydantic.ValidationError, data, located: Located, name: str) -> list[Problem]:
    problems: dict[tuple, Problem] = {}
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], data)
        etype = err["type"]
        if etype == "extra_forbidden":
            key = path[-1] if path else ""
            line, col = located.key_where(path)
            msg = f"unknown field {key!r}{did_you_mean(str(key), FIELD_NAMES)}"
        elif etype == "missing":
            line, col = located.where(path[:-1])
            msg = f"missing required field {path[-1]!r}"
        elif etype in ("union_tag_invalid", "union_tag_not_found"):
            line, col = located.where(path + ("kind",))
            kinds = [k for k in _step_kinds()]
            given = _get(data, path + ("kind",))
            msg = (f"unknown step kind {given!r}{did_you_mean(str(given), kinds)}; one of {', '.join(kinds)}"
                   if given is not None else f"missing `kind`; one of {', '.join(kinds)}")
        else:
            line, col = located.where(path)
            msg = err["msg"]
            if etype == "literal_error" or etype == "enum":
                got = _get(data, path)
                expected = err.get("ctx", {}).get("expected", "")
                opts = [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",") if o.strip()]
                msg = f"{got!r} is not allowed; expected {expected}{did_you_mean(str(got), opts)}"
        rule = "schema/" + etype.replace("_", "-")
        p = Problem(name, line, col, rule, f"{format_path(path)}: {msg}" if path else msg, path=format_path(path))
        problems.setdefault((line, col, rule, p.message), p)
    return sorted(problems.values())


def _step_kinds() -> list[str]:
    union = model.Step.__origin__ if hasattr(model.Step, "__origin__") else model.Step
    kinds = []
    for cls in union.__args__:
        kinds.extend(cls.model_fields["kind"].annotation.__args__)
    return kinds


def _data_path(loc: tuple, data) -> tuple:
    """pydantic's loc includes union tags and type names; keep only real keys and indexes."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _looks_like_tag(part):
            path.append(part)  # a missing key or an extra key we cannot descend into
            node = None
    return tuple(path)


def _looks_like_tag(part: str) -> bool:
    return part in _step_kinds() or part.startswith(("function-", "str", "dict[", "list[", "int", "union["))


def _get(data, path):
    node = data
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return None
    return node
