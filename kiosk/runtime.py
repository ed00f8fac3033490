"""Assembles and runs the kiosk: configuration, devices, flows, backend, controller, window.

One asyncio loop owns everything (Kivy included, through App.async_run).
SIGHUP reloads the flow bundle between visits; SIGTERM stops cleanly.
"""
from __future__ import annotations

import asyncio
import signal

import structlog

from devices import registry as device_registry
from kiosk.config import Config
from kiosk.controller import KioskController
from kiosk.engine.clock import LoopClock
from kiosk.flow.registry import FlowRegistry
from kiosk.journal import Journal
from kiosk.maintenance import Gate
from kiosk.services import HttpServices

log = structlog.get_logger("kiosk.runtime")


def build_devices(cfg: Config) -> dict:
    return {role: device_registry.build(role, role, dc.driver, **dc.options()) for role, dc in cfg.devices.items()}


async def run(cfg: Config, *, width: int = 1080, height: int = 1920, low_reach: bool = False,
              fullscreen: bool = True, side=None, side_width: int = 0, voice: bool = True) -> int:
    from kiosk.ui.app import KioskWindow
    from kiosk.ui.live import LiveUi
    from kiosk.ui.theme import Theme
    from kiosk.ui.voice import Speaker

    flows = FlowRegistry(cfg.flows.path)
    flows.reload()
    catalog = flows.active.catalog if flows.active else None
    missing = sorted(set(catalog.services) - set(cfg.services)) if catalog else []
    if missing:
        log.error("config.services_missing", services=missing)
    devices = build_devices(cfg)
    for dev in devices.values():
        await dev.open()
    services = HttpServices(catalog, dict(cfg.services), kiosk_id=cfg.kiosk.id)
    controller = KioskController(flows, devices, services, LoopClock(),
                                 kiosk={"id": cfg.kiosk.id, "name": cfg.kiosk.name, "hall": cfg.kiosk.hall},
                                 idle=cfg.idle, default_locale=cfg.kiosk.default_locale,
                                 gate=Gate(cfg.maintenance.pin_hash), journal=Journal(cfg.var_dir / "journal.db"))

    def device_changed(_event=None):
        if controller.state.mode == "home":
            controller.refresh_home()

    for dev in devices.values():
        dev.on_status(device_changed)
    window = KioskWindow(Theme(width=width, height=height, low_reach=low_reach), Speaker(enabled=voice),
                         fullscreen=fullscreen, side_width=side_width)
    await window.start()
    LiveUi(controller, window)
    if side is not None:
        window.side.add_widget(side(devices, device_changed))

    loop = asyncio.get_running_loop()

    def reload_flows():
        ok = flows.reload()
        log.info("flows.reloaded", ok=ok)
        device_changed()

    loop.add_signal_handler(signal.SIGHUP, reload_flows)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, window.app.stop)
    log.info("kiosk.ready", kiosk=cfg.kiosk.id, flows=len(flows.flows))
    try:
        await window.task
    finally:
        await services.close()
        for dev in devices.values():
            await dev.close()
    return 0
