"""The document printer contract over the twin and the IPP driver (CUPS's ippeveprinter on 127.0.0.1).

Its rigs live here rather than in rigs.py: the real backend needs the
module-scoped ippeveprinter fixture, which only this module starts.
"""
from __future__ import annotations

import asyncio
import contextlib

import pytest
from structlog.testing import capture_logs

from devices.document_printer.ipp import IppDocumentPrinter
from devices.document_printer.sim import SimDocumentPrinter
from devices.document_printer.testpage import build_test_page
from devices.errors import DeviceOffline, DeviceTimeout, MediaError
from devices.status import Reason, State, Status
from devices.testing.ipp_server import IppEvePrinter
from tests.devices.contract.rigs import until
from tests.devices.document_printer.ipp_fixtures import FAST, ippeve, needs_ippeve, printer  # noqa: F401 (fixtures)

PDF = build_test_page("KIOSK-T-01")
HANG = 5.0  # bounds a call the contract says must end; reaching it is the failure, not a timing assertion


class SimDocumentRig:
    def __init__(self) -> None:
        self.device = SimDocumentPrinter("a4")

    def printed(self) -> int:
        return len(self.device.printed)

    def paper_out(self) -> None:
        self.device.inject("paper_out")

    def paper_low(self) -> None:
        self.device.inject("paper_low")

    def silent(self) -> None:
        self.device.inject("silent")

    def unplug(self) -> None:
        self.device.inject("unplug")

    async def job_that_runs_out_of_paper(self) -> asyncio.Future:
        self.device.inject_after(1, "paper_out")
        return asyncio.ensure_future(self.device.print_pdf(PDF, title="cert", timeout=10))

    async def pending_job(self) -> asyncio.Future:
        """A job the printer has taken and not finished."""
        self.device.hold()
        job = asyncio.ensure_future(self.device.print_pdf(PDF, title="cert", timeout=10))
        await until(lambda: self.device.held, "the twin to take the job")
        return job

    async def job_cancelled(self) -> bool:
        await until(lambda: self.device.cancelled, "the twin to drop the job")
        self.device.release()
        return self.device.cancelled == ["cert"] and self.printed() == 0

    def cancel_tried(self, logs: list[dict]) -> bool:
        return self.device.cancelled == ["cert"]

    async def stop(self) -> None:
        await self.device.close()


class IppDocumentRig:
    """ippeveprinter runs a job titled *-hold until released, so paper can run out while it prints."""

    def __init__(self, ipp: IppEvePrinter, **options) -> None:
        self.ipp = ipp
        self.device = IppDocumentPrinter("a4", uri=self.ipp.uri, **{**FAST, "stall_timeout": 0.6, **options})
        self._before = set(self.ipp.started_jobs())
        self._captured = set(self.ipp.captured())

    def printed(self) -> int:
        return len(set(self.ipp.captured()) - self._captured)

    def paper_out(self) -> None:
        self.ipp.set_media(main=0, bypass=0)

    def paper_low(self) -> None:
        self.ipp.set_media(main=10)

    def silent(self) -> None:
        self.ipp.freeze()

    def unplug(self) -> None:
        self.ipp.kill()

    async def job_that_runs_out_of_paper(self) -> asyncio.Future:
        job = await self.pending_job()
        self.paper_out()
        return job

    async def pending_job(self) -> asyncio.Future:
        job = asyncio.ensure_future(self.device.print_pdf(PDF, title="cert-hold", timeout=10))
        await until(self._new_jobs, "the job to start")
        return job

    async def job_cancelled(self) -> bool:
        [job_id] = self._new_jobs()
        self.ipp.release()  # ippeveprinter applies a cancel when the job's command returns
        await until(lambda: self.ipp.job_state(job_id) != "processing", "the job to end")
        return self.ipp.job_state(job_id) == "canceled" and self.printed() == 0

    def cancel_tried(self, logs: list[dict]) -> bool:
        [job_id] = self._new_jobs()
        return any(e["event"] in ("ipp.cancel_failed", "ipp.job_cancelled") and e.get("job_id") == job_id
                   for e in logs)

    def _new_jobs(self) -> list[int]:
        return sorted(set(self.ipp.started_jobs()) - self._before)

    async def stop(self) -> None:
        self.ipp.thaw()
        await self.device.close()


@pytest.fixture(params=["sim", pytest.param("ipp", marks=needs_ippeve)])
async def rig(request):
    r = SimDocumentRig() if request.param == "sim" else IppDocumentRig(request.getfixturevalue("printer"))
    try:
        await r.device.open()
        yield r
    finally:
        await r.stop()


@pytest.fixture(params=["sim", pytest.param("ipp", marks=needs_ippeve)])
async def lone_rig(request):
    """A rig whose printer may vanish for good: the IPP backend gets an ippeveprinter of its own."""
    with contextlib.ExitStack() as stack:
        if request.param == "sim":
            r = SimDocumentRig()
        else:  # offline_after: how long a printer may stay silent during a job before it counts as gone
            r = IppDocumentRig(stack.enter_context(IppEvePrinter()), offline_after=0.5, request_timeout=0.5,
                               stall_timeout=30)
        try:
            await r.device.open()
            yield r
        finally:
            await r.stop()


async def test_a_pdf_prints(rig):
    result = await rig.device.print_pdf(PDF, title="cert", timeout=10)
    assert result.printed and rig.printed() == 1 and rig.device.status.state is State.OK


async def test_paper_out_is_status_before_it_is_an_error(rig):
    rig.paper_out()
    status = await rig.device.check_health()  # a normal state: data, never an exception
    assert isinstance(status, Status) and status.state is State.ERROR and Reason.PAPER_OUT in status.reasons
    with pytest.raises(MediaError) as info:
        await rig.device.print_pdf(PDF, title="cert", timeout=10)
    assert info.value.reason is Reason.PAPER_OUT and rig.printed() == 0


async def test_paper_out_mid_job_fails_the_job_and_it_is_not_printed(rig):
    job = await rig.job_that_runs_out_of_paper()
    with pytest.raises(MediaError) as info:
        await job
    assert info.value.reason is Reason.PAPER_OUT and Reason.PAPER_OUT in rig.device.status.reasons
    assert rig.printed() == 0


async def test_paper_low_prints_with_a_warning(rig):
    rig.paper_low()
    result = await rig.device.print_pdf(PDF, title="cert", timeout=10)
    assert result.printed and result.detail == "paper low"
    assert rig.device.status.state is State.WARNING and rig.device.status.reasons == {Reason.PAPER_LOW}


async def test_open_twice_close_twice_and_device_removed(rig):
    await rig.device.open()
    await rig.device.close()
    await rig.device.close()
    await rig.device.device_removed("removed (udev usb)")
    assert rig.device.status.state is State.OFFLINE and Reason.NO_DEVICE in rig.device.status.reasons


async def test_device_removed_fails_a_pending_print_at_once_and_the_job_is_cancelled_on_the_printer(rig):
    job = await rig.pending_job()
    await rig.device.device_removed("removed (udev usb)")  # the printer may well still answer: udev said it went
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}
    await rig.device.close()  # lets the cancel the driver sent in the background finish
    assert await rig.job_cancelled()  # it cannot print later, with a citizen's data, for nobody


async def test_close_fails_a_pending_print_and_the_job_is_cancelled_on_the_printer(rig):
    job = await rig.pending_job()
    await rig.device.close()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert await rig.job_cancelled()


async def test_unplug_during_a_pending_print_fails_it_with_device_offline_and_the_cancel_is_tried(lone_rig):
    job = await lone_rig.pending_job()
    with capture_logs() as logs:
        lone_rig.unplug()
        with pytest.raises(DeviceOffline):
            await asyncio.wait_for(job, HANG)
        await lone_rig.device.close()
    assert lone_rig.device.status.reasons == {Reason.NO_DEVICE} and lone_rig.printed() == 0
    assert lone_rig.cancel_tried(logs)  # unreachable, so the attempt is all there is: it is on record
    status = await lone_rig.device.check_health()  # gone is a normal state: data, never an exception
    assert isinstance(status, Status) and status.state is State.OFFLINE


async def test_a_printer_that_stops_answering_times_out_and_nothing_counts_as_printed(rig):
    rig.silent()
    with pytest.raises((DeviceOffline, DeviceTimeout)) as info:
        await asyncio.wait_for(rig.device.print_pdf(PDF, title="cert", timeout=1.0), HANG)
    assert info.value.reason is Reason.NO_REPLY
    assert rig.printed() == 0 and rig.device.status.state is State.OFFLINE
