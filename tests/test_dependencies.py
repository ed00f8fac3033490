"""Declared dependencies are exactly the imported ones, and the lock holds every one of them.

Why: PyYAML was imported by the flow loader but never declared; it arrived only
because python-escpos (declared, imported nowhere) happened to pull it in. A
fresh machine then got whatever PyYAML was newest, and the suite failed. Here
every import is traced to the distribution that provides it, and that
distribution must be named in pyproject.toml; every name there must be
imported (or be listed below with the reason it is not); and every
distribution must be pinned, with hashes, in requirements/.
"""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OWN = {"kiosk", "devices", "wire", "backoffice", "tests", "bench"}  # this repository's own top-level packages
RUNTIME_CODE = ("kiosk", "devices", "wire")
BACKOFFICE_CODE = ("backoffice",)  # the server: the runtime group plus its own, never on a kiosk
DEV_CODE = ("tests", "bench")
# Declared, yet no module imports them: each with the reason it is declared anyway.
NOT_IMPORTED = {
    "pytest-asyncio": "a pytest plugin, loaded by its entry point (asyncio_mode = auto in pyproject.toml)",
    # Declared for this wave's work in progress; each entry goes when its first import lands.
    # kiosk.ui sets KIVY_VIDEO=ffpyplayer; kivy.core.video then imports it by that name.
    "ffpyplayer": "Kivy's video provider, loaded by Kivy by name for the media area (kiosk.ui.media)",
    "psycopg": "loaded by SQLAlchemy for postgresql+psycopg:// database URLs (backoffice)",
}


def normalize(name: str) -> str:
    """PEP 503 form, so 'ruamel.yaml', 'ruamel-yaml' and 'Ruamel_YAML' compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


RUNTIME = {requirement_name(r) for r in PROJECT["dependencies"]}
DEV = {requirement_name(r) for r in PROJECT["optional-dependencies"]["dev"]}
BACKOFFICE = {requirement_name(r) for r in PROJECT["optional-dependencies"]["backoffice"]}


def imports(source: str, filename: str):
    """(top-level module name, line) of every absolute import, wherever it sits (functions, try blocks)."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno


def third_party(sources: dict[str, str]):
    """(file, line, module, distributions providing it) for every import that is neither stdlib nor ours."""
    providers = packages_distributions()
    for filename, source in sorted(sources.items()):
        for module, line in imports(source, filename):
            if module in sys.stdlib_module_names or module in OWN:
                continue
            yield filename, line, module, {normalize(d) for d in providers.get(module, ())}


def undeclared(sources: dict[str, str], declared: set[str]) -> list[str]:
    """One located line per import whose distribution pyproject.toml does not declare."""
    found = []
    for filename, line, module, dists in third_party(sources):
        if not dists:
            found.append(f"{filename}:{line}: imports {module}, which no installed distribution provides")
        elif not dists & declared:
            found.append(f"{filename}:{line}: imports {module} from {'/'.join(sorted(dists))}, "
                         "which pyproject.toml does not declare")
    return found


def imported_distributions(sources: dict[str, str]) -> set[str]:
    return {d for *_, dists in third_party(sources) for d in dists}


def sources_under(*folders: str) -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))}


def test_the_runtime_imports_only_what_it_declares():
    assert undeclared(sources_under(*RUNTIME_CODE), RUNTIME) == []


def test_the_back_office_imports_only_the_runtime_and_its_own_group():
    assert undeclared(sources_under(*BACKOFFICE_CODE), RUNTIME | BACKOFFICE) == []


def test_the_kiosk_would_fail_the_check_if_it_imported_the_back_offices_group():
    planted = {"kiosk/planted.py": "import sqlalchemy\n"}
    assert undeclared(planted, RUNTIME) == [
        "kiosk/planted.py:1: imports sqlalchemy from sqlalchemy, which pyproject.toml does not declare"]


def test_tests_and_benchmarks_import_only_runtime_and_dev_dependencies():
    assert undeclared(sources_under(*DEV_CODE), RUNTIME | DEV | BACKOFFICE) == []


def test_every_declared_dependency_is_imported_or_has_a_reason():
    runtime_used = imported_distributions(sources_under(*RUNTIME_CODE))
    dev_used = imported_distributions(sources_under(*DEV_CODE))
    backoffice_used = imported_distributions(sources_under(*BACKOFFICE_CODE))
    unused = (RUNTIME - runtime_used) | (DEV - dev_used - runtime_used) | (BACKOFFICE - backoffice_used)
    assert unused - set(NOT_IMPORTED) == set(), "declared but imported nowhere: remove, or say why in NOT_IMPORTED"
    assert set(NOT_IMPORTED) - unused == set(), "imported now: remove it from NOT_IMPORTED"


def test_an_import_that_only_arrives_transitively_is_caught_with_its_location():
    # requests is installed (Kivy depends on it) but the kiosk does not declare it:
    # exactly how PyYAML used to be importable without being declared.
    planted = {"kiosk/planted.py": '"""doc"""\nimport json\n\ndef f():\n    import requests.adapters\n'}
    assert undeclared(planted, RUNTIME) == [
        "kiosk/planted.py:5: imports requests from requests, which pyproject.toml does not declare"]


def test_the_flow_loader_would_fail_the_check_without_pyyaml_declared():
    loader = sources_under("kiosk/flow")
    found = undeclared(loader, RUNTIME - {"pyyaml"})
    assert found and all("kiosk/flow/yamlsafe.py" in f and "pyyaml" in f for f in found)


def test_a_test_importing_a_distribution_nobody_declared_is_caught():
    found = undeclared({"tests/test_x.py": "from not_a_real_module_anywhere import x\n"}, RUNTIME | DEV)
    assert found == ["tests/test_x.py:1: imports not_a_real_module_anywhere, "
                     "which no installed distribution provides"]


# The lock: requirements/*.txt, written by `make lock` (uv pip compile --generate-hashes).

def pins(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from a hashed requirements file."""
    out, name = {}, None
    for raw in (ROOT / "requirements" / lock).read_text().splitlines():
        line = raw.strip()
        if m := re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line):
            name = normalize(m.group(1))
            out[name] = (m.group(2), 0)
        elif line.startswith("--hash=sha256:") and name:
            out[name] = (out[name][0], out[name][1] + 1)
    return out


@pytest.mark.parametrize("lock, declared", [("runtime.txt", RUNTIME), ("dev.txt", RUNTIME | DEV | BACKOFFICE)])
def test_every_declared_dependency_is_locked_with_hashes(lock, declared):
    locked = pins(lock)
    assert declared - set(locked) == set(), f"declared but not in requirements/{lock}: run make lock"
    assert [n for n, (_, hashes) in locked.items() if not hashes] == []


def test_the_runtime_lock_is_the_dev_lock_without_the_dev_tools():
    dev = pins("dev.txt")
    assert {n: v for n, (v, _) in pins("runtime.txt").items()} == {
        n: dev[n][0] for n in pins("runtime.txt")}
    assert DEV <= set(dev) - set(pins("runtime.txt"))


def test_the_kiosk_images_lock_carries_no_back_office():
    assert BACKOFFICE & set(pins("runtime.txt")) == set()


def test_pip_and_the_build_backend_are_locked_too():
    build_system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    assert {"pip"} | {requirement_name(r) for r in build_system} <= set(pins("build.txt"))


def test_this_environment_runs_the_locked_versions():
    """The suite's verdict is about the lock only if the lock is what is installed."""
    wrong = {}
    for name, (locked, _) in pins("dev.txt").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != locked:
            wrong[name] = (installed, locked)
    assert wrong == {}, "installed vs locked; run make test (bootstrap) or make lock"
