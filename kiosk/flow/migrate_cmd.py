"""`kiosk flows migrate`: rewrite old-format files so the in-memory migration can one day be dropped."""
from __future__ import annotations

import io
import sys
from pathlib import Path

from ruamel.yaml import YAML

from kiosk.flow.loader import load_file
from kiosk.flow.migrate import migrate
from kiosk.flow.model import FORMAT_VERSION
from kiosk.flow.problems import ProblemsError


def migrate_files(files: list[str], *, write: bool) -> int:
    status = 0
    for name in files:
        path = Path(name)
        try:
            loaded = load_file(path)  # validates the migrated result before anything is written
        except ProblemsError as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        if loaded.migrated_from == FORMAT_VERSION:
            print(f"{name}: already format {FORMAT_VERSION}", file=sys.stderr)
            continue
        doc, _ = migrate(loaded.located.data)
        yaml = YAML()
        yaml.version = None
        yaml.allow_unicode = True
        yaml.width = 120
        buf = io.StringIO()
        yaml.dump(doc, buf)
        if write:
            path.write_text(buf.getvalue(), encoding="utf-8")
            print(f"{name}: format {loaded.migrated_from} -> {FORMAT_VERSION}", file=sys.stderr)
        else:
            sys.stdout.write(buf.getvalue())
    return status
