"""The document printer contract over the twin and the IPP driver (CUPS's ippeveprinter on 127.0.0.1).

Its rigs live here rather than in rigs.py: the real backend needs the
module-scoped ippeveprinter fixture, which only this module starts.
"""
from __future__ import annotations

import asyncio

import pytest

from devices.document_printer.ipp import IppDocumentPrinter
from devices.document_printer.sim import SimDocumentPrinter
from devices.document_printer.testpage import build_test_page
from devices.errors import MediaError
from devices.status import Reason, State, Status
from tests.devices.contract.rigs import until
from tests.devices.document_printer.ipp_fixtures import FAST, ippeve, needs_ippeve, printer  # noqa: F401 (fixtures)

PDF = build_test_page("KIOSK-T-01")


class SimDocumentRig:
    def __init__(self, _request) -> None:
        self.device = SimDocumentPrinter("a4")

    def printed(self) -> int:
        return len(self.device.printed)

    def paper_out(self) -> None:
        self.device.inject("paper_out")

    def paper_low(self) -> None:
        self.device.inject("paper_low")

    async def job_that_runs_out_of_paper(self) -> asyncio.Future:
        self.device.inject_after(1, "paper_out")
        return asyncio.ensure_future(self.device.print_pdf(PDF, title="cert", timeout=10))


class IppDocumentRig:
    """ippeveprinter runs a job titled *-hold until released, so paper can run out while it prints."""

    def __init__(self, request) -> None:
        self.ipp = request.getfixturevalue("printer")
        self.device = IppDocumentPrinter("a4", uri=self.ipp.uri, stall_timeout=0.6, **FAST)
        self._before = set(self.ipp.captured())

    def printed(self) -> int:
        return len(set(self.ipp.captured()) - self._before)

    def paper_out(self) -> None:
        self.ipp.set_media(main=0, bypass=0)

    def paper_low(self) -> None:
        self.ipp.set_media(main=10)

    async def job_that_runs_out_of_paper(self) -> asyncio.Future:
        started = set(self.ipp.started_jobs())
        job = asyncio.ensure_future(self.device.print_pdf(PDF, title="cert-hold", timeout=10))
        await until(lambda: set(self.ipp.started_jobs()) - started, "the job to start")
        self.paper_out()
        return job


@pytest.fixture(params=["sim", pytest.param("ipp", marks=needs_ippeve)])
async def rig(request):
    r = (SimDocumentRig if request.param == "sim" else IppDocumentRig)(request)
    try:
        await r.device.open()
        yield r
    finally:
        await r.device.close()


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
