"""Small files that must survive a power cut (restart times, session counters, lockouts), owner-only.

Writing a temporary file, fsyncing it and renaming it over the old one is
not enough: the rename lives in the directory, and until the directory is
fsynced a power cut can bring back the old file. The OS image's boot test
caught exactly that (a restart counted, then lost when qemu was killed).

Everything the kiosk keeps is readable by the kiosk user alone (0600): the
journal, the outbox and the queue database describe who came when, and a
state file another local user could read is one they could learn from.
"""
from __future__ import annotations

import os
from pathlib import Path


OWNER_ONLY = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def write_atomically(path: Path, data: bytes, mode: int = OWNER_ONLY) -> None:
    """Replace `path` with `data` so that after a crash it holds either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # O_CREAT keeps the mode of a temporary a crash left behind
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


def owner_only_database(path: Path) -> None:
    """Create (or narrow) an SQLite database file as 0600 before SQLite opens it.

    SQLite gives its -wal and -shm files the mode of the database file, so a
    database created 0600 keeps its companions 0600 too; files left 0644 by
    an older version are narrowed here.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, OWNER_ONLY))
    for p in (path, *(path.with_name(path.name + s) for s in SQLITE_COMPANIONS)):
        try:
            os.chmod(p, OWNER_ONLY)
        except FileNotFoundError:
            pass
