"""A one-item bundle in a temporary folder, linted: the shape every linter test starts from."""
from pathlib import Path

from kiosk.flow.bundle import check_paths


def write_item(root: Path, services: str, flow: str, files: dict | None = None) -> Path:
    """services.yaml at `root`, and item/flow.yaml with its `files` (templates and the like); the item's folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "services.yaml").write_text(services)
    folder = root / "item"
    folder.mkdir(exist_ok=True)
    (folder / "flow.yaml").write_text(flow)
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder


def lint_item(root: Path, services: str, flow: str, files: dict | None = None) -> list:
    """The linter's problems for that bundle, which must hold exactly the one flow."""
    write_item(root, services, flow, files)
    problems, count = check_paths([root])
    assert count == 1
    return problems
