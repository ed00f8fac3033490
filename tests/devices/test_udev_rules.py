"""systemd/99-kiosk.rules: strict syntax, naming policy, and what the rules do to typical kiosk devices.

Debian 12 ships systemd 252, whose udevadm has no ``verify`` (added in 253),
and this sandbox has no udevadm at all. So the file is parsed here against the
key and operator table of udev(7). A small evaluator of that subset then
runs the rules on the events of typical devices, before and after a
technician fills in the placeholders. Where ``udevadm verify`` exists, it runs too.
"""
from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[2] / "systemd" / "99-kiosk.rules"

MATCH, ASSIGN = ("==", "!="), ("=", "+=", "-=", ":=")
# key -> (allowed operators, attribute in braces: required | optional | none), per udev(7), systemd 252
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "ACTION": (MATCH, "none"), "DEVPATH": (MATCH, "none"), "KERNEL": (MATCH, "none"),
    "KERNELS": (MATCH, "none"), "SUBSYSTEM": (MATCH, "none"), "SUBSYSTEMS": (MATCH, "none"),
    "DRIVER": (MATCH, "none"), "DRIVERS": (MATCH, "none"), "TAGS": (MATCH, "none"),
    "ATTRS": (MATCH, "required"), "CONST": (MATCH, "required"), "TEST": (MATCH, "optional"),
    "PROGRAM": (MATCH, "none"), "RESULT": (MATCH, "none"),
    "NAME": (MATCH + ("=", ":="), "none"), "SYMLINK": (MATCH + ASSIGN, "none"),
    "TAG": (MATCH + ASSIGN, "none"), "ENV": (MATCH + ("=", "+=", ":="), "required"),
    "ATTR": (MATCH + ("=", ":="), "required"), "SYSCTL": (MATCH + ("=", ":="), "required"),
    "OWNER": (("=", ":="), "none"), "GROUP": (("=", ":="), "none"), "MODE": (("=", ":="), "none"),
    "SECLABEL": (("=", "+=", ":="), "required"), "RUN": (("=", "+=", ":="), "optional"),
    "IMPORT": (("=",), "required"), "OPTIONS": (("=", "+=", ":="), "none"),
    "LABEL": (("=",), "none"), "GOTO": (("=",), "none"),
}
IMPORT_TYPES = {"program", "builtin", "file", "db", "cmdline", "parent"}
PAIR = re.compile(r'\s*(?P<key>[A-Z]+)(?:\{(?P<attr>[^{}"\s]+)\})?\s*(?P<op>==|!=|\+=|-=|:=|=)\s*"(?P<value>[^"]*)"\s*')
PLACEHOLDER = re.compile(r"^@[A-Z_]+@$")
ROLES = {"kiosk/idreader", "kiosk/receipt", "kiosk/ticket", "kiosk/scanner", "kiosk/scanner-kbd"}


@dataclass
class Pair:
    key: str
    attr: str | None
    op: str
    value: str

    @property
    def is_match(self) -> bool:
        return self.op in MATCH


@dataclass
class Rule:
    line: int
    pairs: list[Pair]

    def get(self, key: str, op: str | None = None) -> list[Pair]:
        return [p for p in self.pairs if p.key == key and (op is None or p.op == op)]


def parse(text: str) -> list[Rule]:
    """Strict: every pair must be KEY[{attr}]OP"value", separated by commas, with the key's own operators."""
    rules, lineno = [], 0
    lines = text.split("\n")
    while lineno < len(lines):
        start, line = lineno + 1, lines[lineno]
        lineno += 1
        while line.endswith("\\"):  # continuation
            line = line[:-1] + lines[lineno]
            lineno += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs, pos = [], 0
        while True:
            m = PAIR.match(line, pos)
            assert m, f"line {start}: cannot parse at column {pos + 1}: {line[pos:]!r}"
            pair = Pair(m["key"], m["attr"], m["op"], m["value"])
            ops, attr = KEYS.get(pair.key, ((), ""))
            assert ops, f"line {start}: unknown key {pair.key}"
            assert pair.op in ops, f"line {start}: {pair.key} does not take {pair.op}"
            assert (pair.attr is not None) == (attr == "required") or attr == "optional", \
                f"line {start}: {pair.key} {'needs' if attr == 'required' else 'takes no'} {{attribute}}"
            if pair.key == "IMPORT":
                assert pair.attr in IMPORT_TYPES, f"line {start}: IMPORT{{{pair.attr}}}"
            pairs.append(pair)
            pos = m.end()
            if pos == len(line):
                break
            assert line[pos] == ",", f"line {start}: expected ',' at column {pos + 1}"
            pos += 1
        rules.append(Rule(start, pairs))
    return rules


@pytest.fixture(scope="module")
def text() -> str:
    return RULES.read_text()


@pytest.fixture(scope="module")
def rules(text) -> list[Rule]:
    return parse(text)


def test_parser_rejects_what_udev_rejects():
    for bad in ['KERNEL="tty*", GROUP="kiosk"', 'SUBSYSTEM=="tty" GROUP="kiosk"', 'ATTRS=="x"',
                'GROUP=="kiosk"', 'ENV{A}-="x"', "SUBSYSTEM=='tty'", 'FOO=="x"', 'IMPORT{magic}="x"',
                'SUBSYSTEM=="tty", GROUP="kiosk",', 'KERNEL{x}=="y"']:
        with pytest.raises(AssertionError):
            parse(bad)
    assert len(parse('SUBSYSTEM=="tty", \\\n  GROUP="kiosk"')[0].pairs) == 2


def test_every_rule_is_well_formed(rules):
    labels = [r.get("LABEL")[0].value for r in rules if r.get("LABEL")]
    assert len(labels) == len(set(labels)), "duplicate LABEL"
    for rule in rules:
        if rule.get("LABEL"):
            assert len(rule.pairs) == 1, f"line {rule.line}: a LABEL stands alone"
            continue
        assert any(p.is_match for p in rule.pairs), f"line {rule.line}: no match key, would apply to every device"
        for goto in rule.get("GOTO"):
            later = [r.get("LABEL")[0].value for r in rules if r.line > rule.line and r.get("LABEL")]
            assert goto.value in later, f"line {rule.line}: GOTO {goto.value} has no LABEL after it"
        for mode in rule.get("MODE"):
            assert re.fullmatch(r"0[0-7]{3}", mode.value), f"line {rule.line}: MODE {mode.value}"
        assert not rule.get("OWNER") and not rule.get("RUN"), f"line {rule.line}: no owners, no programs"


def test_names_live_under_kiosk_with_group_kiosk(rules):
    named = set()
    for rule in rules:
        for g in rule.get("GROUP"):
            assert g.value == "kiosk", f"line {rule.line}"
        for link in rule.get("SYMLINK", "+="):
            assert link.value.startswith("kiosk/") and "/" not in link.value[6:], f"line {rule.line}: {link.value}"
            assert [p.value for p in rule.get("GROUP")] == ["kiosk"], f"line {rule.line}: symlink without GROUP"
            assert [p.value for p in rule.get("MODE")] == ["0660"], f"line {rule.line}: symlink without MODE 0660"
            named.add(link.value)
        assert not rule.get("SYMLINK", "="), f"line {rule.line}: SYMLINK= would drop other rules' links"
    assert named == ROLES


def test_port_specific_values_ship_as_placeholders_that_the_header_explains(rules, text):
    """A real-looking port path would name whatever a kiosk happens to have in that port."""
    header = text.split("\nACTION==")[0]
    for rule in rules:
        for p in rule.pairs:
            if (p.key, p.attr) in (("ENV", "ID_PATH"), ("ATTRS", "serial")):
                assert PLACEHOLDER.match(p.value), f"line {rule.line}: {p.value} must be a @PLACEHOLDER@"
    for key in ("udevadm info -q property", "ID_PATH", "ATTRS{serial}", "udevadm control --reload"):
        assert key in header


# the rules at work ------------------------------------------------------------------------------

@dataclass
class Event:
    subsystem: str
    kernel: str
    env: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)  # ATTRS: of the device or any parent
    action: str = "add"


@dataclass
class Result:
    symlinks: set[str] = field(default_factory=set)
    group: str | None = None
    mode: str | None = None
    tags: set[str] = field(default_factory=set)


def _glob(value: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(value, alt) for alt in pattern.split("|"))


def run(rules: list[Rule], ev: Event) -> Result:
    """Evaluate the subset of udev semantics these rules use; IMPORT is a no-op (the event carries ID_PATH)."""
    env, res, i = dict(ev.env), Result(), 0
    while i < len(rules):
        rule, i = rules[i], i + 1
        if rule.get("LABEL"):
            continue
        ok = True
        for p in (p for p in rule.pairs if p.is_match):
            actual = {"ACTION": ev.action, "SUBSYSTEM": ev.subsystem, "KERNEL": ev.kernel,
                      "ENV": env.get(p.attr or "", ""), "ATTRS": ev.attrs.get(p.attr or "")}[p.key]
            hit = actual is not None and _glob(actual, p.value)
            if hit != (p.op == "=="):
                ok = False
                break
        if not ok:
            continue
        for p in (p for p in rule.pairs if not p.is_match):
            if p.key == "ENV":
                env[p.attr] = p.value
            elif p.key == "SYMLINK":
                res.symlinks.add(p.value)
            elif p.key == "GROUP":
                res.group = p.value
            elif p.key == "MODE":
                res.mode = p.value
            elif p.key == "TAG":
                res.tags.add(p.value)
            elif p.key == "GOTO":
                i = next(n for n, r in enumerate(rules) if r.get("LABEL") and r.get("LABEL")[0].value == p.value)
    return res


PORTS = {"@IDREADER_PORT@": "pci-0000:00:14.0-usb-0:1:1.0", "@RECEIPT_SERIAL_PORT@": "pci-0000:00:14.0-usb-0:2:1.0",
         "@TICKET_USB_PORT@": "pci-0000:00:14.0-usb-0:3:1.0", "@SCANNER_KBD_PORT@": "pci-0000:00:14.0-usb-0:4:1.0",
         "@IDREADER_FTDI_SERIAL@": "A50285BI"}


@pytest.fixture(scope="module")
def filled(text) -> list[Rule]:
    """The rules after a technician filled in this cabinet's ports."""
    for placeholder, value in PORTS.items():
        text = text.replace(placeholder, value)
    return parse(text)


def tty(vid, pid, port, kernel="ttyUSB0", **attrs) -> Event:
    return Event("tty", kernel, {"ID_VENDOR_ID": vid, "ID_MODEL_ID": pid, "ID_PATH": port}, attrs)


def test_unfilled_placeholders_name_nothing(rules):
    assert run(rules, tty("1a86", "7523", PORTS["@IDREADER_PORT@"])).symlinks == set()


def test_an_id_reader_on_its_port_is_named_and_reachable(filled):
    res = run(filled, tty("1a86", "7523", PORTS["@IDREADER_PORT@"]))
    assert res == Result({"kiosk/idreader"}, "kiosk", "0660", {"systemd"})
    assert run(filled, tty("10c4", "ea60", PORTS["@RECEIPT_SERIAL_PORT@"])).symlinks == {"kiosk/receipt"}


def test_an_ftdi_reader_is_found_by_serial_number_on_any_port(filled):
    res = run(filled, tty("0403", "6001", "pci-0000:00:14.0-usb-0:9:1.0", serial="A50285BI"))
    assert res.symlinks == {"kiosk/idreader"}


def test_a_bridge_on_another_port_is_reachable_but_unnamed(filled):
    res = run(filled, tty("067b", "2303", "pci-0000:00:14.0-usb-0:7:1.0"))
    assert res.symlinks == set() and (res.group, res.mode) == ("kiosk", "0660")


def test_unknown_serial_devices_are_left_alone(filled):
    assert run(filled, tty("2341", "0043", PORTS["@IDREADER_PORT@"], kernel="ttyACM0")) == Result()


def test_scanners(filled):
    acm = Event("tty", "ttyACM0", {"ID_VENDOR_ID": "1eab", "ID_MODEL_ID": "1a03", "ID_PATH": "pci-x-usb-0:6:1.0"})
    assert run(filled, acm).symlinks == {"kiosk/scanner"}
    kbd = {"ID_INPUT_KEYBOARD": "1", "ID_INPUT_KEY": "1", "ID_VENDOR_ID": "0c2e", "ID_PATH": "pci-x-usb-0:6:1.0"}
    assert run(filled, Event("input", "event7", kbd)).symlinks == {"kiosk/scanner-kbd"}
    consumer = {"ID_INPUT_KEY": "1", "ID_VENDOR_ID": "0c2e", "ID_PATH": "pci-x-usb-0:6:1.1"}
    assert run(filled, Event("input", "event8", consumer)) == Result()  # the node without a full key set
    assert run(filled, Event("input", "input12", kbd)) == Result()  # the parent input device, not a node
    office = {"ID_INPUT_KEYBOARD": "1", "ID_VENDOR_ID": "046d", "ID_PATH": "pci-x-usb-0:5:1.0"}
    assert run(filled, Event("input", "event3", office)) == Result()  # a technician's keyboard stays theirs
    generic = {"ID_INPUT_KEYBOARD": "1", "ID_VENDOR_ID": "0483", "ID_PATH": PORTS["@SCANNER_KBD_PORT@"]}
    assert run(filled, Event("input", "event4", generic)).symlinks == {"kiosk/scanner-kbd"}


def test_usb_printers(filled):
    lp = Event("usbmisc", "lp0", {"ID_PATH": PORTS["@TICKET_USB_PORT@"]})
    assert run(filled, lp) == Result({"kiosk/ticket"}, "kiosk", "0660", {"systemd"})
    other_lp = run(filled, Event("usbmisc", "lp1", {"ID_PATH": "pci-x-usb-0:8:1.0"}))
    assert other_lp.symlinks == set() and other_lp.group == "kiosk"
    raw = Event("usb", "1-3", {"DEVTYPE": "usb_device", "ID_USB_INTERFACES": ":070102:"})
    assert (run(filled, raw).group, run(filled, raw).mode) == ("kiosk", "0660")
    hub = Event("usb", "1-0", {"DEVTYPE": "usb_device", "ID_USB_INTERFACES": ":090000:"})
    assert run(filled, hub) == Result()


def test_removal_is_left_to_udev(filled):
    ev = tty("1a86", "7523", PORTS["@IDREADER_PORT@"])
    ev.action = "remove"
    assert run(filled, ev) == Result()


def _udevadm_verify_unavailable() -> str | None:
    udevadm = shutil.which("udevadm")
    if udevadm is None:
        return "udevadm not installed"
    probe = subprocess.run([udevadm, "verify", "--help"], capture_output=True, text=True)
    return None if probe.returncode == 0 else "udevadm has no 'verify' (systemd < 253; Debian 12 ships 252)"


@pytest.mark.skipif(_udevadm_verify_unavailable() is not None, reason=str(_udevadm_verify_unavailable()))
def test_udevadm_verify():
    proc = subprocess.run(["udevadm", "verify", "--resolve-names=never", str(RULES)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
