"""The ticket dispenser contract over the twin and the real dispenser (SQLite numbering on a simulated printer)."""
from __future__ import annotations

import asyncio

import pytest

from devices.errors import DeviceOffline, DeviceTimeout, MediaError
from devices.status import Reason, State
from tests.devices.contract.conftest import rig_fixture

rig = rig_fixture("ticket_dispenser")
HANG = 5.0  # bounds a call the contract says must end; reaching it is the failure, not a timing assertion


async def test_numbers_follow_each_other(rig):
    first = await rig.device.dispense("social", "社保", request_id="a")
    second = await rig.device.dispense("social", "社保", request_id="b")
    assert first.number != second.number and first.number[-3:] == "001" and second.number[-3:] == "002"
    assert second.waiting_ahead == first.waiting_ahead + 1


async def test_paper_out_mid_job_fails_and_the_retry_prints_the_same_number(rig):
    rig.paper_out_mid_job()
    with pytest.raises(MediaError) as info:
        await rig.device.dispense("social", "社保", request_id="visit-1")
    assert info.value.reason is Reason.PAPER_OUT
    assert Reason.PAPER_OUT in rig.device.status.reasons  # status as data: the dispenser says why
    rig.refill()
    retry = await rig.device.dispense("social", "社保", request_id="visit-1")
    assert retry.number[-3:] == "001"
    assert (await rig.device.dispense("social", "社保", request_id="visit-2")).number[-3:] == "002"


async def test_a_printer_known_to_be_out_of_paper_takes_no_number(rig):
    rig.paper_out()
    status = await rig.device.check_health()
    assert status.state is State.ERROR and Reason.PAPER_OUT in status.reasons
    with pytest.raises(MediaError):
        await rig.device.dispense("social", "社保", request_id="x")
    rig.refill()
    assert (await rig.device.dispense("social", "社保", request_id="y")).number[-3:] == "001"


async def test_an_unplugged_printer_fails_with_device_offline_and_takes_no_number(rig):
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await rig.device.dispense("social", "社保", request_id="x")
    assert rig.device.status.state is State.OFFLINE
    rig.recover()
    assert (await rig.device.dispense("social", "社保", request_id="y")).number[-3:] == "001"


async def test_a_hanging_printer_times_out_and_the_error_carries_the_id_that_prints_the_same_number(rig):
    rig.hang()
    with pytest.raises(DeviceTimeout) as info:  # the dispense's own deadline, not the test's bound, ends it
        await asyncio.wait_for(rig.device.dispense("social", "社保", timeout=1.0), HANG)
    rig.release()
    retry = await rig.device.dispense("social", "社保", request_id=info.value.request_id)
    assert retry.number[-3:] == "001"  # the citizen keeps their place; the hall calls no ghost number
    assert (await rig.device.dispense("social", "社保", request_id="next")).number[-3:] == "002"


async def test_a_printer_that_stops_answering_times_out_with_no_reply_and_takes_no_number(rig):
    rig.silent()
    with pytest.raises((DeviceOffline, DeviceTimeout)) as info:
        await asyncio.wait_for(rig.device.dispense("social", "社保", timeout=1.0, request_id="x"), HANG)
    assert info.value.reason is Reason.NO_REPLY and rig.device.status.state is State.OFFLINE
    rig.recover()
    assert (await rig.device.dispense("social", "社保", request_id="y")).number[-3:] == "001"


async def test_unplug_during_a_pending_dispense_fails_it_with_device_offline(rig):
    rig.hang()
    job = asyncio.ensure_future(rig.device.dispense("social", "社保", timeout=30, request_id="visit-1"))
    await rig.pending()
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert rig.device.status.state is State.OFFLINE


async def test_device_removed_fails_a_pending_dispense_at_once(rig):
    rig.hang()
    job = asyncio.ensure_future(rig.device.dispense("social", "社保", timeout=30, request_id="visit-1"))
    await rig.pending()
    await rig.device.device_removed("removed (udev usb)")
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}


async def test_close_fails_a_pending_dispense(rig):
    rig.hang()
    job = asyncio.ensure_future(rig.device.dispense("social", "社保", timeout=30, request_id="visit-1"))
    await rig.pending()
    await rig.device.close()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(job, HANG)
