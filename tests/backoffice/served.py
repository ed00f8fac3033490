"""The console assembled as `backoffice serve` assembles it (database, ingest on a real broker, app.build), with
one account (`user`: name and role) that tests sign in as through /login: `async with console.session() as http`.

`start_console` is for asyncio tests; `ThreadedConsole` runs the same in a thread of its own, for Playwright's
sync API, which cannot share pytest-asyncio's loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

from aiohttp import web

from backoffice import app as console_app, db
from backoffice.config import parse
from backoffice.ingest import Ingest
from backoffice.store import FleetStore
from tests.backoffice.auth_helpers import add_account, sign_in_page, signed_in_session


class Running:
    def __init__(self, app: web.Application, runner: web.AppRunner, ingest: Ingest, engine, user: str | None):
        self.app, self.runner, self.ingest, self.engine, self.user = app, runner, ingest, engine, user
        self.port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"

    @contextlib.asynccontextmanager
    async def session(self, name: str | None = None):
        """An HTTP session signed in as `name` (default: the console's account) through /login."""
        http = await signed_in_session(self.url, name or self.user)
        try:
            yield http
        finally:
            await http.close()

    async def stop(self) -> None:
        await self.runner.cleanup()
        if self.ingest._loop is not None:
            await self.ingest.stop()
        self.engine.dispose()


async def start_console(workdir: Path, broker_port: int | None, *, user=("op1", "operator"), config: dict | None = None,
                        engine=None) -> Running:
    cfg = parse({"broker": {"host": "127.0.0.1", "port": broker_port or 1883}, **(config or {})}, "backoffice.toml",
                base=workdir)
    if engine is None:
        engine = db.engine(cfg.database.url)
        await asyncio.to_thread(db.upgrade, engine)
    store = FleetStore(engine)
    ingest = Ingest(store, "127.0.0.1", broker_port or 1, group=f"t{broker_port}")
    if broker_port:  # None: no broker, the tests write the store themselves
        await ingest.start()
        await asyncio.wait_for(ingest.subscribed.wait(), 10)
    if user:
        await asyncio.to_thread(add_account, engine, *user)
    application = console_app.build(cfg, store, ingest)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return Running(application, runner, ingest, engine, user[0] if user else None)


class ThreadedConsole:
    def __init__(self, workdir: Path, broker_port: int, **kwargs):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-console", daemon=True)
        self.thread.start()
        self.running: Running = self.call(start_console(workdir, broker_port, **kwargs))
        self.url = self.running.url

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def sign_in(self, page, path: str = "/", name: str | None = None) -> None:
        """Sign a Playwright page in through /login as `name` (default: the console's account)."""
        sign_in_page(page, self.url, name or self.running.user, path=path)

    def stop(self) -> None:
        self.call(self.running.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
