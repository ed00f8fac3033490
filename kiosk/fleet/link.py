"""Connects a built kiosk to the fleet: reporter, command gate and handlers, and the listeners that feed them.

Fleet reporting only listens: it subscribes to the controller's changes and
events and to each device's status, so the window, a headless run and the
soak see the same kiosk whether or not a broker is configured.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib.metadata import version

import structlog

from kiosk.config import Config
from kiosk.fleet import health
from kiosk.fleet.gate import CommandGate, SeenIds
from kiosk.fleet.outbox import Outbox
from kiosk.fleet.remote import Coalescer, CommandRegistry, RemoteCommands, exit_for_restart
from kiosk.fleet.reporter import MqttReporter
from wire.messages import DeviceChange, Event, Visit
from wire.signing import load_public_key

log = structlog.get_logger("kiosk.fleet")


async def start_reporting(cfg: Config, flows, controller, *, reloader: Coalescer | None = None,
                          restart: Callable[[], None] = exit_for_restart) -> MqttReporter | None:
    """Fleet reporting, when configured: state and health on every change and on a timer, events, commands."""
    t = cfg.telemetry
    if not t.host:
        return None
    counters = health.Counters()
    versions = {"runtime": version("kiosk"), "flows": flows.active.sha256[:12] if flows.active else "-"}
    cfg.var_dir.mkdir(parents=True, exist_ok=True)
    if t.command_key_file:
        gate = CommandGate(cfg.kiosk.id, load_public_key(t.command_key_file), SeenIds(cfg.var_dir / "commands.db"),
                           skew_s=t.command_skew_s, per_min=t.command_rate_per_min, burst=t.command_burst)
    else:
        log.warning("commands.disabled", reason="no telemetry.command_key_file")
        gate = CommandGate(cfg.kiosk.id, None, None)
    registry = CommandRegistry()
    RemoteCommands(controller, flows, restart=restart, reloader=reloader).register(registry)
    reporter = MqttReporter(cfg.kiosk.id, t.host, t.port, Outbox(cfg.var_dir / "outbox.db", t.outbox_max_events),
                            cfg.var_dir, username=t.username, password=t.password(),
                            ca_file=str(t.ca_file) if t.ca_file else None,
                            cert_file=str(t.cert_file) if t.cert_file else None,
                            key_file=str(t.key_file) if t.key_file else None, keepalive=t.keepalive_s,
                            health_interval_s=t.health_interval_s, versions=versions, commands=registry,
                            gate=gate, insecure=t.insecure, identity=cfg.identity_card())

    def on_event(event: Event) -> None:
        if isinstance(event, Visit):
            counters.visit(event.flow, event.result, event.printed)
        reporter.event(event)

    def device_event(event) -> None:
        reporter.event(DeviceChange(device=event.device, state=str(event.new.state),
                                    reasons=sorted(str(r) for r in event.new.reasons), changes=_plain(event.changes)))
        reporter.health_changed()

    controller.subscribe_events(on_event)
    for dev in controller.devices.values():
        dev.on_status(device_event)
    last: list = []

    def follow(state) -> None:
        """The retained state and health follow the mode and the items on offer, not only the timer."""
        now = (state.mode, health.current_state(controller), sum(t.available for t in state.tiles),
               state.remote_maintenance_pending)
        if now != tuple(last):
            last[:] = now
            reporter.set_state(now[1])
            reporter.health_changed()

    def snapshot():
        return health.snapshot(controller, versions=versions, counters=counters, var_dir=cfg.var_dir)

    await reporter.start()
    asyncio.get_running_loop().create_task(reporter.run_periodic(snapshot))
    controller.subscribe(follow)
    follow(controller.state)
    return reporter


def _plain(changes: dict) -> dict:
    return {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in changes.items()}
