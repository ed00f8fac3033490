"""YAML 1.2 loading for untrusted files, with a location for every value.

libyaml (through PyYAML's C parser) does the tokenizing, fast; everything
YAML 1.1 would get wrong is decided here instead: plain scalars resolve by
the YAML 1.2 core schema (``on``, ``no``, ``yes`` stay strings), duplicate
keys are an error, and the event stream is checked before anything is built
so an alias bomb, a deeply nested document or a tag is refused before it
costs memory. Values come back as plain JSON-like data plus a map from JSON
path to (line, col) so every later error can point into the file.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import yaml
from yaml import events, nodes

from kiosk.flow.problems import Problem

MAX_BYTES = 1_000_000  # a large flow is ~30 kB; anything near this is not a flow
MAX_DEPTH = 32
MAX_EVENTS = 200_000
Path = tuple  # of str | int


@dataclass
class Located:
    data: object
    locations: dict[Path, tuple[int, int]] = field(default_factory=dict)  # path -> 1-based (line, col)
    key_locations: dict[Path, tuple[int, int]] = field(default_factory=dict)
    styles: dict[Path, str] = field(default_factory=dict)  # quoting style of string scalars

    def where(self, path: Path) -> tuple[int, int]:
        """Location of the value at path, or of the nearest enclosing value we know."""
        path = tuple(path)
        while path:
            if path in self.locations:
                return self.locations[path]
            path = path[:-1]
        return self.locations.get((), (1, 1))

    def key_where(self, path: Path) -> tuple[int, int]:
        return self.key_locations.get(tuple(path)) or self.where(path)


def format_path(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class YamlProblem(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def load(raw: bytes, filename: str) -> Located:
    """Parse untrusted bytes; raise YamlProblem with a location on anything wrong."""

    def fail(rule: str, msg: str, line: int = 1, col: int = 1):
        raise YamlProblem(Problem(filename, line, col, rule, msg))

    if len(raw) > MAX_BYTES:
        fail("yaml/too-large", f"file is {len(raw)} bytes; flow files are limited to {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        fail("yaml/encoding", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line, col)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        fail("yaml/encoding", "binary data (NUL byte) in a text file", line)
    try:
        _check_events(text, fail)
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = (exc.problem or str(exc)).strip().replace("\n", " ")
        fail("yaml/syntax", msg, (mark.line + 1) if mark else 1, (mark.column + 1) if mark else 1)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        fail("yaml/syntax", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    located = Located(None)
    located.data = _plain(root, (), located, filename) if root is not None else None
    located.locations.setdefault((), (1, 1))
    return located


def _check_events(text: str, fail) -> None:
    """Apply the event rules with libyaml; if libyaml refuses the text, again with PyYAML's pure-Python parser.

    libyaml's scanner runs up to a line or 1024 characters ahead of the events
    it has handed over, and has nesting limits of its own (1000 levels in the
    libyaml of PyYAML 6.0.4's wheels), so it can refuse ``[[[[...`` before
    MAX_DEPTH is ever counted here. The pure-Python parser has no such limit
    and yields events as it goes, so reading the refused text again, up to the
    line where libyaml stopped, lets MAX_DEPTH (and every other rule) decide
    first whatever libyaml's limits are. Only refused files pay for it: at
    most MAX_BYTES through a slower parser.
    """
    try:
        _apply_event_rules(yaml.parse(text, Loader=yaml.CSafeLoader), fail)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        last_line = mark.line if mark else len(text)
        try:
            _apply_event_rules(itertools.takewhile(lambda ev: ev.start_mark.line <= last_line,
                                                   yaml.parse(text, Loader=yaml.SafeLoader)), fail)
        except yaml.YAMLError:
            pass  # refused again: libyaml's message is the one reported
        raise


def _apply_event_rules(stream, fail) -> None:
    depth = count = docs = 0
    for ev in stream:
        count += 1
        if count > MAX_EVENTS:
            fail("yaml/too-large", f"more than {MAX_EVENTS} YAML nodes")
        mark = ev.start_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(ev, events.AliasEvent):
            fail("yaml/alias", "anchors and aliases are not allowed in flow files; repeat the value", *where)
        if getattr(ev, "anchor", None):
            fail("yaml/alias", f"anchor &{ev.anchor} is not allowed in flow files", *where)
        tag = getattr(ev, "tag", None)
        if tag and tag != "!" and not (isinstance(ev, (events.MappingStartEvent, events.SequenceStartEvent))
                                      and getattr(ev, "implicit", False)):
            fail("yaml/tag", f"tag {tag} is not allowed in flow files", *where)
        if isinstance(ev, (events.MappingStartEvent, events.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                fail("yaml/too-deep", f"nesting deeper than {MAX_DEPTH} levels", *where)
        elif isinstance(ev, (events.MappingEndEvent, events.SequenceEndEvent)):
            depth -= 1
        elif isinstance(ev, events.DocumentStartEvent):
            docs += 1
            if docs > 1:
                fail("yaml/multiple-documents", "a flow file holds exactly one YAML document", *where)


# YAML 1.2 core schema, for plain (unquoted) scalars only.
NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
INT = re.compile(r"^[-+]?[0-9]+$")
INT_OTHER = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}


def resolve(value: str):
    if NULL.match(value):
        return None
    if value in BOOL:
        return BOOL[value]
    if INT.match(value):
        return int(value)
    if INT_OTHER.match(value):
        return int(value, 0)
    if FLOAT.match(value):
        return float(value)
    if value.lower() in SPECIAL_FLOAT:
        return SPECIAL_FLOAT[value.lower()]
    return value


def _at(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _plain(node, path: Path, out: Located, filename: str):
    """Composed nodes to plain data, recording where each value sits."""
    if isinstance(node, nodes.MappingNode):
        result: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, nodes.ScalarNode):
                raise YamlProblem(Problem(filename, *_at(knode), "yaml/key-type", "keys must be plain text"))
            key = knode.value if knode.style else resolve(knode.value)
            if not isinstance(key, str):
                raise YamlProblem(Problem(filename, *_at(knode), "yaml/key-type", f"key {knode.value!r} must be text"))
            if key in result:
                first = out.key_locations[path + (key,)][0]
                raise YamlProblem(Problem(filename, *_at(knode), "yaml/duplicate-key",
                                          f"duplicate key {key!r} (first at line {first})"))
            out.key_locations[path + (key,)] = _at(knode)
            out.locations[path + (key,)] = _at(vnode)
            result[key] = _plain(vnode, path + (key,), out, filename)
        return result
    if isinstance(node, nodes.SequenceNode):
        result_list = []
        for i, item in enumerate(node.value):
            out.locations[path + (i,)] = _at(item)
            result_list.append(_plain(item, path + (i,), out, filename))
        return result_list
    if node.style:  # quoted or block: always a string
        out.styles[path] = node.style
        return node.value
    return resolve(node.value)
