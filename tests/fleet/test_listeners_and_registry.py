"""Fleet reporting listens beside others, and commands are found by name in one registry."""
from pathlib import Path

import pytest

from kiosk import config
from kiosk.fleet.link import start_reporting
from kiosk.fleet.remote import CommandRegistry, RemoteCommands
from kiosk.fleet.reporter import MqttReporter
from kiosk.fleet.outbox import Outbox
from kiosk.scenario.twins import make_card
from wire import commands
from wire.messages import Failed, Result, Visit
from wire.signing import Command
from tests.kiosk_kit import shipped_kiosk

FLOWS = Path(__file__).resolve().parents[2] / "flows"


async def kiosk(tmp_path, **kw):
    c, devices, _clock = await shipped_kiosk(tmp_path, **kw)
    return c.registry, devices, c


async def test_fleet_reporting_and_another_listener_both_hear_every_visit_and_no_citizen(tmp_path):
    mine = []
    reg, devices, c = await kiosk(tmp_path, on_event=mine.append)
    also = []
    unsubscribe = c.subscribe_events(also.append)
    cfg = config.parse({"kiosk": {"id": "K1"}, "flows": {"path": str(FLOWS)}, "var_dir": str(tmp_path / "var"),
                        "telemetry": {"host": "127.0.0.1", "port": 9}})  # no broker: events wait in the outbox
    reporter = await start_reporting(cfg, reg, c)
    try:
        assert c.start("social-security-certificate")
        devices["id_reader"].insert_card(make_card({"name": "赵示例", "id_number": "110101199003070011"}))
        c.interrupt_visit("test")
        c.go_home()
        assert len(mine) == 1 and isinstance(mine[0], Visit) and also == mine
        unsubscribe()
        assert c.start("queue-ticket")
        c.interrupt_visit("test")
        assert len(mine) == 2 and len(also) == 1
        stored = [payload for _, _, payload in reporter.outbox.pending()]
        assert len(stored) == 2 and all(Visit.decode(p).flow for p in stored)
        assert not any("赵示例" in p or "110101199003070011" in p for p in stored)
    finally:
        await reporter.stop()


async def test_handlers_register_once_by_a_name_of_the_contract(tmp_path):
    reg, _, c = await kiosk(tmp_path)
    registry = CommandRegistry()
    RemoteCommands(c, reg, restart=lambda: None).register(registry)
    with pytest.raises(ValueError, match="already has a handler"):
        registry.register(commands.RESTART, registry.call)
    with pytest.raises(ValueError, match="not a command"):
        registry.register("format_disk", registry.call)
    reporter = MqttReporter("K1", "127.0.0.1", 9, Outbox(tmp_path / "o.db"), tmp_path, commands=registry)
    assert set(reporter.commands.names) == set(commands.NAMES)  # the reporter answers ping itself


async def test_a_command_without_a_handler_or_with_bad_arguments_is_answered_not_dropped():
    registry = CommandRegistry()

    async def maintenance_off(args):
        return commands.MaintenanceLeft("not_in_maintenance", "home")

    registry.register(commands.MAINTENANCE_OFF, maintenance_off)
    cmd = Command("c1", "K1", commands.RESTART, 0, 1, {})
    assert isinstance(await registry.answer(cmd), Failed)
    bad = Command("c2", "K1", commands.MAINTENANCE_OFF, 0, 1, {"force": True})
    failed = await registry.answer(bad)
    assert isinstance(failed, Failed) and "args.force" in failed.error
    ok = await registry.answer(Command("c3", "K1", commands.MAINTENANCE_OFF, 0, 1, {}))
    assert ok == Result("c3", {"maintenance": "not_in_maintenance", "mode": "home"})
    assert commands.SPECS[commands.MAINTENANCE_OFF].decode_result(ok.result) == commands.MaintenanceLeft(
        "not_in_maintenance", "home")


async def test_a_handler_answering_outside_its_result_type_is_a_failure_the_back_office_hears():
    registry = CommandRegistry()

    async def sloppy(args):
        return {"pong": "sure"}

    registry.register(commands.PING, sloppy)
    failed = await registry.answer(Command("c1", "K1", commands.PING, 0, 1, {}))
    assert isinstance(failed, Failed) and "Pong" in failed.error
