"""The console served in this process for page tests, with a signed-in viewer and no login page.

The real sign-in (accounts, sessions) is another part's; until it is merged these tests put a user on every
request with a middleware placed first, so `@require("viewer")` sees one. `LiveConsole` runs
backoffice.server.Server (ingest against a real broker, the real app from backoffice.app.build) on its own
event loop in a background thread, because Playwright's sync API owns the test thread's loop.
"""
from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest

from aiohttp import web

from backoffice import app as app_module
from backoffice.config import parse
from backoffice.server import Server


@dataclasses.dataclass(frozen=True)
class FakeUser:
    name: str = "tester"
    role: str = "viewer"


class SignedIn:
    """A PARTS entry: a middleware, first in line, that signs every request in as `user`."""

    def __init__(self, user=FakeUser()):
        self.user = user

    def setup(self, application: web.Application) -> None:
        @web.middleware
        async def signed_in(request, handler):
            request["user"] = self.user
            return await handler(request)
        application.middlewares.insert(0, signed_in)


class LiveConsole:
    def __init__(self, tmp_path, broker_port: int, config: dict | None = None):
        cfg = {"broker": {"host": "127.0.0.1", "port": broker_port}, "fleet": {"poll_s": 0.5}, **(config or {})}
        self.cfg = parse(cfg, "backoffice.toml", base=tmp_path)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-console", daemon=True)
        self.server: Server | None = None

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, parts=(SignedIn(),)) -> "LiveConsole":
        self.thread.start()
        saved = app_module.PARTS
        app_module.PARTS = (*saved, *parts)
        try:
            self.server = Server(self.cfg, port=0)
            self.call(self.server.start())
            self.call(asyncio.wait_for(self.server.ingest.subscribed.wait(), 10))
        finally:
            app_module.PARTS = saved
        self.url = f"http://127.0.0.1:{self.server.port}"
        return self

    @property
    def store(self):
        return self.server.store

    def settle(self) -> None:
        """Bring the fleet view up to date with what the test stored (instead of waiting for its poll)."""
        from backoffice.keys import FLEET
        self.call(self.server.runner.app[FLEET].refresh())

    def stop(self) -> None:
        if self.server:
            self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def live(tmp_path, console_broker):
    """The console in-process against the conftest's broker, every request signed in as a viewer."""
    c = LiveConsole(tmp_path, console_broker.port).start()
    yield c
    c.stop()
