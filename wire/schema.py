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
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _value(hints[f.name], body[f.name]) for f in dataclasses.fields(cls) if f.name in body})


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
    hints = typing.get_type_hints(cls)
    choices = getattr(cls, "CHOICES", {})
    for f in dataclasses.fields(cls):
        where = f"{at}{f.name}"
        if f.name not in body:
            if _optional(f):
                continue
            raise WireError(where, "missing")
        _typed(where, body[f.name], hints[f.name])
        allowed = choices.get(f.name)
        if allowed is not None and body[f.name] not in allowed:
            raise WireError(where, f"must be one of {', '.join(map(str, allowed))}")


def _typed(at: str, value, kind) -> None:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        options = typing.get_args(kind)
        for option in options:
            try:
                return _typed(at, value, option)
            except WireError:
                continue
        raise WireError(at, "must be " + " or ".join(_name(typing.get_origin(o) or o) for o in options))
    if kind is type(None):
        if value is not None:
            raise WireError(at, "must be null")
        return
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise WireError(at, "must be an object")
        return check_fields(kind, value, f"{at}.")
    base = typing.get_origin(kind) or kind
    if base is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif base is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, base)
    if not ok:
        raise WireError(at, f"must be {_name(base)}")
    args = typing.get_args(kind)
    if base is list and args:
        for i, item in enumerate(value):
            _typed(f"{at}[{i}]", item, args[0])
    elif base is dict and len(args) == 2:
        for key, item in value.items():
            _typed(f"{at}.{key}"[:80], item, args[1])


def _name(kind) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
            list: "a list", type(None): "null"}.get(kind, kind.__name__)
