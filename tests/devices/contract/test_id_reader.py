"""The ID reader contract over the twin and the SAM serial driver (pty fake reader)."""
from __future__ import annotations

import asyncio

import pytest

from devices.errors import DeviceOffline, DeviceTimeout, NoCard
from devices.id_reader.sample_cards import LI_SI, ZHANG_SAN
from devices.status import Reason, State
from tests.devices.contract.conftest import rig_fixture

rig = rig_fixture("id_reader")
HANG = 5.0  # bounds a read the contract says must end; reaching it is the failure, not a timing assertion


async def test_reads_the_card_put_on_it(rig):
    rig.insert(LI_SI)
    assert await rig.device.read_card(timeout=2.0) == LI_SI
    assert rig.device.status.state is State.OK


async def test_no_card_within_the_timeout_is_nocard_and_the_reader_stays_ok(rig):
    with pytest.raises(NoCard):
        await rig.device.read_card(timeout=0.2)
    assert rig.device.status.state is State.OK


async def test_a_reader_that_stops_answering_times_out_with_no_reply_not_no_card(rig):
    rig.silent()
    rig.insert(LI_SI)  # a card is there; the reader says nothing about it
    with pytest.raises(DeviceTimeout) as info:  # not NoCard: the citizen is not told to put the card on again
        await asyncio.wait_for(rig.device.read_card(timeout=2.0), HANG)
    assert info.value.reason is Reason.NO_REPLY and rig.device.status.reasons == {Reason.NO_REPLY}


async def test_a_card_put_on_while_waiting_is_read(rig):
    reading = asyncio.ensure_future(rig.device.read_card(timeout=None))
    await rig.pending()
    rig.insert(ZHANG_SAN)
    assert await asyncio.wait_for(reading, HANG) == ZHANG_SAN


async def test_unplug_during_a_pending_read_fails_it_with_device_offline(rig):
    reading = asyncio.ensure_future(rig.device.read_card(timeout=None))
    await rig.pending()
    rig.unplug()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)
    assert rig.device.status.state is State.OFFLINE


async def test_device_removed_fails_a_pending_read_at_once(rig):
    reading = asyncio.ensure_future(rig.device.read_card(timeout=None))
    await rig.pending()
    await rig.device.device_removed("removed (udev tty)")  # the port may well still answer: udev said it went
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)
    assert rig.device.status.reasons == {Reason.NO_DEVICE}


async def test_close_fails_a_pending_read(rig):
    reading = asyncio.ensure_future(rig.device.read_card(timeout=None))
    await rig.pending()
    await rig.device.close()
    with pytest.raises(DeviceOffline):
        await asyncio.wait_for(reading, HANG)
