"""The alerts component: its store, evaluator and notifier, hooked into ingest and run on a timer."""
from __future__ import annotations

import asyncio
import time

import structlog
from sqlalchemy import Engine

from backoffice.alerts.evaluator import Evaluator
from backoffice.alerts.notify import Notifier
from backoffice.alerts.settings import AlertsConfig
from backoffice.alerts.store import AlertStore

log = structlog.get_logger("backoffice.alerts")

LINK_POLL_S = 1.0  # how soon a broker outage stops the offline rule: a tenth of its shortest sensible setting
FULL_EVERY = 10  # one timer run in ten reads every kiosk's health (a reconcile); the others only heartbeats


class AlertService:
    def __init__(self, cfg: AlertsConfig, engine: Engine, *, backoff_s: float = 1.0):
        self.cfg = cfg
        self.store = AlertStore(engine)
        self.notifier = Notifier(cfg, backoff_s=backoff_s)
        self.evaluator = Evaluator(self.store, cfg, self.notifier.notify)
        self.evaluator.online_since = None
        self._task: asyncio.Task | None = None

    async def start(self, ingest) -> None:
        await self.notifier.start()
        ingest.observers.append(self.evaluator.on_report)
        self._task = asyncio.create_task(self._timer(ingest), name="backoffice-alerts")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.notifier.stop()

    async def _timer(self, ingest) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self.cfg.evaluate_interval_s
        runs = 0
        while True:
            await asyncio.sleep(LINK_POLL_S)
            if not ingest.connected.is_set():
                self.evaluator.online_since = None
            elif self.evaluator.online_since is None:
                self.evaluator.online_since = time.time()
            if loop.time() < next_sweep:
                continue
            next_sweep = loop.time() + self.cfg.evaluate_interval_s
            runs += 1
            try:
                await asyncio.to_thread(self.evaluator.sweep, runs % FULL_EVERY == 1)
            except Exception:  # a database hiccup must not end the timer; the next sweep tries again
                log.exception("alerts.sweep_failed")
