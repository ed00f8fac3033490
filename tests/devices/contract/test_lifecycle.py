"""What every contract shares, over every backend of every class: lifecycle, status as data, device_removed."""
from __future__ import annotations

import pytest

from devices import registry
from devices.contracts import CONTRACTS
from devices.status import Reason, State, Status
from tests.devices.contract.rigs import RIGS, until_async

BACKENDS = [(cls, driver) for cls in sorted(RIGS) for driver in sorted(RIGS[cls])]


@pytest.fixture(params=BACKENDS, ids=[f"{c}-{d}" for c, d in BACKENDS])
async def rig(request):
    cls, driver = request.param
    r = RIGS[cls][driver]()
    try:
        await r.start()
        yield r
    finally:
        await r.stop()


def test_every_registered_driver_is_held_to_its_contract():
    """A new driver joins the suite, or this fails: the registry and the rigs name the same backends."""
    registered = {(c, d) for (c, d) in registry.DRIVERS if c != "document_printer"}  # its own suite (CUPS)
    assert registered == set(BACKENDS)
    assert {c for c, _ in BACKENDS} | {"document_printer"} == set(CONTRACTS)


async def test_open_twice_and_close_twice(rig):
    await rig.device.open()
    await rig.device.open()
    assert rig.device.status.state is State.OK
    await rig.device.close()
    await rig.device.close()


async def test_status_is_data_even_when_the_device_is_gone(rig):
    await rig.device.open()
    rig.unplug()
    seen: list[Status] = []

    async def offline() -> bool:  # a scanner learns it from its reader thread, a printer when it asks
        seen.append(await rig.device.check_health())  # a normal state: data, never an exception
        return seen[-1].state is State.OFFLINE

    await until_async(offline, "the device to report offline")
    assert all(isinstance(s, Status) for s in seen) and seen[-1] == rig.device.status
    assert rig.device.describe()["status"]["state"] == "offline"


async def test_device_removed_goes_offline_at_once(rig):
    await rig.device.open()
    changes = []
    rig.device.on_status(lambda ev: changes.append(ev.new.state))
    await rig.device.device_removed("removed (udev test)")
    assert rig.device.status.state is State.OFFLINE and Reason.NO_DEVICE in rig.device.status.reasons
    assert changes == [State.OFFLINE]  # published once
