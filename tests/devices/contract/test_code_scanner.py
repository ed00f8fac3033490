"""The code scanner contract over the twin, the serial driver (pty) and the keyboard wedge (fake evdev node)."""
from __future__ import annotations

import asyncio

import pytest

from devices.errors import DeviceOffline, DeviceTimeout
from devices.status import Reason, State
from tests.devices.contract.conftest import rig_fixture
from tests.devices.contract.rigs import until

rig = rig_fixture("code_scanner")
HANG = 5.0  # bounds a read the contract says must end; reaching it is the failure, not a timing assertion


async def test_a_scan_is_read(rig):
    reading = asyncio.ensure_future(rig.device.read_code(timeout=None))
    await rig.pending()
    rig.scan("HELLO-123")
    scan = await asyncio.wait_for(reading, HANG)
    assert scan.data == "HELLO-123" and scan.source == "scanner"


async def test_no_scan_within_the_timeout_is_device_timeout_and_the_scanner_stays_ok(rig):
    with pytest.raises(DeviceTimeout):
        await rig.device.read_code(timeout=0.05)
    assert rig.device.status.state is State.OK


async def test_unplug_during_a_pending_read_fails_it_with_device_offline(rig):
    reading = asyncio.ensure_future(rig.device.read_code(timeout=None))
    await rig.pending()
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}


async def test_device_removed_fails_a_pending_read_at_once(rig):
    reading = asyncio.ensure_future(rig.device.read_code(timeout=None))
    await rig.pending()
    await rig.device.device_removed("removed (udev input)")
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)
    assert rig.device.status.state is State.OFFLINE


async def test_reconnect_keeps_a_waiting_reader(rig):
    reading = asyncio.ensure_future(rig.device.read_code(timeout=None))
    await rig.pending()
    await rig.device.reconnect()
    rig.scan("AFTER")
    assert (await asyncio.wait_for(reading, HANG)).data == "AFTER"


async def test_close_fails_a_pending_read(rig):
    reading = asyncio.ensure_future(rig.device.read_code(timeout=None))
    await rig.pending()
    await rig.device.close()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)


async def test_a_scan_nobody_read_is_forgotten_when_the_visit_ends(rig):
    rig.scan("LEFT-BEHIND")
    dropped: list[int] = []
    await until(lambda: dropped.append(rig.device.discard_pending()) or sum(dropped), "the scan to arrive")
    assert sum(dropped) == 1
    with pytest.raises(DeviceTimeout):  # the next citizen never gets the previous one's code
        await rig.device.read_code(timeout=0.05)
