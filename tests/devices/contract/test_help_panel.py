"""The help panel contract: the twin and the aiortc panel (against a help desk whose staff is an aiortc peer)."""
from __future__ import annotations

import asyncio
import time

import pytest

from devices.errors import DeviceError, DeviceOffline
from devices.status import Reason
from tests.devices.contract.conftest import rig_fixture
from tests.devices.contract.rigs import until

rig = rig_fixture("help_panel")
HANG = 15.0  # bounds a call the contract says must end; reaching it is the failure, not a timing assertion


async def test_a_guide_plays(rig):
    await rig.device.play_guide("place-id-card")
    assert rig.device.capabilities()["speaker"] is True


@pytest.mark.parametrize("answer", ["resumed", "ended", "unavailable"])
async def test_a_call_ends_with_one_of_the_three_outcomes(rig, answer):
    rig.answer(answer)
    assert await asyncio.wait_for(rig.device.call_staff({"flow": "social"}), HANG) == answer
    assert rig.device.call_state.phase == "ended"


async def test_a_ringing_call_waits_in_the_queue_until_staff_pick_up(rig):
    seen = []
    rig.device.on_call(lambda state: seen.append(state.phase))
    call = await rig.ringing_call()
    assert rig.device.call_state.phase == "waiting" and rig.device.call_state.position >= 1
    rig.answer("resumed")
    rig.pick_up()
    assert await asyncio.wait_for(call, HANG) == "resumed"
    assert "connected" in seen and seen[-1] == "ended"  # the citizen saw staff come on, then the end


async def test_the_citizen_can_leave_the_queue(rig):
    call = await rig.ringing_call()
    await rig.device.end_call()
    assert await asyncio.wait_for(call, HANG) == "ended"
    assert rig.device.call_state.reason == "cancelled"


async def test_mute_shows_in_the_call_state(rig):
    call = await rig.ringing_call()
    await rig.device.set_muted(True)
    assert rig.device.call_state.muted is True
    await rig.device.set_muted(False)
    assert rig.device.call_state.muted is False
    await rig.device.end_call()
    await asyncio.wait_for(call, HANG)


async def test_a_missing_camera_still_places_an_audio_only_call_and_reports_the_fault(rig):
    rig.camera_missing()
    video = []
    rig.device.on_call(lambda state: video.append(state.video) if state.phase == "connected" else None)
    rig.answer("resumed")
    assert await asyncio.wait_for(rig.device.call_staff({"flow": "social"}), HANG) == "resumed"
    assert video and not any(video)  # connected, audio only
    await until(lambda: Reason.CAMERA_MISSING in rig.device.status.reasons, "the camera fault in the status")
    assert rig.device.status.state == "warning" and rig.device.capabilities()["camera"] is False


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
    assert rig.device.call_state.phase == "ended"


async def test_device_removed_during_a_ringing_call_fails_it_at_once(rig):
    call = await rig.ringing_call()
    await rig.device.device_removed("removed (udev video4linux)")
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(call, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}


async def test_a_waiting_citizen_offered_a_call_back_leaves_a_number_and_the_call_ends_booked(rig):
    call = await rig.ringing_call()
    assert rig.device.call_state.callback_offered is False  # not before the desk offers it
    await rig.offer_callback()
    await until(lambda: rig.device.call_state.callback_offered, "the desk's call-back offer")
    before = time.time()
    target = await asyncio.wait_for(rig.device.request_callback("13812345678"), HANG)
    assert target > before  # a time to come, which the screen shows
    assert await asyncio.wait_for(call, HANG) == "ended"
    state = rig.device.call_state
    assert (state.phase, state.reason, state.callback_target_at) == ("ended", "callback_booked", target)


async def test_a_call_back_without_a_waiting_call_is_refused(rig):
    with pytest.raises(DeviceError):
        await rig.device.request_callback("13812345678")


async def test_a_call_cancelled_by_its_caller_shows_as_ended(rig):
    """The kiosk shutting down (or its caller's task cancelled) mid-call: the screen must not keep "waiting"."""
    call = await rig.ringing_call()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, HANG)
    assert rig.device.call_state.phase == "ended"
