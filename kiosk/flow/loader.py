"""From a file on disk to a validated model, or a list of located problems."""
from __future__ import annotations

import difflib
import hashlib
import types
import typing
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
        raise ProblemsError(schema_problems(exc, data, located, name, kind)) from None
    return Loaded(doc, located, name, hashlib.sha256(raw).hexdigest(), original)


def schema_problems(exc: pydantic.ValidationError, data, located: Located, name: str,
                    kind: type[pydantic.BaseModel] = model.Flow) -> list[Problem]:
    errors = exc.errors(include_url=False)
    paths = [_data_path(err["loc"], data) for err in errors]
    misspelt = _misspelt_fields(errors, paths, kind)
    problems: dict[tuple, Problem] = {}
    unfit: dict[tuple, list[str]] = {}  # union position -> what its members take, when the value fits none
    fitting = set()
    for err in errors:
        m = _member(err["loc"], data)
        if m is not None:
            (fitting.add(m[0]) if m[2] else unfit.setdefault(m[0], []).append(m[1]))
    for where, wants in unfit.items():
        if where not in fitting:
            line, col = located.where(where)
            msg = f"{format_path(where)}: expected {' or '.join(dict.fromkeys(wants))}, got {_get(data, where)!r}"
            problems.setdefault((line, col, "schema/union", msg),
                                Problem(name, line, col, "schema/union", msg, path=format_path(where)))
    for err, path in zip(errors, paths):
        etype = err["type"]
        if etype == "missing" and (path[:-1], path[-1]) in misspelt:
            continue  # the misspelling beside it says it better: one mistake, one message
        m = _member(err["loc"], data)
        if m is not None and not m[2]:
            continue  # an error from a member the value is not even the type of: reported once, above
        if err["loc"][-1:] == ("[key]",):
            p = _bad_key(err, path, located, name)
            problems.setdefault((p.line, p.col, p.rule, p.message), p)
            continue
        if etype == "extra_forbidden":
            key = path[-1] if path else ""
            line, col = located.key_where(path)
            msg = f"unknown field {key!r}{_suggest(str(key), _fields_at(kind, err['loc'][:-1]))}"
        elif etype == "missing":
            line, col = located.where(path[:-1])
            msg = f"missing required field {path[-1]!r}"
            path = path[:-1]
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
                hint = (_locale_hint(str(got)) if set(_options(expected)) <= set(model.LOCALES)
                        else did_you_mean(str(got), _options(expected)))
                msg = f"{got!r} is not allowed; expected {expected}{hint}"
            elif etype == "string_pattern_mismatch":
                msg = _pattern_msg(err, _get(data, path))
        rule = "schema/" + etype.replace("_", "-")
        p = Problem(name, line, col, rule, f"{format_path(path)}: {msg}" if path else msg, path=format_path(path))
        problems.setdefault((line, col, rule, p.message), p)
    return sorted(problems.values())


# What each pattern of the format means, for people who do not read regular expressions.
PATTERN_MEANING = {
    r"^[a-z][a-z0-9_]{0,47}$": "an id (a lowercase letter, then up to 47 lowercase letters, digits or _)",
    r"^[a-z][a-z0-9-]{1,63}$": "a flow id (a lowercase letter, then lowercase letters, digits or -)",
    r"^\d+\.\d+\.\d+$": "a version like 1.0.0",
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$": "a path into the reply like records[0].name",
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$": "service.operation, as declared in services.yaml (e.g. registry.lookup)",
    r"^[a-z][a-z0-9_]*$": "an error code (lowercase letters, digits or _)",
    r"^[a-z0-9_-]+$": "a template name (lowercase letters, digits, _ or -)",
    r"^[A-Za-z0-9_-]{1,16}$": "a category (up to 16 letters, digits, _ or -)",
    r"^([01]\d|2[0-3]):[0-5]\d$": "a time like 08:30",
    r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$": "a time like 17:30 (or 24:00)",
    r"^/[A-Za-z0-9_\-/{}.]*$": "a path like /records/{id}",
    r"^\s*[a-z][a-z0-9_]*\s+in\s+\S.*$": "'name in list', like 'p in data.properties'",
}


def _pattern_msg(err: dict, got) -> str:
    meaning = PATTERN_MEANING.get(err.get("ctx", {}).get("pattern", ""))
    return f"{got!r} is not {meaning}" if meaning else err["msg"]


def _options(expected: str) -> list[str]:
    return [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",") if o.strip()]


def _bad_key(err: dict, path: tuple, located: Located, name: str) -> Problem:
    """A mapping key that is not allowed (an `en-US` locale): report the key, where the key is."""
    key = str(path[-1]) if path else ""
    line, col = located.key_where(path)
    options = _options(err.get("ctx", {}).get("expected", ""))
    where = format_path(path[:-1])
    if err["type"] == "literal_error" and set(options) <= set(model.LOCALES):
        msg = f"unknown locale {key!r}{_locale_hint(key)}; one of {', '.join(options)}"
    elif options:
        msg = f"key {key!r} is not allowed{did_you_mean(key, options)}; one of {', '.join(options)}"
    elif err["type"] == "string_pattern_mismatch":
        msg = f"key {_pattern_msg(err, key)}"
    else:
        msg = f"key {key!r}: {err['msg']}"
    rule = "schema/" + err["type"].replace("_", "-")
    return Problem(name, line, col, rule, f"{where}: {msg}" if where else msg, path=format_path(path))


def _locale_hint(key: str) -> str:
    """`EN`, `en-US` and `zh_cn` are near misses of a locale, though far from it letter by letter."""
    norm = key.replace("_", "-").lower()
    for loc in model.LOCALES:
        if norm == loc.lower() or norm.split("-")[0] == loc.lower().split("-")[0]:
            return f" (did you mean {loc!r}?)"
    return did_you_mean(key, model.LOCALES)


def _suggest(name: str, allowed: list[str] | None) -> str:
    """A did-you-mean from the names allowed in this very mapping, else the list of them."""
    if allowed is None:
        return did_you_mean(name, FIELD_NAMES)
    return did_you_mean(name, allowed) or f"; allowed here: {', '.join(allowed)}"


def _misspelt_fields(errors: list[dict], paths: list[tuple], kind) -> set[tuple]:
    """(mapping path, field) pairs reported missing while an unknown key beside them is a near miss."""
    out = set()
    for err, path in zip(errors, paths):
        if err["type"] == "extra_forbidden" and path:
            allowed = _fields_at(kind, err["loc"][:-1]) or []
            for guess in difflib.get_close_matches(str(path[-1]), allowed, n=1, cutoff=0.6):
                out.add((path[:-1], guess))
    return out


def _fields_at(kind, loc: tuple) -> list[str] | None:
    """The field names of the model at pydantic's ``loc`` (tags included), or None if it is not one model."""
    node = kind
    for part in loc:
        node = _descend(node, part)
        if node is None:
            return None
    node = _unwrap(node)
    if isinstance(node, type) and issubclass(node, pydantic.BaseModel):
        return list(node.model_fields)
    return None


def _unwrap(tp):
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _descend(tp, part):
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        field = tp.model_fields.get(part)
        return None if field is None else field.annotation
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list and isinstance(part, int):
        return args[0]
    if origin is dict:
        return args[0] if part == "[key]" else args[1]
    if origin in (typing.Union, types.UnionType):  # the step union: pydantic's loc names the member by its tag
        for member in args:
            member = _unwrap(member)
            if isinstance(member, type) and issubclass(member, pydantic.BaseModel) and "kind" in member.model_fields:
                if part in typing.get_args(member.model_fields["kind"].annotation):
                    return member
    return None


def _step_kinds() -> list[str]:
    union = model.Step.__origin__ if hasattr(model.Step, "__origin__") else model.Step
    kinds = []
    for cls in union.__args__:
        kinds.extend(cls.model_fields["kind"].annotation.__args__)
    return kinds


def _data_path(loc: tuple, data) -> tuple:
    """pydantic's loc includes union tags and type names; keep only real keys and indexes.

    A step's tag comes right after its index and is the step's own ``kind``; it must be
    skipped there even when the step also has a key of that name (a call step's ``call:``).
    """
    path: list = []
    node = data
    tag_next = False
    for part in loc:
        if tag_next and isinstance(node, dict) and part == node.get("kind"):
            tag_next = False
            continue
        tag_next = False
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
            tag_next = True
        elif isinstance(node, dict) and isinstance(part, str) and not _looks_like_tag(part):
            path.append(part)  # a missing key or an extra key we cannot descend into
            node = None
    return tuple(path)


def _looks_like_tag(part: str) -> bool:
    return part.startswith(("function-", "str", "constrained-", "dict[", "list[", "int", "float", "bool", "union[",
                            "literal["))


MEMBER_TYPES = (("dict[", dict, "a mapping"), ("list[", list, "a list"), ("str", str, "a text"),
                ("constrained-str", str, "a text"), ("int", int, "a whole number"), ("float", (int, float), "a number"),
                ("bool", bool, "true or false"))


def _member(loc: tuple, data) -> tuple[tuple, str, bool] | None:
    """For an error inside one member of a union (``next: id`` or ``next: {outcome: id}``): where the union
    sits, what the member takes, and whether the value there is of that member's type at all."""
    node = data
    tag_next = False
    for i, part in enumerate(loc):
        if tag_next and isinstance(node, dict) and part == node.get("kind"):
            tag_next = False
            continue  # a step's tag, as in _data_path
        tag_next = isinstance(part, int)
        if isinstance(part, str) and _looks_like_tag(part) and not (isinstance(node, dict) and part in node):
            for prefix, types_, what in MEMBER_TYPES:
                if part.startswith(prefix):
                    fits = isinstance(node, types_) and not (types_ in (int, (int, float)) and isinstance(node, bool))
                    return _data_path(loc[:i], data), what, fits
            return None
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return None


def _get(data, path):
    node = data
    for p in path:
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return None
    return node
