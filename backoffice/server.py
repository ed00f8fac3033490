"""`backoffice serve`: storage, the broker connection, ingest and the web API, started and stopped in order."""
from __future__ import annotations

import asyncio
import gc
import os
import signal

import structlog
from aiohttp import web

from backoffice import app, callbacks_inbox, db, helpdesk
from backoffice.broker import LocalBroker
from backoffice.config import Config
from backoffice.ingest import Ingest
from backoffice.pipeline import Pipeline
from backoffice.store import FleetStore

log = structlog.get_logger("backoffice.server")


class Server:
    def __init__(self, cfg: Config, port: int | None = None):
        self.cfg = cfg
        self.port = port if port is not None else cfg.server.port
        self.engine = db.engine(cfg.database.url)
        self.store = FleetStore(self.engine)
        self.broker: LocalBroker | None = None
        self.ingest: Pipeline | None = None
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        await asyncio.to_thread(db.upgrade, self.engine)
        self.ingest = await self._ingest()
        h = self.cfg.helpdesk
        self.ingest.callback_desk = callbacks_inbox.Desk(helpdesk.phone_seal(self.cfg), h.callback_target_s,
                                                         dict(h.item_skills))
        await self.ingest.start()
        self.runner = web.AppRunner(app.build(self.cfg, self.store, self.ingest), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.cfg.server.host, self.port)
        await site.start()
        self.port = self.runner.addresses[0][1]  # the real one when asked for port 0
        settle()
        log.info("backoffice.serving", url=f"http://{self.cfg.server.host}:{self.port}/", broker=self.cfg.broker.kind)

    async def _ingest(self) -> Pipeline:
        """The MQTT shared subscription (a local Mosquitto when no broker is configured) or the NATS consumer."""
        b, i = self.cfg.broker, self.cfg.ingest
        password = os.environ.get(b.password_env) if b.password_env else None
        ca_file = str(b.ca_file) if b.ca_file else None
        if b.kind == "nats":
            from backoffice.ingest_nats import NatsIngest  # nats-py only where NATS is the broker
            return NatsIngest(self.store, b.servers, durable=i.group, username=b.username, password=password,
                              ca_file=ca_file, max_payload=i.max_payload, ack_wait_s=i.ack_wait_s)
        host, port = b.host, b.port
        if host is None:
            self.broker = LocalBroker(self.cfg.var_dir)
            host, port = "127.0.0.1", await asyncio.to_thread(self.broker.start)
        return Ingest(self.store, host, port, group=i.group, username=b.username, password=password,
                      ca_file=ca_file, keepalive=b.keepalive, max_payload=i.max_payload)

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()
        if self.ingest:
            await self.ingest.stop()
        if self.broker:
            self.broker.stop()
        self.engine.dispose()


def settle() -> None:
    """Once started, the objects made so far (modules, mappings, the app) live as long as the process:
    frozen, the garbage collector stops walking them again at every collection while ingest allocates
    (about a tenth of a worker's time at full rate, bench/bench_ingest.py)."""
    gc.freeze()


async def serve(cfg: Config, port: int | None = None) -> None:
    server = Server(cfg, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        await stop.wait()
    finally:
        await server.stop()
