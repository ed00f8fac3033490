"""Assembles and runs the kiosk: configuration, devices, flows, backend, controller, window.

One asyncio loop owns everything (Kivy included, through App.async_run).
SIGHUP reloads the flow bundle (in a worker thread, coalesced with the
fleet's reload commands); SIGTERM stops cleanly.
"""
from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import structlog

from devices.hotplug import HotplugMonitor
from kiosk import startup
from kiosk.backend.http import HttpServices
from kiosk.config import Config
from kiosk.controller import KioskController
from kiosk.documents.pdf import render_document
from kiosk.engine.clock import LoopClock
from kiosk.flow.registry import FlowRegistry
from kiosk.journal import Journal
from kiosk.maintenance import Gate
from kiosk.remote import Coalescer, RemoteCommands
from kiosk.system.notify import Notifier
from kiosk.system.restarts import RestartCounter
from kiosk.system.watchdog import Watchdog, hang_forever

log = structlog.get_logger("kiosk.runtime")


async def run(cfg: Config, *, width: int = 1080, height: int = 1920, low_reach: bool = False,
              fullscreen: bool = True, side=None, side_width: int = 0, voice: bool = True,
              prepared: startup.Prepared | None = None) -> int:
    """`prepared` comes from startup.prepare when the caller already ran the checks (and reported their errors)."""
    prepared = prepared or startup.prepare(cfg)  # before any device is opened or window drawn
    from kiosk.ui.app import KioskWindow
    from kiosk.ui.live import LiveUi
    from kiosk.ui.theme import Theme
    from kiosk.ui.voice import Speaker

    flows = FlowRegistry(cfg.flows.path)
    flows.reload()
    if not flows.flows:  # the bundle emptied between the check and now: still nothing to offer
        raise startup.StartupError(f"flows.path: no flow in {cfg.flows.path} loads")
    catalog = flows.active.catalog if flows.active else None
    missing = sorted(set(catalog.services) - set(cfg.services)) if catalog else []
    if missing:
        log.error("config.services_missing", services=missing)
    devices = prepared.devices
    for dev in devices.values():
        await dev.open()
    services = HttpServices(catalog, dict(cfg.services), kiosk_id=cfg.kiosk.id)
    controller = KioskController(flows, devices, services, LoopClock(),
                                 kiosk={"id": cfg.kiosk.id, "name": cfg.kiosk.name, "hall": cfg.kiosk.hall,
                                        "verify_url": cfg.kiosk.verify_url},
                                 idle=cfg.idle, default_locale=cfg.kiosk.default_locale,
                                 gate=Gate(cfg.maintenance.pin_hash, state=cfg.var_dir / "maintenance.json"),
                                 journal=Journal(cfg.var_dir / "journal.db", key=prepared.journal_key),
                                 pdf_renderer=render_document,
                                 remote_maintenance_s=cfg.telemetry.remote_maintenance_s)

    def device_changed(_event=None):
        if controller.state.mode == "home":
            controller.refresh_home()

    reloader = Coalescer(flows.reload, after=lambda ok: device_changed())
    reporter = await _start_reporter(cfg, flows, controller, reloader=reloader)

    for dev in devices.values():
        dev.on_status(device_changed)
    hotplug = HotplugMonitor()  # an unplugged device is offline at once and comes back by itself
    unwatched = hotplug.watch_devices(list(devices.values()))
    if len(unwatched) < len(devices):
        await hotplug.start()
    notifier, watchdog = Notifier(), Watchdog()
    for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        os.environ.pop(key, None)  # children (espeak-ng, ...) must not speak to systemd for us
    loop_beat = watchdog.register("asyncio-loop", 10.0)
    ui_beat = watchdog.register("ui-clock", 10.0)
    restarts = RestartCounter(cfg.var_dir / "restarts.json")
    restarts.record_start()
    window = KioskWindow(Theme(width=width, height=height, low_reach=low_reach), Speaker(enabled=voice),
                         fullscreen=fullscreen, side_width=side_width)
    await window.start()
    LiveUi(controller, window)
    from kivy.clock import Clock

    Clock.schedule_interval(lambda dt: ui_beat.beat(), 1.0)  # the UI thread is alive if its clock ticks

    async def loop_alive():
        while True:
            loop_beat.beat()
            await asyncio.sleep(1.0)

    asyncio.get_running_loop().create_task(loop_alive())
    if restarts.should_go_out_of_service():
        log.error("kiosk.restart_loop", limit=restarts.limit)
        controller.out_of_service("repeated failures")
    asyncio.get_running_loop().call_later(restarts.healthy_s, restarts.record_healthy)
    watchdog.start()
    if watchdog.hang_ui_after_s is not None:
        Clock.schedule_once(lambda dt: hang_forever(), watchdog.hang_ui_after_s)
    notifier.ready(f"{controller.state.mode}: {len(flows.flows)} items")  # after the first frame was drawn
    if side is not None:
        window.side.add_widget(side(devices, device_changed))

    loop = asyncio.get_running_loop()

    def reload_flows():
        notifier.reloading()

        def done(task: asyncio.Task) -> None:
            log.info("flows.reloaded", ok=None if task.exception() else task.result())
            notifier.reloaded()

        loop.create_task(reloader.request()).add_done_callback(done)

    loop.add_signal_handler(signal.SIGHUP, reload_flows)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, window.app.stop)
    log.info("kiosk.ready", kiosk=cfg.kiosk.id, flows=len(flows.flows))
    try:
        await window.task
    finally:
        notifier.stopping()
        watchdog.stop()
        await hotplug.stop()
        if reporter is not None:
            await reporter.stop()
        await services.close()
        for dev in devices.values():
            await dev.close()
    return 0


def _plain(changes: dict) -> dict:
    return {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in changes.items()}


async def _start_reporter(cfg: Config, flows: FlowRegistry, controller: KioskController, *,
                          reloader: Coalescer | None = None, restart: Callable[[], None] | None = None):
    """Fleet reporting, when configured: state and health on every change and on a timer, events, commands."""
    t = cfg.telemetry
    if not t.host:
        return None
    from importlib.metadata import version

    from kiosk import health
    from kiosk.telemetry.gate import CommandGate, SeenIds
    from kiosk.telemetry.mqtt import COMMANDS, MqttReporter
    from kiosk.telemetry.outbox import Outbox
    from kiosk.telemetry.signing import load_public_key

    counters = health.Counters()
    versions = {"runtime": version("kiosk"), "flows": flows.active.sha256[:12] if flows.active else "-"}
    cfg.var_dir.mkdir(parents=True, exist_ok=True)
    if t.command_key_file:
        gate = CommandGate(cfg.kiosk.id, load_public_key(t.command_key_file), SeenIds(cfg.var_dir / "commands.db"),
                           known=COMMANDS, skew_s=t.command_skew_s, per_min=t.command_rate_per_min,
                           burst=t.command_burst)
    else:
        log.warning("commands.disabled", reason="no telemetry.command_key_file")
        gate = CommandGate(cfg.kiosk.id, None, None, known=COMMANDS)
    commands = RemoteCommands(controller, flows, restart=restart or _restart, reloader=reloader)
    reporter = MqttReporter(cfg.kiosk.id, t.host, t.port, Outbox(cfg.var_dir / "outbox.db", t.outbox_max_events),
                            cfg.var_dir, username=t.username, password=t.password(),
                            ca_file=str(t.ca_file) if t.ca_file else None,
                            cert_file=str(t.cert_file) if t.cert_file else None,
                            key_file=str(t.key_file) if t.key_file else None, keepalive=t.keepalive_s,
                            health_interval_s=t.health_interval_s, versions=versions, on_command=commands,
                            gate=gate, insecure=t.insecure)
    previous = controller.on_event

    def on_event(kind: str, fields: dict) -> None:
        if kind == "visit":
            counters.visit(fields["flow"], fields["result"], fields.get("printed", {}))
        reporter.event(kind, **fields)
        if previous:
            previous(kind, fields)

    controller.on_event = on_event

    def device_event(event) -> None:
        reporter.event("device", device=event.device, state=str(event.new.state),
                       reasons=sorted(str(r) for r in event.new.reasons), changes=_plain(event.changes))
        reporter.health_changed()

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

    snapshot = lambda: health.snapshot(controller, versions=versions, counters=counters, var_dir=cfg.var_dir)  # noqa: E731
    await reporter.start()
    asyncio.get_running_loop().create_task(reporter.run_periodic(snapshot))
    controller.subscribe(follow)
    follow(controller.state)
    return reporter


def _restart() -> None:
    """A remote restart: leave with a failure code so systemd's Restart=on-failure starts us again."""
    log.warning("kiosk.restart_requested")
    raise SystemExit(75)
