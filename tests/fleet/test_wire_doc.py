"""docs/operations.md's wire contract and the wire package say the same, both ways.

The back office is built from the document as much as from the code: a
topic, a field, a command, an argument or a refusal reason in one and not
the other fails here, naming it.
"""
import dataclasses
import re
import typing
from pathlib import Path

import pytest

from wire import commands, messages, signing, topics

DOC = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
CONTRACT = DOC[DOC.index("### The wire contract"):DOC.index("### Storage and tests")]
WIRE = CONTRACT[:CONTRACT.index("### Commands")]
COMMANDS = CONTRACT[CONTRACT.index("### Commands"):]
MESSAGES = {cls.__name__: cls for cls in (messages.State, messages.Birth, messages.Health, *messages.EVENTS.values(),
                                          *messages.REPLIES)}


def rows(text: str, header: str) -> dict[str, list[str]]:
    """First column (its backticked names) -> the other cells, of the table whose header row starts `header`."""
    start = text.index(header)
    out = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        out[cells[0].replace("`", "")] = cells[1:]
    return out


def names(cell: str) -> list[str]:
    """Backticked names in a cell, leaving out parenthesised notes such as a fixed value."""
    return re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cell))


def test_the_topic_table_lists_every_topic_with_its_direction_retain_flag_and_messages():
    table = rows(WIRE, "| topic |")
    assert list(table) == [t.name for t in topics.ALL]
    for t in topics.ALL:
        direction, payload = table[t.name]
        assert direction.startswith(f"{t.publisher} → {t.qos}"), t.name
        assert ("retained" in direction and "never" not in direction) == t.retained, t.name
        expected = [cls.__name__ for cls in messages.ON_TOPIC[t]]
        assert re.findall(r"`([A-Z]\w*)`", payload) == expected or (not expected and "signed command envelope" in payload), t.name


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_message_lists_exactly_its_fields_in_order(name):
    table = rows(WIRE, "| message |")
    assert set(table) == set(MESSAGES)
    assert names(table[name][0]) == list(MESSAGES[name].fields())


def test_each_part_of_health_lists_exactly_its_fields_and_where_it_sits():
    table = rows(WIRE, "| part |")
    hints = typing.get_type_hints(messages.Health)
    parts = {}
    for name, kind in hints.items():
        args = typing.get_args(kind)
        part = args[1] if typing.get_origin(kind) is dict and dataclasses.is_dataclass(args[1]) else kind
        if dataclasses.is_dataclass(part):
            parts[part.__name__] = (name, part)
    assert set(table) == set(parts)
    for name, (where, fields) in table.items():
        field, cls = parts[name]
        assert names(where) == [field], name
        assert names(fields) == [f.name for f in dataclasses.fields(cls)], name


def test_the_values_a_field_may_take_are_the_same():
    state = WIRE[WIRE.index("**`state`** (string):"):WIRE.index("**`birth`**")]
    assert re.findall(r"`(\w+)`", state)[1:] == list(messages.STATES)
    mode = re.search(r"`mode` \(str: ([^)]*)\)", WIRE).group(1)
    assert re.findall(r"`(\w+)`", mode) == list(messages.MODES)
    result = re.search(r"`result` \(([^)]*)\)", WIRE).group(1)
    assert re.findall(r"`(\w+)`", result) == list(messages.VISIT_RESULTS)


def test_every_command_with_its_arguments_and_no_other():
    table = rows(COMMANDS, "| `cmd` | `args` |")
    assert list(table) == list(commands.NAMES)
    for name, (args, result) in table.items():
        spec = commands.SPECS[name]
        documented = dict(re.findall(r"(\w+)\?: (\w+)", args))
        assert documented == {a.name: a.type.__name__ for a in spec.args}, name
        assert documented or args == "none", name
        fields = re.sub(r'"[^"]*"', "", re.search(r"`\{([^}]*)\}`", result).group(1))
        listed = [part.split(":")[0].strip() for part in fields.split(",")]
        assert listed == [f.name for f in dataclasses.fields(spec.result)], name
    envelope = rows(COMMANDS, "| field |")
    listed = [n for key in envelope for n in re.findall(r"\w+", key)]
    assert listed == [*signing.FIELDS, "sig"]
    assert names(envelope["cmd"][1]) == list(commands.NAMES)


def test_refusal_reasons_in_the_order_the_kiosk_checks():
    checks = COMMANDS[COMMANDS.index("**Checks, in order**"):]
    checks = checks[:checks.index("Skew is")]
    found = re.findall(r"\(`(\w+)`", checks)
    assert list(dict.fromkeys(found)) == list(commands.REASONS)


SIGNALING = DOC[DOC.index("### Video help signaling"):]
SIGNALING = SIGNALING[:SIGNALING.index("\n## ", 1) if "\n## " in SIGNALING[1:] else len(SIGNALING)]


def test_every_signaling_kind_in_each_direction_with_exactly_its_body_fields():
    from wire import signaling
    start = SIGNALING.index("| direction | kind |")
    listed = []
    for line in SIGNALING[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        direction, kind, body = [c.strip() for c in line.strip().strip("|").split("|")]
        listed.append((direction, kind.strip("`"), names(body)))
    expected = [(d, kind, signaling.fields(cls)) for d, table in signaling.DIRECTIONS.items()
                for kind, cls in table.items()]
    assert listed == expected


def test_the_values_a_signaling_field_may_take_are_the_same():
    from wire import signaling
    for label, values in (("`skill`:", signaling.SKILLS), ("`reason`:", signaling.END_REASONS),
                          ("`outcome`:", signaling.OUTCOMES), ("`code`:", signaling.ERRORS)):
        text = SIGNALING[SIGNALING.index(label) + len(label):]
        assert re.findall(r"`(\w+)`", text.split(".")[0]) == list(values), label
