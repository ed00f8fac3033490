"""Local queue numbering: never a duplicate, never a lost number, across days, restarts, processes and kill -9."""
import asyncio
import contextlib
import datetime as dt
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from devices.errors import ConfigError
from devices.status import Reason
from devices.ticket_dispenser.queue import QueueError, QueueUnavailable
from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider

ROOT = Path(__file__).resolve().parents[3]
CST = dt.timezone(dt.timedelta(hours=8))  # China Standard Time, no daylight saving
MONDAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)


class Clock:
    """The wall clock, set by the test."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
async def make(tmp_path):
    made = []

    def make(prefixes=None, clock=None, path=None, **kw):
        q = SqliteQueueProvider(path or tmp_path / "q.db", {"social": "A", "housing": "B"} if prefixes is None
                                else prefixes, clock=clock or Clock(MONDAY), **kw)
        made.append(q)
        return q

    yield make
    for q in made:
        await q.close()


async def take(q, rid, category="social"):
    return await q.take_number(category, "社保业务", request_id=rid)


async def test_each_category_counts_up_from_001_under_its_prefix(make):
    q = make()
    a1, a2, b1 = await take(q, "r1"), await take(q, "r2"), await take(q, "r3", "housing")
    assert (a1.number, a2.number, b1.number) == ("A001", "A002", "B001")
    assert (a1.waiting_ahead, a2.waiting_ahead, b1.waiting_ahead) == (0, 1, 0)
    assert (a1.category, a1.issued_at, a1.est_wait_min) == ("social", MONDAY, None)


async def test_a_category_named_by_its_letter_shares_that_counter_and_unknown_ones_are_refused(make):
    q = make(prefixes={"social": "A"})
    assert (await take(q, "r1")).number == "A001"
    assert (await take(q, "r2", "A")).number == "A002"  # the flow may name the prefix itself
    with pytest.raises(QueueError, match="no number prefix") as err:
        await take(q, "r3", "misc")
    assert err.value.reason == Reason.NOT_CONFIGURED


async def test_the_same_request_id_gets_the_same_number_even_after_a_restart(make, tmp_path):
    clock = Clock(MONDAY)
    q = make(clock=clock)
    first = await take(q, "visit-1")
    await q.close()
    clock.now = MONDAY + dt.timedelta(minutes=5)
    again = make(clock=clock)
    reprint = await take(again, "visit-1")
    assert (reprint.number, reprint.issued_at) == ("A001", MONDAY)  # the first issue time, not the re-print's
    assert (await take(again, "visit-2")).number == "A002"


async def test_a_request_id_cannot_change_category(make):
    q = make()
    await take(q, "visit-1", "social")
    with pytest.raises(QueueError, match="another category"):
        await take(q, "visit-1", "housing")


async def test_waiting_ahead_is_issued_minus_called(make):
    q = make()
    for i in range(3):
        await take(q, f"r{i}")
    assert await q.mark_called("A001") is True
    assert await q.mark_called("A001") is False  # already called
    assert await q.mark_called("A999") is False  # never issued
    assert (await take(q, "r2")).waiting_ahead == 1  # re-print of A003: only A002 still waits
    assert (await take(q, "r3")).waiting_ahead == 2  # A004: A002 and A003
    with pytest.raises(QueueError):
        await q.mark_called("x1")


async def test_numbering_starts_again_at_the_reset_time(make):
    clock = Clock(MONDAY)
    q = make(clock=clock, reset_time="04:00")
    await take(q, "mon-1")
    clock.now = dt.datetime(2026, 3, 3, 3, 59, tzinfo=CST)  # Tuesday night: still Monday's queue
    assert (await take(q, "mon-2")).number == "A002"
    clock.now = dt.datetime(2026, 3, 3, 4, 0, tzinfo=CST)
    assert (await take(q, "tue-1")).number == "A001"


async def test_a_request_retried_after_the_reset_gets_a_number_of_the_new_day(make):
    clock = Clock(dt.datetime(2026, 3, 2, 23, 59, 58, tzinfo=CST))
    q = make(clock=clock)
    await take(q, "other")
    assert (await take(q, "late")).number == "A002"
    clock.now = dt.datetime(2026, 3, 3, 0, 0, 3, tzinfo=CST)  # paper fault across midnight: yesterday's A002 is void
    assert (await take(q, "late")).number == "A001"


async def test_a_clock_jumping_back_never_restarts_numbering(make):
    clock = Clock(MONDAY + dt.timedelta(days=1))
    q = make(clock=clock)
    await take(q, "r1")
    await take(q, "r2")
    clock.now = dt.datetime(1970, 1, 1, 8, 0, tzinfo=CST)  # RTC battery dead, NTP not yet synchronised
    with capture_logs() as logs:
        assert (await take(q, "r3")).number == "A003"  # not a second A001 today
    assert [e["event"] for e in logs].count("queue.clock_behind") == 1
    clock.now = MONDAY + dt.timedelta(days=2)
    assert (await take(q, "r4")).number == "A001"


async def test_past_the_last_number_numbers_widen_instead_of_wrapping(make):
    q = make(digits=1)
    numbers = [(await take(q, f"r{i}")).number for i in range(11)]
    assert numbers[8:] == ["A9", "A10", "A11"]  # with digits=3 the same rule gives A999 -> A1000
    assert await q.mark_called("A10") is True


async def test_old_days_are_purged_when_a_new_day_starts(make, tmp_path):
    clock = Clock(MONDAY)
    q = make(clock=clock, retention_days=2)
    await take(q, "mon")
    clock.now = MONDAY + dt.timedelta(days=3)
    await take(q, "thu")
    assert query(tmp_path / "q.db", "SELECT day FROM queue_numbers") == [("2026-03-05",)]


def test_configuration_is_checked_when_built_and_nothing_is_written(tmp_path):
    for bad in ({"prefixes": {"s": "a1"}}, {"digits": 0}, {"reset_time": "24:00"}, {"reset_time": "7:00"}):
        with pytest.raises(ConfigError):
            SqliteQueueProvider(tmp_path / "q.db", **bad)
    SqliteQueueProvider(tmp_path / "sub" / "q.db")
    assert list(tmp_path.iterdir()) == []  # no file until the provider is opened or used


async def test_durable_settings_wal_and_synchronous_full(make, tmp_path):
    q = make()
    await q.open()
    assert query(tmp_path / "q.db", "PRAGMA journal_mode") == [("wal",)]
    assert await q._call(lambda: q._connection().execute("PRAGMA synchronous").fetchone()[0]) == 2  # FULL


async def test_an_unusable_folder_is_a_queue_error(tmp_path):
    (tmp_path / "file").write_text("")
    q = SqliteQueueProvider(tmp_path / "file" / "q.db", {"s": "A"})
    with pytest.raises(QueueError) as err:
        await q.open()
    assert err.value.reason == Reason.NOT_CONFIGURED
    await q.close()


async def test_a_locked_database_waits_off_the_event_loop(make, tmp_path):
    q = make(busy_timeout=5.0)
    await q.open()
    with contextlib.closing(sqlite3.connect(tmp_path / "q.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        task = asyncio.create_task(take(q, "r1"))
        started = time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=0.2)
        assert not done and time.monotonic() - started < 1.0  # the loop kept running while the worker waited
        other.execute("COMMIT")
    assert (await task).number == "A001"


async def test_a_database_locked_too_long_is_unavailable(make, tmp_path):
    q = make(busy_timeout=0.1)
    await q.open()
    with contextlib.closing(sqlite3.connect(tmp_path / "q.db", isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(QueueUnavailable):
            await take(q, "r1")
        other.execute("ROLLBACK")
    assert (await take(q, "r1")).number == "A001"


async def test_concurrent_calls_in_one_process_never_share_a_number(make):
    q = make()
    numbers = await asyncio.gather(*(take(q, f"r{i}") for i in range(20)))
    assert sorted(n.number for n in numbers) == [f"A{i:03d}" for i in range(1, 21)]


# --------------------------------------------------------------------------- other processes

CHILD = r"""
import asyncio, datetime as dt, sys
sys.path.insert(0, sys.argv[1])
import structlog
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout carries only numbers
from devices.ticket_dispenser.queue_sqlite import SqliteQueueProvider
path, now, tag = sys.argv[2], dt.datetime.fromisoformat(sys.argv[3]), sys.argv[4]
count, then = int(sys.argv[5]), sys.argv[6]

async def main():
    q = SqliteQueueProvider(path, {"s": "A"}, clock=lambda: now, busy_timeout=10)
    for i in range(count):
        n = await q.take_number("s", "x", request_id=f"{tag}-{i}")
        sys.stdout.write(n.number + "\n")
        sys.stdout.flush()
    if then == "hang":  # stands for a printer that never finishes: the test kills us here
        sys.stdin.readline()
    await q.close()

asyncio.run(main())
"""


@pytest.fixture
async def spawn():
    """Start a child that takes numbers; whatever a test leaves running is killed and reaped."""
    procs = []

    async def spawn(path, tag, count, then="exit"):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, str(ROOT), str(path), MONDAY.isoformat(), tag, str(count), then,
            stdin=subprocess.PIPE if then == "hang" else subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    yield spawn
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        if proc.stdin is not None:
            proc.stdin.close()
        await asyncio.wait_for(proc.communicate(), 10)


async def read_numbers(proc, n):
    out = []
    for _ in range(n):
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        assert line, "the child ended early"
        out.append(line.decode().strip())
    return out


def query(path, sql):
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(sql).fetchall()


async def test_concurrent_processes_never_share_a_number(make, spawn, tmp_path):
    await make(prefixes={"s": "A"}).open()
    procs = [await spawn(tmp_path / "q.db", f"p{i}", 40) for i in range(3)]
    numbers = sum(await asyncio.gather(*(read_numbers(p, 40) for p in procs)), [])
    assert [await asyncio.wait_for(p.wait(), 10) for p in procs] == [0, 0, 0]
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 121)]


async def test_kill_9_while_allocating_never_duplicates_or_corrupts(spawn, tmp_path):
    path = tmp_path / "q.db"
    seen = []
    for round_ in range(3):
        proc = await spawn(path, f"round{round_}", 100_000)
        seen += await read_numbers(proc, 25)
        proc.kill()  # SIGKILL somewhere in the loop: mid-transaction, or between commit and "print"
        assert await asyncio.wait_for(proc.wait(), 10) == -9
    assert len(seen) == len(set(seen)) == 75
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    seqs = [seq for (seq,) in query(path, "SELECT seq FROM queue_numbers ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))  # no duplicate, no gap: a killed transaction left nothing
    assert {int(n[1:]) for n in seen} <= set(seqs)  # every number a child saw is on record
    later = await spawn(path, "after", 3)
    assert [int(n[1:]) for n in await read_numbers(later, 3)] == [len(seqs) + 1, len(seqs) + 2, len(seqs) + 3]
    assert await asyncio.wait_for(later.wait(), 10) == 0


async def test_kill_9_between_allocation_and_print_keeps_the_number_for_the_retry(make, spawn, tmp_path):
    path = tmp_path / "q.db"
    proc = await spawn(path, "visit", 1, then="hang")
    (number,) = await read_numbers(proc, 1)
    proc.kill()
    assert await asyncio.wait_for(proc.wait(), 10) == -9
    q = make(prefixes={"s": "A"}, path=path)
    assert (await q.take_number("s", "x", request_id="visit-0")).number == number == "A001"  # the re-print
    assert (await q.take_number("s", "x", request_id="next")).number == "A002"
