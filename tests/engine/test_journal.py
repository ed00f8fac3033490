"""The journal keeps every acknowledged record through kill -9 and holds no personal data."""
import datetime as dt
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from kiosk.journal import Journal

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import datetime as dt, sys
from kiosk.journal import Journal
j = Journal(sys.argv[1], key=bytes(32))
now = dt.datetime(2026, 3, 2, 9, 0)
i = 0
while True:
    j.started(f"s{i}", "queue-ticket", "1.0.0", "abc", now)
    j.ended(f"s{i}", now, "completed", "end step", documents=[f"D{i}"], tickets=["A001"],
            id_number="11010519491231002X", duration_ms=1000)
    print(i, flush=True)
    i += 1
"""


def test_every_acknowledged_record_survives_kill_9(tmp_path):
    db = tmp_path / "journal.db"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    acknowledged = -1
    for line in proc.stdout:
        acknowledged = int(line)
        if acknowledged >= 40:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    done = con.execute("SELECT COUNT(*) FROM transactions WHERE result = 'completed'").fetchone()[0]
    assert done >= acknowledged + 1
    torn = con.execute("SELECT COUNT(*) FROM transactions WHERE result IS NOT NULL AND ended_at IS NULL").fetchone()[0]
    assert torn == 0


def test_no_personal_data_only_a_keyed_hash(tmp_path):
    key = secrets.token_bytes(32)
    j = Journal(tmp_path / "j.db", key=key)
    now = dt.datetime(2026, 3, 2, 9, 0)
    j.started("s1", "social-security-certificate", "1.0.0", "abc", now)
    j.ended("s1", now, "completed", "end step", documents=["K1-20260302-1"], tickets=[],
            id_number="11010519491231002X", duration_ms=5)
    j.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"11010519491231002X" not in raw and "11010519491231002X".encode("utf-16-le") not in raw
    assert key not in raw and key.hex().encode() not in raw
    (row,) = Journal(tmp_path / "j.db", key=key).rows()
    assert row["citizen"] == Journal(tmp_path / "j.db", key=key).citizen_hash("11010519491231002X")  # visits link
    other = Journal(tmp_path / "other" / "j.db", key=secrets.token_bytes(32))
    assert other.citizen_hash("11010519491231002X") != row["citizen"]  # across kiosks with other keys, they do not
