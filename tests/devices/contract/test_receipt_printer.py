"""The receipt printer contract over the twin and the ESC/POS driver (fake printer on TCP answering DLE EOT)."""
from __future__ import annotations

import asyncio

import pytest

from devices.errors import DeviceOffline, DeviceTimeout, MediaError
from devices.status import Reason, State, Status
from tests.devices.contract.conftest import rig_fixture
from tests.devices.contract.rigs import BIG_RECEIPT, RECEIPT

rig = rig_fixture("receipt_printer")
HANG = 5.0  # bounds a call the contract says must end; reaching it is the failure, not a timing assertion


async def test_a_receipt_prints(rig):
    result = await rig.device.print_receipt(RECEIPT, timeout=5)
    assert result.printed and result.job_id == "r1" and rig.printed() == 1
    assert rig.device.status.state is State.OK


async def test_paper_out_is_status_before_it_is_an_error(rig):
    rig.paper_out()
    status = await rig.device.check_health()  # a normal state: data, never an exception
    assert isinstance(status, Status) and status.state is State.ERROR and Reason.PAPER_OUT in status.reasons
    with pytest.raises(MediaError) as info:
        await rig.device.print_receipt(RECEIPT, timeout=5)
    assert info.value.reason is Reason.PAPER_OUT and rig.printed() == 0


async def test_paper_out_mid_job_fails_the_job_and_it_is_not_printed(rig):
    rig.paper_out_mid_job()
    with pytest.raises(MediaError) as info:
        await rig.device.print_receipt(BIG_RECEIPT, timeout=5)
    assert info.value.reason is Reason.PAPER_OUT and rig.printed() == 0
    assert Reason.PAPER_OUT in rig.device.status.reasons


async def test_paper_low_prints_with_a_warning(rig):
    rig.paper_low()
    result = await rig.device.print_receipt(RECEIPT, timeout=5)
    assert result.printed and result.detail == "paper low"
    assert rig.device.status.state is State.WARNING and rig.device.status.reasons == {Reason.PAPER_LOW}


async def test_unplug_mid_job_fails_it_with_device_offline(rig):
    rig.unplug_mid_job()
    with pytest.raises(DeviceOffline):
        await rig.device.print_receipt(BIG_RECEIPT, timeout=5)
    assert rig.printed() == 0 and rig.device.status.state is State.OFFLINE


async def test_a_printer_that_stops_answering_times_out_and_nothing_counts_as_printed(rig):
    rig.silent()
    with pytest.raises((DeviceOffline, DeviceTimeout)) as info:
        await rig.device.print_receipt(RECEIPT, timeout=1.0)
    assert info.value.reason is Reason.NO_REPLY
    assert rig.printed() == 0 and rig.device.status.state is State.OFFLINE


async def test_device_removed_fails_a_pending_print_at_once(rig):
    job = await rig.pending_job()
    await rig.device.device_removed("removed (udev usb)")
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE} and rig.printed() == 0


async def test_close_fails_a_pending_print(rig):
    job = await rig.pending_job()
    await rig.device.close()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert rig.printed() == 0
