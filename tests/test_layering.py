"""The architecture, held by a test: which room may import which.

- the engine knows nothing of Kivy: a headless kiosk, a test or the help desk can drive it;
- production code (kiosk/, devices/, wire/) never imports test helpers (devices.testing, tests, pytest);
- wire/, the contract kiosk and back office share, imports neither kiosk nor devices;
- backoffice/, the server, speaks only the wire contract: never kiosk nor devices (Moonraker never imports Klipper);
- nothing imports in a cycle, counting imports inside functions too.

Imports are read from the source (every `import` anywhere in a module), so a
lazy import inside a function is held to the same rules as one at the top.
"""
import ast
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ("kiosk", "devices", "wire", "backoffice")
TEST_ONLY = ("devices.testing", "tests", "pytest", "hypothesis")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(*packages: str) -> dict[str, Path]:
    return {module_name(p): p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))}


MODULES = modules(*PRODUCTION)
PRODUCTION_MODULES = {name: path for name, path in MODULES.items()
                      if not (name == "devices.testing" or name.startswith("devices.testing."))}


def imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) of every import in the file, relative ones resolved; `X import Y` gives X.Y
    when that is a module, else X. Imports under `if TYPE_CHECKING:` count too: a cycle that only type
    annotations need still means two modules cannot be understood apart."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if full in MODULES else base, node.lineno))
    return found


def violations(importers: dict[str, Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: imports {target}"
            for name, path in importers.items() for target, line in imports(name, path)
            if any(target == f or target.startswith(f + ".") for f in forbidden)]


def test_the_engine_imports_no_ui_toolkit_even_inside_functions():
    engine = {n: p for n, p in MODULES.items() if n == "kiosk.engine" or n.startswith("kiosk.engine.")}
    assert engine and violations(engine, ("kivy", "kiosk.ui")) == []


def test_the_engine_and_controller_run_without_loading_kivy():
    code = ("import sys, kiosk.engine.session, kiosk.engine.runner, kiosk.controller, kiosk.scenario.runner, "
            "kiosk.flow.bundle, kiosk.runtime; "
            "bad = sorted(m for m in sys.modules if m.startswith('kivy') or m.startswith('kiosk.ui')); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_devices_opens_nothing():
    drivers = sorted(n for n in MODULES if n.startswith("devices.") and not n.startswith("devices.testing"))
    code = f"import {', '.join(drivers)}; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "ok"


def test_production_code_never_imports_test_helpers():
    assert violations(PRODUCTION_MODULES, TEST_ONLY) == []


def test_the_wire_contract_imports_neither_the_kiosk_nor_the_devices():
    wire = {n: p for n, p in MODULES.items() if n.split(".")[0] == "wire"}
    assert wire and violations(wire, ("kiosk", "devices", *TEST_ONLY)) == []


def test_the_back_office_imports_neither_the_kiosk_nor_the_devices():
    backoffice = {n: p for n, p in MODULES.items() if n.split(".")[0] == "backoffice"}
    assert backoffice and violations(backoffice, ("kiosk", "devices", *TEST_ONLY)) == []


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if state.get(root):
            continue
        path, stack = [root], [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    graph = {}
    for name, path in mods.items():
        edges = set()
        for target, _ in imports(name, path):
            while target and target not in mods:  # `import a.b.X` where X is a name: the module is a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def test_the_cycle_finder_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_imports_in_a_cycle():
    cycle = find_cycle(import_graph(MODULES))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_nothing_outside_the_expression_language_imports_in_a_cycle():
    """Holds today already, so no new cycle slips in while the expression language is being regrouped."""
    rest = {n: p for n, p in MODULES.items() if not n.startswith("kiosk.expr")}
    cycle = find_cycle(import_graph(rest))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
