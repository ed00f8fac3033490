"""The fleet's commands on the kiosk, after the gate: arguments checked, visits respected, reloads coalesced."""
import asyncio
import threading

import pytest

from kiosk.controller import END_SCREEN_S
from kiosk.fleet.remote import Coalescer, CommandRegistry, RemoteCommands
from kiosk.scenario.twins import make_card
from tests.kiosk_kit import settle, shipped_kiosk



@pytest.fixture
async def kiosk(tmp_path):
    c, devices, clock = await shipped_kiosk(tmp_path)
    restarts = []
    registry = CommandRegistry()
    RemoteCommands(c, c.registry, restart=lambda: restarts.append(c.state.mode)).register(registry)
    return c, devices, clock, registry.call, restarts


async def test_a_restart_waits_for_the_citizens_visit_and_happens_before_the_next(kiosk):
    c, devices, clock, commands, restarts = kiosk
    assert c.start("queue-ticket")
    assert await commands("restart", {}) == {"restarting": True, "after_visit": True}
    await settle()
    assert restarts == [] and c.state.mode == "visit"
    c.act("cancel")
    clock.fire_next(clock.now + END_SCREEN_S)
    await settle()
    assert restarts == ["home"]
    c.refresh_home()
    await settle()
    assert restarts == ["home"]  # once


async def test_a_forced_restart_records_the_visit_as_interrupted_first(kiosk):
    c, devices, clock, commands, restarts = kiosk
    assert c.start("social-security-certificate")
    devices["id_reader"].insert_card(make_card({"name": "赵示例"}))
    await settle()
    assert (await commands("restart", {"force": True}))["after_visit"] is False
    (row,) = c.journal.rows()
    assert row["result"] == "interrupted" and row["ended_at"]


@pytest.mark.parametrize("name, args", [("maintenance_on", {"force": "yes"}), ("maintenance_on", {"minutes": 5}),
                                        ("reload_flows", {"path": "/tmp/evil"}), ("restart", {"force": 1})])
async def test_arguments_are_checked_even_on_signed_commands(kiosk, name, args):
    c, _, _, commands, restarts = kiosk
    with pytest.raises(ValueError):
        await commands(name, args)
    assert c.state.mode == "home" and restarts == []


async def test_a_failed_reload_is_answered_to_every_waiter_and_the_next_one_runs():
    fail = threading.Event()
    fail.set()

    def work():
        if fail.is_set():
            raise OSError("disk gone")
        return True

    co = Coalescer(work)
    results = await asyncio.gather(co.request(), co.request(), return_exceptions=True)
    assert [type(r) for r in results] == [OSError, OSError] and co.runs == 1
    fail.clear()
    assert await co.request() is True and co.runs == 2
