"""The console served in this process for page tests, with a viewer account and an API token.

Pages sign in through /login (`live.sign_in(page, path)`); API calls send `live.token`. `LiveConsole` runs
backoffice.server.Server (ingest against a real broker, the real app from backoffice.app.build) on its own
event loop in a background thread, because Playwright's sync API owns the test thread's loop.
"""
from __future__ import annotations

import asyncio
import threading

import pytest

from backoffice import app as app_module
from backoffice.config import parse
from backoffice.server import Server
from tests.backoffice.auth_helpers import add_account, api_token, sign_in_page

USER = "tester"  # a viewer


class LiveConsole:
    def __init__(self, tmp_path, broker_port: int, config: dict | None = None):
        cfg = {"broker": {"host": "127.0.0.1", "port": broker_port}, "fleet": {"poll_s": 0.5}, **(config or {})}
        self.cfg = parse(cfg, "backoffice.toml", base=tmp_path)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-console", daemon=True)
        self.server: Server | None = None

    def call(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, parts=(), account: bool = True) -> "LiveConsole":
        """`parts`: extra PARTS entries (a bench adds its baseline page); `account`: make the viewer and token."""
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
        self.token = None
        if account:
            add_account(self.server.engine, USER, "viewer")
            self.token = api_token(self.server.engine, "tests", "viewer")
        return self

    def sign_in(self, page, path: str = "/fleet") -> None:
        sign_in_page(page, self.url, USER, path=path)

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
    """The console in-process against the conftest's broker, with a viewer account and token."""
    c = LiveConsole(tmp_path, console_broker.port).start()
    yield c
    c.stop()
