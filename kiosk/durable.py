"""Small files that must survive a power cut: restart times, session counters, salts.

Writing a temporary file, fsyncing it and renaming it over the old one is
not enough: the rename lives in the directory, and until the directory is
fsynced a power cut can bring back the old file. The OS image's boot test
caught exactly that (a restart counted, then lost when qemu was killed).
"""
from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that after a crash it holds either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
