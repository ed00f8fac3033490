"""The help panel contract; only the twin exists until the live call arrives (a later issue)."""
from __future__ import annotations

import asyncio

import pytest

from devices.errors import DeviceOffline
from devices.status import Reason
from tests.devices.contract.conftest import rig_fixture

rig = rig_fixture("help_panel")
HANG = 5.0  # bounds a call the contract says must end; reaching it is the failure, not a timing assertion


async def test_a_guide_plays(rig):
    await rig.device.play_guide("place-id-card")
    assert rig.device.capabilities()["speaker"] is True


@pytest.mark.parametrize("answer", ["resumed", "ended", "unavailable"])
async def test_a_call_ends_with_one_of_the_three_outcomes(rig, answer):
    rig.device.answer = answer
    assert await rig.device.call_staff({"flow": "social"}) == answer


async def test_a_ringing_call_waits_until_staff_pick_up(rig):
    call = await rig.ringing_call()
    rig.device.answer = "resumed"
    rig.pick_up()
    assert await asyncio.wait_for(call, HANG) == "resumed"


async def test_an_unplugged_panel_refuses_guides_and_calls_with_device_offline(rig):
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await rig.device.play_guide("place-id-card")
    with pytest.raises(DeviceOffline):  # the flow's error branch, never a citizen waiting on a dead line
        await rig.device.call_staff({"flow": "social"})


async def test_unplug_during_a_ringing_call_fails_it_with_device_offline(rig):
    call = await rig.ringing_call()
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(call, HANG)


async def test_device_removed_during_a_ringing_call_fails_it_at_once(rig):
    call = await rig.ringing_call()
    await rig.device.device_removed("removed (udev video4linux)")
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(call, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}
