"""Typed messages as frozen dataclasses, encoded to and decoded from JSON against their own annotations.

A message class declares its fields once; `encode` writes them and
`decode` holds an untrusted payload to them: every field present and of its
type (bool is not an int; an int is a float), constrained values among
their `CHOICES`, the version the class speaks. Fields a receiver does not
know are ignored, so a newer sender can add one without breaking older
receivers; changing a field's meaning needs a new version.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, ClassVar, TypeVar

from wire.codec import dump, load_object
from wire.errors import WireError

M = TypeVar("M", bound="Message")


@dataclasses.dataclass(frozen=True)
class Message:
    VERSION: ClassVar[int] = 1
    CONST: ClassVar[dict[str, Any]] = {}  # fixed fields, e.g. an event's kind or a reply's ok
    CHOICES: ClassVar[dict[str, tuple]] = {}  # field -> the values it may take

    def as_dict(self) -> dict:
        return {"v": self.VERSION, **self.CONST, **dataclasses.asdict(self)}

    def encode(self) -> str:
        check(type(self), self.as_dict())  # the kiosk never sends what the console would refuse
        return dump(self.as_dict())

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """Every field on the wire, in order: what docs/operations.md lists for this message."""
        return ("v", *cls.CONST, *(f.name for f in dataclasses.fields(cls)))

    @classmethod
    def decode(cls: type[M], raw: bytes | str | dict) -> M:
        body = raw if isinstance(raw, dict) else load_object(raw)
        check(cls, body)
        return build(cls, body)


def build(cls, body: dict):
    """An instance of dataclass `cls` from a checked body, nested parts (dataclasses) built too."""
    hints = _hints(cls)
    return cls(**{f.name: _value(hints[f.name], body[f.name]) for f in dataclasses.fields(cls) if f.name in body})


@functools.cache
def _hints(cls) -> dict:
    """A class's resolved annotations: resolving them is most of a decode's cost, and they never change."""
    return typing.get_type_hints(cls)


def _optional(f: dataclasses.Field) -> bool:
    """A field added later with a default: an older sender leaves it out, and the default stands in."""
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _value(kind, value):
    if dataclasses.is_dataclass(kind):
        return build(kind, value)
    args = typing.get_args(kind)
    if typing.get_origin(kind) is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]):
        return {k: build(args[1], v) for k, v in value.items()}
    return value


def check(cls: type[Message], body: dict) -> None:
    version = body.get("v")
    if type(version) is not int:
        raise WireError("v", "missing or not an integer")
    if version != cls.VERSION:
        raise WireError("v", f"unsupported version {version}; this side speaks v{cls.VERSION}")
    for name, value in cls.CONST.items():
        if body.get(name) != value:
            raise WireError(name, f"must be {value!r}")
    check_fields(cls, body)


def check_fields(cls, body: dict, at: str = "") -> None:
    """Every dataclass field of `cls` present in `body`, of its type, among its CHOICES; `at` prefixes names."""
    for name, optional, typed, allowed in _plan(cls):
        if name not in body:
            if optional:
                continue
            raise WireError(f"{at}{name}", "missing")
        value = body[name]
        typed(f"{at}{name}", value)
        if allowed is not None and value not in allowed:
            raise WireError(f"{at}{name}", f"must be one of {', '.join(map(str, allowed))}")


def known(cls, body: dict, keep: tuple[str, ...] = ()) -> dict:
    """A checked body with only the fields `cls` declares (and `keep`), nested parts too: what a receiver
    may keep of it without building the dataclasses (fields it does not know are ignored, never stored).
    The body itself when it has nothing else, as is usual: no copy on the hot path."""
    names, nested = _shape(cls, keep)
    out = body if body.keys() <= names else {k: v for k, v in body.items() if k in names}
    for name, prune in nested:
        if name in out:
            value = out[name]
            pruned = prune(value)
            if pruned is not value:
                out = dict(out) if out is body else out
                out[name] = pruned
    return out


def _known_each(part, values: dict) -> dict:
    out = values
    for key, value in values.items():
        pruned = known(part, value)
        if pruned is not value:
            out = dict(out) if out is values else out
            out[key] = pruned
    return out


@functools.cache
def _shape(cls, keep: tuple[str, ...] = ()) -> tuple[frozenset, tuple]:
    """The names a body of `cls` may hold, and a pruner for each field that holds parts (dataclasses)."""
    nested = []
    for f in dataclasses.fields(cls):
        kind = _hints(cls)[f.name]
        args = typing.get_args(kind)
        if dataclasses.is_dataclass(kind):
            nested.append((f.name, functools.partial(known, kind)))
        elif typing.get_origin(kind) is dict and len(args) == 2 and dataclasses.is_dataclass(args[1]):
            nested.append((f.name, functools.partial(_known_each, args[1])))
    return frozenset(keep) | {f.name for f in dataclasses.fields(cls)}, tuple(nested)


@functools.cache
def _plan(cls) -> tuple:
    """(name, optional, checker, choices) per field, worked out once per class: checking is on ingest's hot path."""
    hints = _hints(cls)
    choices = getattr(cls, "CHOICES", {})
    return tuple((f.name, _optional(f), _checker(hints[f.name]), choices.get(f.name)) for f in dataclasses.fields(cls))


def _typed(at: str, value, kind) -> None:
    _checker(kind)(at, value)


@functools.cache
def _checker(kind):
    """A function (at, value) that raises a WireError located at `at` unless `value` is of `kind`."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = typing.get_args(kind)
        each = tuple(_checker(o) for o in options)
        expected = "must be " + " or ".join(_name(typing.get_origin(o) or o) for o in options)

        def either(at, value):
            for option in each:
                try:
                    return option(at, value)
                except WireError:
                    continue
            raise WireError(at, expected)
        return either
    if kind is type(None):
        def null(at, value):
            if value is not None:
                raise WireError(at, "must be null")
        return null
    if dataclasses.is_dataclass(kind):
        def part(at, value):
            if not isinstance(value, dict):
                raise WireError(at, "must be an object")
            check_fields(kind, value, f"{at}.")
        return part
    base = typing.get_origin(kind) or kind
    if base is float:
        def ok(value):
            return isinstance(value, (int, float)) and not isinstance(value, bool)
    elif base is int:
        def ok(value):
            return isinstance(value, int) and not isinstance(value, bool)
    else:
        def ok(value):
            return isinstance(value, base)
    expected = f"must be {_name(base)}"
    args = typing.get_args(kind)
    item = _checker(args[0]) if base is list and args else None
    entry = _checker(args[1]) if base is dict and len(args) == 2 else None

    def plain(at, value):
        if not ok(value):
            raise WireError(at, expected)
        if item is not None:
            for i, x in enumerate(value):
                item(f"{at}[{i}]", x)
        elif entry is not None:
            for key, x in value.items():
                entry(f"{at}.{key}"[:80], x)
    return plain


def _name(kind) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
            list: "a list", type(None): "null"}.get(kind, kind.__name__)


# ------------------------------------------------------------------ the fast path
def as_is(cls, body: dict, keep: tuple[str, ...] = ()) -> bool:
    """True when `body` is a valid `cls` message (version, fixed fields, every field) holding nothing but the
    fields `cls` declares and `keep`, nested parts too: the usual case, for which `check` would pass and
    `known` return the body itself. Decided by one function generated per class (ingest reads a fleet's
    reports through here: the general checks above cost most of a worker's time). False says nothing more:
    the caller runs `check` and `known`, which say what is wrong or cut what is not declared."""
    return _generated(cls, keep)(body)


_MISSING = object()


@functools.cache
def _generated(cls, keep: tuple[str, ...] = (), top: bool = True):
    env: dict[str, Any] = {"_MISSING": _MISSING, "_safe": _safe}
    names = frozenset(keep) | {f.name for f in dataclasses.fields(cls)}
    env["_names"] = names
    lines = ["def as_is(body):", "    if not body.keys() <= _names: return False"]
    if top:
        version = getattr(cls, "VERSION", None)
        lines.append("    v = body.get('v', _MISSING)")
        lines.append(f"    if type(v) is not int or v != {version!r}: return False")
        for i, (name, value) in enumerate(getattr(cls, "CONST", {}).items()):
            env[f"_const{i}"] = value
            lines.append(f"    if body.get({name!r}, _MISSING) != _const{i}: return False")
    for i, (name, optional, _, allowed) in enumerate(_plan(cls)):
        lines.append(f"    v = body.get({name!r}, _MISSING)")
        if optional:
            lines.append("    if v is not _MISSING:")
        else:
            lines.append("    if v is _MISSING: return False")
            lines.append("    if True:")
        _emit(_hints(cls)[name], "v", env, lines, " " * 8)
        if allowed is not None:
            env[f"_choices{i}"] = allowed
            lines.append(f"        if v not in _choices{i}: return False")
    lines.append("    return True")
    exec("\n".join(lines), env)  # noqa: S102  (source built above from the class's own annotations)
    return env["as_is"]


def _emit(kind, value: str, env: dict, lines: list[str], indent: str) -> None:
    """Statements that return False unless `value` (a variable's name) is of `kind`, parts holding nothing
    undeclared. Stricter than _checker (exact types, as JSON gives them): a False only sends the body to the
    general checks, which decide."""
    simple = _simple(kind, value)
    if simple is not None:
        lines.append(f"{indent}if not ({simple}): return False")
        return
    base, args = typing.get_origin(kind) or kind, typing.get_args(kind)
    if dataclasses.is_dataclass(kind):
        name = f"_part{len(env)}"
        env[name] = _generated(kind, (), False)
        lines.append(f"{indent}if type({value}) is not dict or not {name}({value}): return False")
    elif base in (list, dict) and not isinstance(kind, types.UnionType):
        item = f"x{len(env)}"
        env[item] = None  # reserves the name
        lines.append(f"{indent}if type({value}) is not {base.__name__}: return False")
        lines.append(f"{indent}for {item} in {value}{'.values()' if base is dict else ''}:")
        _emit(args[-1], item, env, lines, indent + "    ")
    else:  # anything else: the general checker, as a yes or no
        name = f"_checker{len(env)}"
        env[name] = _checker(kind)
        lines.append(f"{indent}if not _safe({name}, {value}): return False")


def _simple(kind, value: str) -> str | None:
    """An expression for a kind that needs no loop: a scalar, a bare list or dict, a union of those."""
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        each = [_simple(o, value) for o in typing.get_args(kind)]
        return None if None in each else "(" + " or ".join(each) + ")"
    if kind is type(None):
        return f"{value} is None"
    if kind is float:
        return f"(type({value}) is float or type({value}) is int)"
    if kind in (int, str, bool, list, dict):
        return f"type({value}) is {kind.__name__}"
    return None


def _safe(checker, value) -> bool:
    try:
        checker("", value)
    except WireError:
        return False
    return True
