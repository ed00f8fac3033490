"""Assembles and runs the kiosk: build, start and stop, with a window or without one.

`build` turns a checked configuration into a kiosk (flows, devices,
backend, journal, controller, watchdog); `start` opens the devices and
connects it to the fleet; `stop` closes everything in reverse. `run` adds
the touch window; `run_headless` runs the same kiosk with no display (for
simulated fleets and the soak) until SIGTERM. One asyncio loop owns
everything (Kivy included, through App.async_run). SIGHUP reloads the flow
bundle (in a worker thread, coalesced with the fleet's reload commands).
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from devices.hotplug import HotplugMonitor
from kiosk import startup
from kiosk.backend.http import HttpServices
from kiosk.config import Config, is_loopback
from kiosk.controller import KioskController
from kiosk.documents.pdf import render_document
from kiosk.engine.clock import LoopClock
from kiosk.fleet.link import start_reporting
from kiosk.fleet.remote import Coalescer, exit_for_restart
from kiosk.flow.registry import FlowRegistry
from kiosk.journal import Journal
from kiosk.maintenance import Gate
from kiosk.system.notify import Notifier
from kiosk.system.restarts import RestartCounter
from kiosk.system.watchdog import Watchdog

log = structlog.get_logger("kiosk.runtime")
BEAT_MAX_AGE_S = 10.0  # a liveness source silent this long stops the watchdog pings


@dataclass
class Kiosk:
    """One assembled kiosk, everything but a window."""

    cfg: Config
    flows: FlowRegistry
    devices: dict
    services: HttpServices
    journal: Journal
    controller: KioskController
    reloader: Coalescer
    notifier: Notifier
    watchdog: Watchdog
    restarts: RestartCounter
    restart: Callable[[], None] = exit_for_restart
    hotplug: HotplugMonitor = field(default_factory=HotplugMonitor)
    reporter: object | None = None  # kiosk.fleet.reporter.MqttReporter once started, when configured
    tasks: list = field(default_factory=list)

    def device_changed(self, _event=None) -> None:
        if self.controller.state.mode == "home":
            self.controller.refresh_home()


def build(cfg: Config, prepared: startup.Prepared | None = None, *, restart: Callable[[], None] = exit_for_restart,
          pdf_renderer: Callable | None = render_document) -> Kiosk:
    """`prepared` comes from startup.prepare when the caller already ran the checks (and reported their errors).

    `pdf_renderer=None` sends documents to the printer as HTML: only the soak uses it, to keep its figures
    comparable with runs before PDF rendering was in its path (bench_soak.py --pdf measures with it).
    """
    prepared = prepared or startup.prepare(cfg)  # before any device is opened or window drawn
    flows = FlowRegistry(cfg.flows.path)
    flows.reload(prepared.bundle)
    if not flows.flows:  # a Prepared without the checked bundle, and the folder emptied since: nothing to offer
        raise startup.StartupError(f"flows.path: no flow in {cfg.flows.path} loads")
    catalog = flows.active.catalog if flows.active else None
    missing = sorted(set(catalog.services) - set(cfg.services)) if catalog else []
    if missing:
        log.error("config.services_missing", services=missing)
    services = HttpServices(catalog, dict(cfg.services), kiosk_id=cfg.kiosk.id)
    journal = Journal(cfg.var_dir / "journal.db", key=prepared.journal_key)
    controller = KioskController(flows, prepared.devices, services, LoopClock(),
                                 kiosk={"id": cfg.kiosk.id, "name": cfg.kiosk.name, "hall": cfg.kiosk.hall,
                                        "verify_url": cfg.kiosk.verify_url, "identity": cfg.identity_card()},
                                 idle=cfg.idle, elderly_multiplier=cfg.idle.elderly_multiplier,
                                 default_locale=cfg.kiosk.default_locale,
                                 gate=Gate(cfg.maintenance.pin_hash, state=cfg.var_dir / "maintenance.json"),
                                 journal=journal, pdf_renderer=pdf_renderer,
                                 remote_maintenance_s=cfg.telemetry.remote_maintenance_s,
                                 aftercare=cfg.aftercare, identity=cfg.identity_card())
    notifier, watchdog = Notifier(), Watchdog()
    for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        os.environ.pop(key, None)  # children (espeak-ng, ...) must not speak to systemd for us
    kiosk = Kiosk(cfg, flows, prepared.devices, services, journal, controller, reloader=None, notifier=notifier,
                  watchdog=watchdog, restarts=RestartCounter(cfg.var_dir / "restarts.json"), restart=restart)
    kiosk.reloader = Coalescer(flows.reload, after=lambda ok: kiosk.device_changed())
    return kiosk


async def start(k: Kiosk) -> None:
    """Devices open, fleet reporting connected, liveness beating, SIGHUP reloading; ready once `ready` is called."""
    for dev in k.devices.values():
        await dev.open()
    k.device_changed()  # the home screen offers what the opened devices allow
    k.reporter = await start_reporting(k.cfg, k.flows, k.controller, reloader=k.reloader, restart=k.restart)
    k.controller.callback_link = k.reporter is not None and (k.reporter.tls or is_loopback(k.cfg.telemetry.host))
    for dev in k.devices.values():
        dev.on_status(k.device_changed)
    unwatched = k.hotplug.watch_devices(list(k.devices.values()))  # unplugged: offline at once, back by itself
    if len(unwatched) < len(k.devices):
        await k.hotplug.start()
    loop_beat = k.watchdog.register("asyncio-loop", BEAT_MAX_AGE_S)

    async def loop_alive():
        while True:
            loop_beat.beat()
            await asyncio.sleep(1.0)

    loop = asyncio.get_running_loop()
    k.tasks.append(loop.create_task(loop_alive()))
    k.restarts.record_start()
    if k.restarts.should_go_out_of_service():
        log.error("kiosk.restart_loop", limit=k.restarts.limit)
        k.controller.out_of_service("repeated failures")
    k.tasks.append(loop.call_later(k.restarts.healthy_s, k.restarts.record_healthy))

    def reload_flows():
        k.notifier.reloading()

        def done(task: asyncio.Task) -> None:
            log.info("flows.reloaded", ok=None if task.exception() else task.result())
            k.notifier.reloaded()

        loop.create_task(k.reloader.request()).add_done_callback(done)

    loop.add_signal_handler(signal.SIGHUP, reload_flows)


def ready(k: Kiosk) -> None:
    """Serving: the watchdog starts pinging and systemd hears READY=1 (after the first frame, with a window)."""
    k.watchdog.start()
    k.notifier.ready(f"{k.controller.state.mode}: {len(k.flows.flows)} items")
    log.info("kiosk.ready", kiosk=k.cfg.kiosk.id, flows=len(k.flows.flows),
             ui_toolkit_loaded=any(m == "kivy" or m.startswith("kivy.") for m in sys.modules))


async def stop(k: Kiosk) -> None:
    k.notifier.stopping()
    k.watchdog.stop()
    for task in k.tasks:
        task.cancel()
    await k.hotplug.stop()
    if k.reporter is not None:
        await k.reporter.stop()
    await k.services.close()
    for dev in k.devices.values():
        await dev.close()
    k.journal.close()
    log.info("kiosk.stopped", kiosk=k.cfg.kiosk.id,
             ui_toolkit_loaded=any(m == "kivy" or m.startswith("kivy.") for m in sys.modules))


async def run_headless(cfg: Config, *, prepared: startup.Prepared | None = None) -> int:
    """The kiosk with no display, until SIGTERM or SIGINT: a simulated fleet member, a soak, a lab bench."""
    k = build(cfg, prepared)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await start(k)
    try:
        ready(k)
        await stopping.wait()
    finally:
        await stop(k)
    return 0


async def open_window(k: Kiosk, *, width: int = 1080, height: int = 1920, low_reach: bool = False,
                      fullscreen: bool = True, side_width: int = 0, voice: bool = True):
    """The touch window on a started kiosk, home drawn, its clock beating the watchdog: `run`'s window, and the
    one bench/ui_probe.py measures (so the benchmark's process is the kiosk's, not a UI assembled apart)."""
    from kiosk.ui.app import KioskWindow  # first: kiosk.ui makes Kivy's process settings before Kivy loads
    from kiosk.ui.live import LiveUi
    from kiosk.ui.theme import Theme
    from kiosk.ui.voice import Speaker

    ui_beat = k.watchdog.register("ui-clock", BEAT_MAX_AGE_S)
    window = KioskWindow(Theme(width=width, height=height, low_reach=low_reach), Speaker(enabled=voice),
                         fullscreen=fullscreen, side_width=side_width)
    await window.start()
    window.live = LiveUi(k.controller, window)  # the screen's renderer, for a probe to look at (bench/ui_probe.py)
    from kivy.clock import Clock

    Clock.schedule_interval(lambda dt: ui_beat.beat(), 1.0)  # the UI thread is alive if its clock ticks
    return window


async def run(cfg: Config, *, width: int = 1080, height: int = 1920, low_reach: bool = False,
              fullscreen: bool = True, side=None, side_width: int = 0, voice: bool = True,
              prepared: startup.Prepared | None = None) -> int:
    """The kiosk in its touch window; `side` builds a panel beside it (the demo's device simulator)."""
    k = build(cfg, prepared)
    from kiosk.system.watchdog import hang_forever

    await start(k)
    try:
        window = await open_window(k, width=width, height=height, low_reach=low_reach, fullscreen=fullscreen,
                                   side_width=side_width, voice=voice)
        from kivy.clock import Clock

        ready(k)  # after the first frame was drawn
        if k.watchdog.hang_ui_after_s is not None:
            Clock.schedule_once(lambda dt: hang_forever(), k.watchdog.hang_ui_after_s)
        if side is not None:
            window.side.add_widget(side(k.devices, k.device_changed))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, window.app.stop)
        await window.task
    finally:
        await stop(k)
    return 0
