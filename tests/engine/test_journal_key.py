"""The journal's pseudonym cannot be reversed from what the kiosk keeps on its disk.

An ID number is a district (6 digits), a birth date, a 3-digit sequence and a
check digit: knowing the district and the birth year leaves 365,000 candidates.
With the HMAC key anywhere on the data partition, an attacker who takes the
disk hashes them all and reads the number back. These tests run exactly that
attack on what a visit leaves under var_dir.
"""
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import stat
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from kiosk import config
from kiosk.journal import Journal
from kiosk.system.durable import write_atomically
from kiosk.system.restarts import RestartCounter
from kiosk.fleet.outbox import Outbox

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
DISTRICT, YEAR = "110105", 1985


def with_check_digit(first17: str) -> str:
    return first17 + CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


PLANTED = with_check_digit(f"{DISTRICT}{YEAR}0104" + "123")


def candidates(district: str, year: int):
    """Every ID number with a valid check digit for a district and a birth year."""
    day = dt.date(year, 1, 1)
    while day.year == year:
        for seq in range(1000):
            yield with_check_digit(f"{district}{day:%Y%m%d}{seq:03d}")
        day += dt.timedelta(days=1)


def key_material(var_dir: Path) -> list[bytes]:
    """What an attacker would try as the key: every small file, raw, stripped and hex-decoded, and any
    64-hex-digit string in any file."""
    found = []
    for p in var_dir.rglob("*"):
        if not p.is_file():
            continue
        data = p.read_bytes()
        if len(data) <= 256:
            found += [data, data.strip()]
            try:
                found.append(bytes.fromhex(data.strip().decode("ascii")))
            except ValueError:
                pass
        found += [bytes.fromhex(m.decode()) for m in re.findall(rb"[0-9a-fA-F]{64}", data)]
    return list(dict.fromkeys(found))


def journal_citizens(var_dir: Path) -> set[str]:
    """The pseudonyms, read as the attacker reads them: with sqlite3, not the kiosk's code."""
    with contextlib.closing(sqlite3.connect(var_dir / "journal.db")) as db:
        return {c for (c,) in db.execute("SELECT citizen FROM transactions WHERE citizen IS NOT NULL")}


def brute_force(var_dir: Path, district: str, year: int, keys: list[bytes] | None = None) -> str | None:
    """The attack: every candidate ID number, HMACed with every key found on disk, against the journal."""
    targets = journal_citizens(var_dir)
    if not targets:
        return None
    for key in (key_material(var_dir) if keys is None else keys):
        base = hmac.new(key, digestmod=hashlib.sha256)
        for id_number in candidates(district, year):
            h = base.copy()
            h.update(id_number.encode())
            if h.hexdigest()[:32] in targets:
                return id_number
    return None


def plant_visit(journal: Journal) -> None:
    now = dt.datetime(2026, 3, 2, 9, 0)
    journal.started("s1", "social-security-certificate", "1.0.0", "abc", now)
    journal.ended("s1", now, "completed", "end step", documents=["K1-20260302-1"], tickets=[], id_number=PLANTED,
                  duration_ms=5)
    journal.close()


def kiosk_toml(tmp_path: Path, journal: str = "") -> Path:
    f = tmp_path / "kiosk.toml"
    flows = Path(__file__).resolve().parents[2] / "flows"  # a real bundle, so the key is the only problem
    f.write_text(f'var_dir = "var"\n[kiosk]\nid = "K1"\n[flows]\npath = "{flows}"\n{journal}')
    return f


def test_with_the_key_on_the_data_partition_the_brute_force_recovers_the_number(tmp_path):
    """The attack works: this is the layout earlier versions had (journal.salt beside journal.db)."""
    var = tmp_path / "var"
    key = secrets.token_bytes(32)
    write_atomically(var / "journal.salt.bak", key)  # any copy of the key on the disk will do
    plant_visit(Journal(var / "journal.db", key=key))
    assert brute_force(var, DISTRICT, YEAR) == PLANTED


def test_a_provisioned_key_leaves_nothing_on_disk_to_reverse_the_pseudonym(tmp_path, monkeypatch):
    key_hex = secrets.token_hex(32)
    monkeypatch.setenv("KIOSK_JOURNAL_KEY", key_hex)
    cfg = config.load(kiosk_toml(tmp_path, '[journal]\nkey_env = "KIOSK_JOURNAL_KEY"\n'))
    key = cfg.journal.key(cfg.var_dir)
    plant_visit(Journal(cfg.var_dir / "journal.db", key=key))
    assert journal_citizens(cfg.var_dir), "the citizen column is kept when a key is provisioned"
    assert brute_force(cfg.var_dir, DISTRICT, YEAR, keys=[key]) == PLANTED  # with the key it would fall...
    assert brute_force(cfg.var_dir, DISTRICT, YEAR) is None  # ...but the key is nowhere on the disk
    raw = b"".join(p.read_bytes() for p in cfg.var_dir.rglob("*") if p.is_file())
    assert key not in raw and key_hex.encode() not in raw and PLANTED.encode() not in raw


def test_without_a_key_the_journal_records_no_citizen_and_says_so_once(tmp_path):
    var = config.load(kiosk_toml(tmp_path)).var_dir
    with capture_logs() as logs:
        journal = Journal(var / "journal.db")  # no [journal] key configured
        plant_visit(journal)
    assert brute_force(var, DISTRICT, YEAR) is None  # (earlier versions: the salt beside it gave the number back)
    assert journal_citizens(var) == set() and not journal.pseudonymous
    assert [e["event"] for e in logs] == ["journal.no_key"]
    (row,) = Journal(var / "journal.db").rows()
    assert row["result"] == "completed" and row["documents"] == '["K1-20260302-1"]'


def test_an_old_on_disk_salt_and_the_pseudonyms_made_with_it_are_erased(tmp_path):
    var = tmp_path / "var"
    salt = secrets.token_bytes(32)
    plant_visit(Journal(var / "journal.db", key=salt))  # what an older version left behind:
    write_atomically(var / "journal.salt", salt)  # pseudonyms, and their key beside them
    (old,) = journal_citizens(var)
    assert brute_force(var, DISTRICT, YEAR) == PLANTED
    Journal(var / "journal.db", key=secrets.token_bytes(32)).close()  # the upgraded kiosk starts
    assert not (var / "journal.salt").exists()
    assert journal_citizens(var) == set()
    raw = b"".join(p.read_bytes() for p in var.rglob("*") if p.is_file())
    assert salt not in raw and old.encode() not in raw  # not left in a free page or the write-ahead log either


# --- a provisioned key that is unusable stops the start -----------------------------------------------------------

@pytest.mark.parametrize("value, problem", [("abc", "64 hex digits"), ("z" * 64, "64 hex digits"),
                                            ("00" * 31, "64 hex digits"), ("00" * 33, "64 hex digits")])
def test_a_corrupt_key_in_the_environment_is_a_located_error(tmp_path, monkeypatch, value, problem):
    monkeypatch.setenv("KJ", value)
    cfg = config.load(kiosk_toml(tmp_path, '[journal]\nkey_env = "KJ"\n'))
    with pytest.raises(config.ConfigError, match=rf"^journal\.key_env: \$KJ: .*{problem}"):
        cfg.journal.key(cfg.var_dir)
    assert not (cfg.var_dir / "journal.salt").exists()


def test_a_missing_environment_variable_is_an_error_not_a_new_key(tmp_path, monkeypatch):
    monkeypatch.delenv("KJ", raising=False)
    cfg = config.load(kiosk_toml(tmp_path, '[journal]\nkey_env = "KJ"\n'))
    with pytest.raises(config.ConfigError, match=r"journal\.key_env: \$KJ: not set"):
        cfg.journal.key(cfg.var_dir)


def other_file_system(tmp_path: Path) -> Path:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second file system to hold the key")
    d = shm / f"kiosk-test-{secrets.token_hex(4)}"
    d.mkdir(mode=0o700)
    return d


@pytest.fixture
def elsewhere(tmp_path):
    d = other_file_system(tmp_path)
    yield d
    for p in d.iterdir():
        p.unlink()
    d.rmdir()


def test_a_key_file_outside_the_data_partition_is_used(tmp_path, elsewhere):
    key_hex = secrets.token_hex(32)
    (elsewhere / "journal-key").write_text(key_hex + "\n")
    (elsewhere / "journal-key").chmod(0o400)
    cfg = config.load(kiosk_toml(tmp_path, f'[journal]\nkey_file = "{elsewhere}/journal-key"\n'))
    assert cfg.journal.key(cfg.var_dir) == bytes.fromhex(key_hex)


@pytest.mark.parametrize("content, mode, problem", [
    ("nothex" * 10 + "abcd", 0o600, "64 hex digits"),
    (secrets.token_hex(16), 0o600, "64 hex digits"),
    (secrets.token_hex(32), 0o644, "every user"),
    (None, 0o600, "cannot read"),
])
def test_a_corrupt_unreadable_or_exposed_key_file_is_a_located_error(tmp_path, elsewhere, content, mode, problem):
    key_file = elsewhere / "journal-key"
    if content is not None:
        key_file.write_text(content)
        key_file.chmod(mode)
    cfg = config.load(kiosk_toml(tmp_path, f'[journal]\nkey_file = "{key_file}"\n'))
    with pytest.raises(config.ConfigError, match=rf"^journal\.key_file: {key_file}: .*{problem}"):
        cfg.journal.key(cfg.var_dir)


def test_a_key_file_on_the_data_partition_is_refused(tmp_path):
    (tmp_path / "var").mkdir()
    key_file = tmp_path / "journal-key"  # same file system as var_dir
    key_file.write_text(secrets.token_hex(32))
    key_file.chmod(0o600)
    cfg = config.load(kiosk_toml(tmp_path, f'[journal]\nkey_file = "{key_file}"\n'))
    with pytest.raises(config.ConfigError, match=r"journal\.key_file: .*same file system as var_dir"):
        cfg.journal.key(cfg.var_dir)


def test_both_sources_or_a_relative_key_file_are_refused_at_load(tmp_path):
    for section, problem in (('key_env = "A"\nkey_file = "/run/k"\n', "not both"),
                             ('key_file = "k"\n', "absolute")):
        with pytest.raises(config.ConfigError, match=rf"journal: .*{problem}"):
            config.load(kiosk_toml(tmp_path, f"[journal]\n{section}"))


# --- what the kiosk keeps is readable by the kiosk user alone -----------------------------------------------------

def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


async def test_databases_and_state_files_are_created_owner_only(tmp_path):
    var = tmp_path / "var"
    previous = os.umask(0o022)  # the usual umask: nothing here may rely on a stricter one
    try:
        journal, outbox, queue = await make_each_kind_of_state(var)
    finally:
        os.umask(previous)
    files = {p.name: mode(p) for p in var.iterdir()}  # while the databases are open: their -wal and -shm exist
    journal.close()
    outbox.close()
    await queue.close()
    assert {"journal.db", "journal.db-wal", "journal.db-shm", "outbox.db", "outbox.db-wal", "queue.db",
            "queue.db-wal", "restarts.json", "mqtt_session_seq"} <= set(files)
    assert {name: m for name, m in files.items() if m != 0o600} == {}


async def make_each_kind_of_state(var: Path):
    from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider

    journal = Journal(var / "journal.db", key=secrets.token_bytes(32))
    journal.started("s1", "queue-ticket", "1.0.0", "abc", dt.datetime(2026, 3, 2, 9, 0))
    outbox = Outbox(var / "outbox.db")
    outbox.put("t", '{"a": 1}')
    queue = SqliteQueueProvider(var / "queue.db", {"social": "A"})
    await queue.take_number("social", "社保", request_id="r1")
    RestartCounter(var / "restarts.json").record_start()
    write_atomically(var / "mqtt_session_seq", b"7")  # how the MQTT reporter keeps its counter
    return journal, outbox, queue


def test_a_database_an_older_version_left_world_readable_is_narrowed(tmp_path):
    Journal(tmp_path / "journal.db", key=None).close()
    os.chmod(tmp_path / "journal.db", 0o644)
    Journal(tmp_path / "journal.db", key=None).close()
    assert mode(tmp_path / "journal.db") == 0o600


def test_the_demo_makes_a_key_for_its_run_only(tmp_path, monkeypatch):
    from kiosk.demo.settings import demo_journal

    monkeypatch.setenv("KIOSK_DEMO_JOURNAL_KEY", "")  # so that the key the demo sets is undone after the test
    journal = demo_journal(config.JournalConfig())
    assert len(journal.key(tmp_path)) == 32 and not list(tmp_path.iterdir())  # in the environment, not on disk
    configured = config.JournalConfig(key_env="OWN")
    assert demo_journal(configured) is configured  # a demo configuration with its own key keeps it


def test_kiosk_run_with_an_unusable_key_stops_with_one_located_line(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    cfg = kiosk_toml(tmp_path, '[journal]\nkey_env = "KIOSK_TEST_JOURNAL_KEY"\n')
    env = {**os.environ, "PYTHONPATH": str(root), "KIOSK_TEST_JOURNAL_KEY": "not-a-key"}
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "--config", str(cfg), "run", "--windowed"], cwd=root,
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"{cfg}: journal.key_env: $KIOSK_TEST_JOURNAL_KEY: not a journal key: expected 64 hex digits "
        "(make one with `openssl rand -hex 32`)"]
    assert not (tmp_path / "var" / "journal.db").exists()  # nothing was started
