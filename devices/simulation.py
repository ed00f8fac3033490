"""What every simulated twin shares: named faults, injected on demand or on a schedule.

The twins themselves live beside their real drivers (``devices/<class>/sim.py``)
and are held to the same contract suite. They run only when configuration
names the ``sim`` driver; the runtime never falls back to them. Each twin
reports status exactly as its real driver would, so the engine and the UI
cannot tell the difference.
"""
from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, ClassVar

from devices.base import driver_options
from devices.errors import DeviceOffline, DeviceTimeout, MediaError
from devices.status import Reason

FAULTS = {
    "paper_low": Reason.PAPER_LOW, "paper_out": Reason.PAPER_OUT, "cover_open": Reason.COVER_OPEN,
    "jam": Reason.JAM, "cutter_error": Reason.CUTTER_ERROR, "unplug": Reason.NO_DEVICE,
    "sam_error": Reason.SAM_ERROR, "toner_low": Reason.TONER_LOW, "silent": Reason.NO_REPLY,
    "camera_missing": Reason.CAMERA_MISSING,
}
BLOCKING_JOB = {Reason.PAPER_OUT, Reason.COVER_OPEN, Reason.JAM, Reason.CUTTER_ERROR, Reason.NO_DEVICE, Reason.NO_REPLY}


class SimMixin:
    """Fault injection shared by every twin."""

    # option -> (default, description); a misspelt option is an error here too, as with the real drivers
    OPTIONS: ClassVar[dict[str, tuple[Any, str]]] = {}

    def _sim_init(self) -> None:
        driver_options(self.name, self.options, self.OPTIONS)
        self.faults: set[Reason] = set()
        self.scheduled: list[tuple[int, Reason]] = []  # (jobs from now, fault)
        self.jobs = 0

    async def open(self) -> None:
        self._publish()

    async def reconnect(self) -> None:
        """Nothing to reopen: a waiting read keeps waiting, as with the real drivers."""
        await self.open()

    async def device_removed(self, detail: str = "removed (udev)") -> None:
        """As unplugged as ``inject("unplug")``: a replugged twin comes back only when the fault is cleared."""
        self.faults.add(Reason.NO_DEVICE)
        self._publish()

    def inject(self, fault: str) -> None:
        self.faults.add(FAULTS[fault])
        self._publish()

    def clear(self, fault: str | None = None) -> None:
        if fault is None:
            self.faults.clear()
        else:
            self.faults.discard(FAULTS[fault])
        self._publish()

    def inject_after(self, jobs: int, fault: str) -> None:
        """The fault strikes during the job `jobs` from now (1 = the next one)."""
        self.scheduled.append((self.jobs + jobs, FAULTS[fault]))

    def _publish(self) -> None:
        self._set_reasons(set(self.faults), "simulated")
        if Reason.NO_DEVICE in self.faults:  # as the real drivers do: a pending call fails now, not later
            self._fail_pending(f"{self.name}: unplugged")

    def _job_faults(self) -> set[Reason]:
        self.jobs += 1
        due = {f for n, f in self.scheduled if n <= self.jobs}
        self.scheduled = [(n, f) for n, f in self.scheduled if n > self.jobs]
        return due

    def _refuse_if_unreachable(self) -> None:
        """As a real driver whose first poll finds the device gone, or unanswered."""
        if Reason.NO_DEVICE in self.faults:
            raise DeviceOffline(f"{self.name}: unplugged")
        if Reason.NO_REPLY in self.faults:
            raise DeviceTimeout(f"{self.name}: no answer from the device", reason=Reason.NO_REPLY)

    async def check_health(self):
        return self.status


class SimPrinter(SimMixin):
    """A printer twin: standing faults refuse a job, scheduled ones strike during it.

    ``hold()`` makes it take jobs and finish none until ``release()``: a printer
    stuck mid-job, or one slow enough for an unplug or a silence to land during
    the job; ``held`` lists the jobs waiting. A held job that ends any other way
    is recorded in ``cancelled``, as the real drivers cancel a failed job so that
    it cannot print later.
    """

    OPTIONS = {"output_dir": (None, "folder where each job lands as a file (the demo shows it)")}

    def _sim_init(self) -> None:
        super()._sim_init()
        self._released: asyncio.Event | None = None
        self.cancelled: list[str] = []
        self.held: list[str] = []

    def hold(self) -> None:
        self._released = asyncio.Event()

    def release(self) -> None:
        if self._released is not None:
            self._released.set()
            self._released = None

    def _refuse_standing(self) -> None:
        """Raise as the real driver does before a job: the printer is known unable."""
        blocking = self.faults & BLOCKING_JOB
        if blocking:
            self._raise(blocking)

    async def _job(self, job_id: str, timeout: float) -> None:
        """Raise as the real driver would: standing faults before the job, a hang at the job's deadline,
        an unplug at once, scheduled faults during the job."""
        self._refuse_standing()
        if self._released is not None:
            self.held.append(job_id)
            try:
                async with asyncio.timeout(timeout):  # not wait_for: its extra task would let an unplug slip by
                    await self._pending(self._released.wait())
            except TimeoutError as exc:
                self.cancelled.append(job_id)
                raise DeviceTimeout(f"{self.name}: the job did not finish within {timeout:g}s; not printed",
                                    reason=Reason.NO_REPLY) from exc
            except BaseException:  # unplugged, closed, or the caller gave up: it never prints later
                self.cancelled.append(job_id)
                raise
            finally:
                self.held.remove(job_id)
            self._refuse_standing()  # what happened to the printer while the job waited
        due = self._job_faults()
        if due:
            self.faults |= due
            self._publish()
            if due & BLOCKING_JOB:
                self._raise(due & BLOCKING_JOB)

    def _result_detail(self) -> str:
        """What a real driver says about a job that printed on a warning."""
        return "paper low" if Reason.PAPER_LOW in self.faults else ""

    def _raise(self, reasons: set[Reason]) -> None:
        if Reason.NO_DEVICE in reasons:
            raise DeviceOffline(f"{self.name}: printer unreachable")
        if Reason.NO_REPLY in reasons:  # as a real printer that went silent: the outcome is unknown, not printed
            raise DeviceTimeout(f"{self.name}: no answer from the printer", reason=Reason.NO_REPLY)
        reason = Reason.PAPER_OUT if Reason.PAPER_OUT in reasons else sorted(reasons)[0]
        raise MediaError(f"{self.name}: {reason}", reason)


KEEP_PRINTED = 200  # a simulated printer runs for days in the demo: keep only the recent jobs


def keep(printed: list, item) -> int:
    """Append a job, drop the oldest beyond KEEP_PRINTED; returns the job's number for file names."""
    printed.append(item)
    del printed[:-KEEP_PRINTED]
    return next(_job_numbers)


_job_numbers = itertools.count(1)


def output_dir(options: dict) -> Path | None:
    """Where a simulated printer puts what it printed (the demo shows this folder); None keeps it in memory."""
    folder = options.get("output_dir")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return None
