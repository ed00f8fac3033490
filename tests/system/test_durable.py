"""write_atomically: the old or the new content after a crash, never a torn or missing file."""
import os
import stat

from kiosk.system.durable import write_atomically


def test_replaces_the_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "state" / "restarts.json"
    write_atomically(target, b"[1]")
    write_atomically(target, b"[1, 2]")
    assert target.read_bytes() == b"[1, 2]"
    assert sorted(p.name for p in target.parent.iterdir()) == ["restarts.json"]


def test_secrets_are_created_owner_only(tmp_path):
    target = tmp_path / "journal.salt"
    write_atomically(target, b"x" * 32, mode=0o600)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_the_directory_is_synced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(stat.S_ISDIR(os.fstat(fd).st_mode)), real_fsync(fd)))
    write_atomically(tmp_path / "seq", b"7")
    assert synced == [False, True]  # the file's data, then the directory holding the rename
