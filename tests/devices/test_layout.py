"""The device layer's shape, held by a test: test peers stay out of production, modules stay small."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("kiosk", "devices")
LIMIT = 400
# module -> why it is longer than LIMIT
LONG = {
    "devices/document_printer/ipp_codec.py": "one RFC 8010 codec: its tag tables, encoder and decoder read as one",
    "devices/testing/escpos_decode.py": "the independent decoder the encoder is checked against; one state machine",
    "devices/testing/ipp_server.py": "a test peer wrapping ippeveprinter and dbus; no production code",
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def production_modules():
    for top in PRODUCTION:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "testing" not in path.relative_to(ROOT).parts:
                yield path


def test_production_code_never_imports_test_peers_or_tests():
    bad = sorted(f"{p.relative_to(ROOT)} imports {m}" for p in production_modules() for m in imports(p)
                 if m.startswith(("devices.testing", "tests.")) or m == "tests")
    assert bad == []


def test_no_device_module_is_long_without_a_reason():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / "devices").rglob("*.py")}
    assert {m: n for m, n in sizes.items() if n > LIMIT and m not in LONG} == {}
    assert all(sizes.get(m, 0) > LIMIT for m in LONG), "a listed module got short: take it off the list"
